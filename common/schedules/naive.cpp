// naive: no pipelining. Each micro-batch goes through the whole pipeline, forward then
// backward, before the next one enters (the data dependencies serialise it), so only one
// device is busy at a time; with m = 1 this is the plain model-parallel baseline that
// GPipe (Huang et al. 2019, §2 and Fig. 2b) compares against.
#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Schedule generate_naive(const Problem& problem) {
  const std::uint32_t m = problem.microbatches;
  return flushed_schedule(
      "naive", problem, 2 * std::size_t{m},
      [m](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        for (std::uint32_t j = 0; j < m; ++j) {
          program.push_back(compute_op(OpKind::Forward, device, j, iteration));
          program.push_back(compute_op(OpKind::Backward, device, j, iteration));
        }
      });
}

}  // namespace pipewise
