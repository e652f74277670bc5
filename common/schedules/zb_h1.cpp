// zb-h1: Qi, Wan, Huang and Lin, "Zero Bubble Pipeline Parallelism", ICLR 2024 (arXiv
// 2401.10241), §2.2 and Fig. 3 (top), the memory-efficient handcrafted schedule ZB-H1.
// The backward is split into I (gradient of the stage input) and W (gradient of the
// weights), and W is postponed to fill the drain bubble of 1F1B: device d runs the 1F1B
// skeleton with I in place of B (min(p-d-1, m) warm-up forwards, then F/I pairs), but
// starts its weight gradients d micro-batches late, so that every device holds the same p
// stashes (1F1B's peak) while its I's start earlier; the W's of the delayed micro-batches
// fill the tail. Bubble (p-1)(F + I - W), i.e. (p-1)(F + B - 2W) with B = I + W, a third
// of 1F1B's when F = I = W. This is also PyTorch's ScheduleInterleavedZeroBubble with one
// stage per rank (interleaved_zb.cpp), idle slots left out.
#include <cstdint>
#include <vector>

#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Schedule generate_zb_h1(const Problem& problem) {
  const std::uint32_t m = problem.microbatches;
  const std::uint32_t p = problem.devices;
  return dated_flushed_schedule(
      "zb-h1", problem, 3 * std::size_t{m},
      [m, p](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        const auto emit = [&](OpKind kind, std::uint32_t microbatch) {
          program.push_back(compute_op(kind, device, microbatch, iteration));
        };
        const auto warmup = static_cast<std::uint32_t>(one_f_one_b_warmup(p, device, m));
        std::uint32_t next_weight = 0;  // W's run in micro-batch order, behind the I's
        for (std::uint32_t k = 0; k < warmup; ++k) emit(OpKind::Forward, k);
        for (std::uint32_t k = 0; k + warmup < m; ++k) {
          emit(OpKind::Forward, k + warmup);
          emit(OpKind::BackwardInput, k);
          if (k >= device) emit(OpKind::BackwardWeight, next_weight++);
        }
        for (std::uint32_t k = m - warmup; k < m; ++k) {
          emit(OpKind::BackwardInput, k);
          emit(OpKind::BackwardWeight, next_weight++);
        }
        while (next_weight < m) emit(OpKind::BackwardWeight, next_weight++);
      });
}

}  // namespace pipewise
