#include "sim/activation_effects.hpp"

#include <algorithm>

namespace pipewise::sim {

ActivationEffects activation_effects(const CostModel& costs, std::uint32_t stage) {
  const StageMemory& memory = costs.stage_memory(stage);
  const bool recompute = costs.recompute();
  const std::uint64_t rebuilt = recompute ? memory.working_set_bytes : memory.stash_bytes;
  const std::uint64_t kept = recompute ? memory.boundary_bytes : 0;
  ActivationEffects effects;
  effects.forward_bytes = recompute ? memory.boundary_bytes : memory.stash_bytes;
  effects.rebuilt_bytes = recompute ? memory.working_set_bytes : 0;
  effects.backward_frees = rebuilt + kept;
  effects.input_frees = rebuilt - std::min(rebuilt, memory.weight_gradient_bytes);
  effects.weight_frees = std::min(rebuilt, memory.weight_gradient_bytes) + kept;
  effects.step_bytes = memory.step_working_bytes;
  return effects;
}

std::uint64_t synchronous_static_bytes(const CostModel& costs, std::uint32_t device) {
  const Problem& problem = costs.problem();
  std::uint64_t bytes = 0;
  for (std::uint32_t stage = 0; stage < problem.stages(); ++stage) {
    if (problem.device_of_stage(stage) != device) continue;
    const StageMemory& memory = costs.stage_memory(stage);
    bytes += memory.parameter_bytes + memory.gradient_bytes + memory.optimizer_state_bytes;
  }
  return bytes;
}

}  // namespace pipewise::sim
