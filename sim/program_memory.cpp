#include "sim/program_memory.hpp"

#include <algorithm>
#include <limits>

#include "common/ir/weight_versions.hpp"
#include "sim/activation_effects.hpp"

namespace pipewise::sim {
namespace {

constexpr std::uint64_t kSaturated = std::numeric_limits<std::uint64_t>::max();

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? kSaturated : sum;
}

std::uint64_t saturating_multiply(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? kSaturated : product;
}

// The most activation bytes `program` holds at once: each op's allocation at its start, then
// its frees at its end (an overlapped pair allocates both ops' bytes before its backward
// frees, which is this order too).
std::uint64_t peak_activations(const std::vector<Op>& program, const std::vector<ActivationEffects>& effects) {
  std::uint64_t held = 0;
  std::uint64_t peak = 0;
  for (const Op& op : program) {
    const ActivationEffects& stage = effects[op.stage];
    switch (op.kind) {
      case OpKind::Forward:
        held = saturating_add(held, stage.forward_bytes);
        break;
      case OpKind::Backward:
      case OpKind::BackwardInput:
        held = saturating_add(held, stage.rebuilt_bytes);
        break;
      case OpKind::OptimizerStep:
        held = saturating_add(held, stage.step_bytes);
        break;
      default:
        break;
    }
    peak = std::max(peak, held);
    if (held == kSaturated) return kSaturated;
    switch (op.kind) {
      case OpKind::Backward:
        held -= stage.backward_frees;
        break;
      case OpKind::BackwardInput:
        held -= stage.input_frees;
        break;
      case OpKind::BackwardWeight:
        held -= stage.weight_frees;
        break;
      case OpKind::OptimizerStep:
        held -= stage.step_bytes;
        break;
      default:
        break;
    }
  }
  return peak;
}

}  // namespace

std::vector<ProgramMemoryPeak> program_memory_peaks(const Schedule& schedule, const CostModel& costs) {
  const Problem& problem = schedule.problem;
  std::vector<ActivationEffects> effects(problem.stages());
  for (std::uint32_t s = 0; s < problem.stages(); ++s) effects[s] = activation_effects(costs, s);
  const std::vector<std::uint32_t> versions = weight_versions_held(schedule);
  std::vector<ProgramMemoryPeak> peaks(problem.devices);
  for (std::uint32_t s = 0; s < problem.stages(); ++s) {
    const std::uint32_t device = problem.device_of_stage(s);
    const StageMemory& memory = costs.stage_memory(s);
    const std::uint64_t copies = std::max<std::uint32_t>(versions[device], 1);
    std::uint64_t& bytes = peaks[device].static_bytes;
    bytes = saturating_add(bytes, saturating_multiply(memory.parameter_bytes, copies));
    bytes = saturating_add(bytes, memory.gradient_bytes);
    bytes = saturating_add(bytes, memory.optimizer_state_bytes);
  }
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    ProgramMemoryPeak& peak = peaks[d];
    peak.peak_activation_bytes = peak_activations(schedule.programs[d], effects);
    peak.peak_bytes = saturating_add(peak.static_bytes, peak.peak_activation_bytes);
  }
  return peaks;
}

}  // namespace pipewise::sim
