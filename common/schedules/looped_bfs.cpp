// looped-bfs: Lamy-Poirier, "Breadth-First Pipeline Parallelism", MLSys 2023 (arXiv
// 2211.05953), as PyTorch's ScheduleLoopedBFS runs it. Each device holds v looped chunks
// (stage c·p + d) and runs them breadth first: every micro-batch through its first chunk,
// then every micro-batch through its next chunk, and so on; then the backwards, last chunk
// first, each chunk's micro-batches in descending order (the last forward's activations are
// the first freed). With fully sharded data parallelism each chunk's parameters are then
// gathered once and its gradients reduced once per batch, with long compute windows to
// hide both. Bubble as interleaved 1F1B's, (p-1)/(v·m) of the compute when m >= p; memory
// as GPipe's: all v·m chunk stashes of a device are alive at the turn.
#include <cstdint>
#include <string>
#include <vector>

#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Status looped_bfs_rules(const Problem& problem) {
  if (problem.placement == Placement::Looped) return {};
  return Status::failure("looped-bfs places chunks looped: placement must be looped (got " +
                         std::string(placement_name(problem.placement)) + ")");
}

Schedule generate_looped_bfs(const Problem& problem) {
  const std::uint32_t p = problem.devices;
  const std::uint32_t v = problem.chunks;
  const std::uint32_t m = problem.microbatches;
  return dated_flushed_schedule(
      "looped-bfs", problem, 2 * std::size_t{v} * m,
      [=](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        for (std::uint32_t chunk = 0; chunk < v; ++chunk) {
          for (std::uint32_t j = 0; j < m; ++j) {
            program.push_back(compute_op(OpKind::Forward, chunk * p + device, j, iteration));
          }
        }
        for (std::uint32_t chunk = v; chunk-- > 0;) {
          for (std::uint32_t j = m; j-- > 0;) {
            program.push_back(compute_op(OpKind::Backward, chunk * p + device, j, iteration));
          }
        }
      });
}

}  // namespace pipewise
