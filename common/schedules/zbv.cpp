// zbv: Qi, Wan, Amar and Lin, "Pipeline Parallelism with Controllable Memory", NeurIPS 2024
// (arXiv 2405.15362), the zero-bubble V schedule ZB-V, in the order of sail-sg's
// handcrafted_zb_v.py (get_zb_v_schedule), which PyTorch's ScheduleZBVZeroBubble reproduces.
// V-shape placement: device d holds stage d (chunk 0, on the way down) and stage 2p-1-d
// (chunk 1, on the way back up), so the turn at device p-1 needs no message. Over
// n = max(2p-1, m) micro-batch slots, device d runs 2(p-d)-1 chunk-0 forwards, d pairs of
// forwards (chunk 1, chunk 0), p-d (F, I, W) triples of chunk 1, then the steady state
// [F chunk 0 while any is left] I W of chunk 0, F I W of chunk 1 until both chunks have run
// every forward; the cool-down runs d (I chunk 0, I chunk 1) pairs and p-d (I, W) pairs of
// chunk 0, then the W's left, chunk 1's first. Slots of micro-batches >= m are left out
// (PyTorch leaves them idle). Every device holds at most 2p chunk stashes (1F1B's p·M_B)
// and, when F = I = W, runs without a bubble between its first and last op.
#include <cstdint>
#include <string>
#include <vector>

#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Status v_shape_rules(std::string_view name, const Problem& problem) {
  if (problem.placement == Placement::VShape) return {};
  return Status::failure(std::string(name) +
                         " runs two chunks per device in a V: placement must be v-shape (got " +
                         std::string(placement_name(problem.placement)) + ")");
}

Status zbv_rules(const Problem& problem) { return v_shape_rules("zbv", problem); }

Schedule generate_zbv(const Problem& problem) {
  const std::uint32_t p = problem.devices;
  const std::uint32_t m = problem.microbatches;
  const std::uint32_t slots = m > 2 * p - 1 ? m : 2 * p - 1;
  return dated_flushed_schedule(
      "zbv", problem, 6 * std::size_t{m},
      [=](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        const std::uint32_t stage[2] = {device, 2 * p - 1 - device};
        std::uint32_t forwards[2] = {0, 0};
        std::uint32_t inputs[2] = {0, 0};
        std::uint32_t weights[2] = {0, 0};
        const auto emit = [&](OpKind kind, int chunk) {
          std::uint32_t& next = kind == OpKind::Forward         ? forwards[chunk]
                                : kind == OpKind::BackwardInput ? inputs[chunk]
                                                                : weights[chunk];
          const std::uint32_t microbatch = next++;
          if (microbatch < m) program.push_back(compute_op(kind, stage[chunk], microbatch, iteration));
        };
        const auto triple = [&](int chunk, bool forward) {
          if (forward) emit(OpKind::Forward, chunk);
          emit(OpKind::BackwardInput, chunk);
          emit(OpKind::BackwardWeight, chunk);
        };
        for (std::uint32_t k = 0; k < 2 * (p - device) - 1; ++k) emit(OpKind::Forward, 0);
        for (std::uint32_t k = 0; k < device; ++k) {
          emit(OpKind::Forward, 1);
          emit(OpKind::Forward, 0);
        }
        for (std::uint32_t k = 0; k < p - device; ++k) triple(1, true);
        while (forwards[1] < forwards[0] || forwards[0] < slots) {
          if (forwards[0] < slots) emit(OpKind::Forward, 0);
          triple(0, false);
          triple(1, true);
        }
        for (std::uint32_t k = 0; k < device; ++k) {
          emit(OpKind::BackwardInput, 0);
          emit(OpKind::BackwardInput, 1);
        }
        for (std::uint32_t k = 0; k < p - device; ++k) triple(0, false);
        while (weights[1] < slots) emit(OpKind::BackwardWeight, 1);
        while (weights[0] < slots) emit(OpKind::BackwardWeight, 0);
      });
}

}  // namespace pipewise
