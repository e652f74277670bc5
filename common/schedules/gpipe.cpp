// gpipe: Huang et al. 2019, "GPipe: Efficient Training of Giant Neural Networks using
// Pipeline Parallelism", §2.2 and Fig. 2c: every device runs the forwards of all m
// micro-batches, then their backwards, then a synchronous update (the flush). Backwards
// run in micro-batch order, as torch.distributed.pipelining's ScheduleGPipe does: the
// one-forward-one-backward order with all m forwards as warm-up.
#include "common/schedules/flushed_order.hpp"
#include "common/schedules/generators.hpp"

namespace pipewise {

std::unique_ptr<ScheduleStream> stream_gpipe(const Problem& problem) {
  return flushed_stream("gpipe", problem,
                        {.work = problem.microbatches,
                         .warmup = std::vector<std::uint64_t>(problem.devices, problem.microbatches),
                         .table = {}});
}

Schedule generate_gpipe(const Problem& problem) { return materialize(*stream_gpipe(problem)); }

}  // namespace pipewise
