// zb-h2: Qi, Wan, Huang and Lin, "Zero Bubble Pipeline Parallelism", ICLR 2024 (arXiv
// 2401.10241), §2.2 and Fig. 3 (bottom), the zero-bubble handcrafted schedule ZB-H2. More
// forwards in the warm-up fill the bubble before the first backward, and the W's are
// reordered at the tail, so that each device's program becomes a parallelogram instead of
// 1F1B's trapezoid: device d warms up with min(2(p-d-1) + 1, m) forwards (stage 0 runs
// 2p-1 forwards before its first I, enough to keep it busy until that I's gradient
// arrives), then alternates I and F; a W is run before an F whenever the F would hold more
// than 2p-1 stashes (the paper's memory limit, about twice 1F1B's p), and after the
// forwards run out I and W alternate, the remaining W's closing the program. With
// F = I = W every device runs without a bubble between its first and its last op (the
// paper's per-stage bubble (p-1)(F + I - 2W) is 0); this is the order sail-sg's
// zero-bubble scheduler (zb.py, memory limit (2p-1)·M_B) produces for uniform costs.
#include <cstdint>
#include <vector>

#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Schedule generate_zb_h2(const Problem& problem) {
  const std::uint32_t m = problem.microbatches;
  const std::uint32_t p = problem.devices;
  const std::uint32_t stash_limit = 2 * p - 1;
  return dated_flushed_schedule(
      "zb-h2", problem, 3 * std::size_t{m},
      [=](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        const auto emit = [&](OpKind kind, std::uint32_t microbatch) {
          program.push_back(compute_op(kind, device, microbatch, iteration));
        };
        const std::uint32_t ahead = 2 * (p - device - 1) + 1;
        const std::uint32_t warmup = ahead < m ? ahead : m;
        std::uint32_t next_forward = 0;
        std::uint32_t next_input = 0;
        std::uint32_t next_weight = 0;
        while (next_forward < warmup) emit(OpKind::Forward, next_forward++);
        while (next_input < m) {
          emit(OpKind::BackwardInput, next_input++);
          if (next_forward < m) {
            // Stashes live from F to W: make room before the forward if it would exceed
            // the limit.
            if (next_forward - next_weight >= stash_limit) emit(OpKind::BackwardWeight, next_weight++);
            emit(OpKind::Forward, next_forward++);
          } else {
            emit(OpKind::BackwardWeight, next_weight++);
          }
        }
        while (next_weight < m) emit(OpKind::BackwardWeight, next_weight++);
      });
}

}  // namespace pipewise
