// v-min: Qi, Wan, Amar and Lin, "Pipeline Parallelism with Controllable Memory", NeurIPS
// 2024 (arXiv 2405.15362), the V-shape schedule with the least activation memory,
// (p+4)/3 micro-batches of a device's share (rounded down; about a third of 1F1B's p),
// for a bubble of about two thirds of 1F1B's. Its building block on device d (sail-sg's
// zbv_greedy.py, stable_pattern_v_min): chunk-0 forward at slot d, chunk-1 forward at
// 2p-1-d, chunk-1 input gradient at 2p+δ+d and chunk-0 input gradient at 4p+δ-1-d, with
// δ = 2 when 3 divides p and 0 otherwise, so that the blocks repeated every 6 slots never
// collide; see building_block.hpp for how the block becomes programs.
#include "common/schedules/building_block.hpp"
#include "common/schedules/generators.hpp"

namespace pipewise {
namespace {

BlockOffsets v_min_block(std::uint32_t devices, std::uint32_t device) {
  const std::uint64_t p = devices;
  const std::uint64_t d = device;
  const std::uint64_t delta = p % 3 == 0 ? 2 : 0;
  return {d, 2 * p - 1 - d, 2 * p + delta + d, 4 * p + delta - 1 - d};
}

}  // namespace

Status v_min_rules(const Problem& problem) { return v_shape_rules("v-min", problem); }

Schedule generate_v_min(const Problem& problem) {
  return repeated_block_schedule("v-min", problem, v_min_block);
}

}  // namespace pipewise
