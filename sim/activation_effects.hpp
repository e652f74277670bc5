#pragma once
// What each op of a stage does to its device's memory under the simulator's model
// (MemoryConfig in cost_model.hpp), in bytes, resolved once per stage. The engine charges
// memory with these, and a scheduler that must keep a device under a memory cap
// (tools/search) predicts the engine's peaks with the same numbers.
#include <cstdint>

#include "sim/cost_model.hpp"

namespace pipewise::sim {

struct ActivationEffects {
  std::uint64_t forward_bytes = 0;   // allocated when F starts (the stash, or the boundary)
  std::uint64_t rebuilt_bytes = 0;   // allocated when B or I starts (recompute working set)
  std::uint64_t backward_frees = 0;  // released when B ends
  std::uint64_t input_frees = 0;     // released when I ends
  std::uint64_t weight_frees = 0;    // released when W ends (I's and W's add up to B's)
  std::uint64_t step_bytes = 0;      // held from the start to the end of its optimizer step
};

// The effects of stage `stage`'s ops. REQUIRES: stage < costs.problem().stages().
ActivationEffects activation_effects(const CostModel& costs, std::uint32_t stage);

// The static bytes (weights, gradients and optimizer state) of device `device` in a
// synchronous schedule, which holds one weight version of each of its stages.
std::uint64_t synchronous_static_bytes(const CostModel& costs, std::uint32_t device);

}  // namespace pipewise::sim
