// naive: no pipelining. Each micro-batch goes through the whole pipeline, forward then
// backward, before the next one enters (the data dependencies serialise it), so only one
// device is busy at a time; with m = 1 this is the plain model-parallel baseline that
// GPipe (Huang et al. 2019, §2 and Fig. 2b) compares against. It is the one-forward-one-
// backward order with no warm-up.
#include "common/schedules/flushed_order.hpp"
#include "common/schedules/generators.hpp"

namespace pipewise {

std::unique_ptr<ScheduleStream> stream_naive(const Problem& problem) {
  return flushed_stream("naive", problem,
                        {.work = problem.microbatches,
                         .warmup = std::vector<std::uint64_t>(problem.devices, 0),
                         .table = {}});
}

Schedule generate_naive(const Problem& problem) { return materialize(*stream_naive(problem)); }

}  // namespace pipewise
