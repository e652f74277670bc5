// gpipe: Huang et al. 2019, "GPipe: Efficient Training of Giant Neural Networks using
// Pipeline Parallelism", §2.2 and Fig. 2c: every device runs the forwards of all m
// micro-batches, then their backwards, then a synchronous update (the flush). Backwards
// run in micro-batch order, as torch.distributed.pipelining's ScheduleGPipe does.
#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Schedule generate_gpipe(const Problem& problem) {
  const std::uint32_t m = problem.microbatches;
  return flushed_schedule(
      "gpipe", problem, 2 * std::size_t{m},
      [m](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        for (std::uint32_t j = 0; j < m; ++j) {
          program.push_back(compute_op(OpKind::Forward, device, j, iteration));
        }
        for (std::uint32_t j = 0; j < m; ++j) {
          program.push_back(compute_op(OpKind::Backward, device, j, iteration));
        }
      });
}

}  // namespace pipewise
