// v-half: Qi, Wan, Amar and Lin, "Pipeline Parallelism with Controllable Memory", NeurIPS
// 2024 (arXiv 2405.15362), the V-shape schedule that holds half of 1F1B's activation
// memory, (p+2)/2 micro-batches of a device's share (rounded down) instead of p, for about
// half of 1F1B's bubble. Its building block on device d (sail-sg's zbv_greedy.py,
// stable_pattern_v_half): chunk-0 forward at slot 2d, chunk-1 forward at 3p-2-d, chunk-1
// input gradient at 3p+δ+2d-1 and chunk-0 input gradient at 6p+δ-d-2, with δ = 3 when p is
// even and 0 when odd, so that the blocks repeated every 6 slots never collide; see
// building_block.hpp for how the block becomes programs.
#include "common/schedules/building_block.hpp"
#include "common/schedules/generators.hpp"

namespace pipewise {
namespace {

BlockOffsets v_half_block(std::uint32_t devices, std::uint32_t device) {
  const std::uint64_t p = devices;
  const std::uint64_t d = device;
  const std::uint64_t delta = p % 2 == 0 ? 3 : 0;
  return {2 * d, 3 * p - 2 - d, 3 * p + delta + 2 * d - 1, 6 * p + delta - d - 2};
}

}  // namespace

Status v_half_rules(const Problem& problem) { return v_shape_rules("v-half", problem); }

Schedule generate_v_half(const Problem& problem) {
  return repeated_block_schedule("v-half", problem, v_half_block);
}

}  // namespace pipewise
