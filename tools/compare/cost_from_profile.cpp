#include "tools/compare/cost_from_profile.hpp"

#include <algorithm>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::tools {
namespace {

constexpr std::uint64_t kFloatBytes = sizeof(float);

}  // namespace

std::uint64_t stage_stash_bytes(const exec::MlpModel& model, std::uint32_t stage, std::uint32_t rows) {
  const exec::StageLayout& layout = model.stage(stage);
  std::uint64_t floats = stage > 0 ? layout.input_width() : 0;
  for (std::uint32_t l = 0; l < layout.layers(); ++l) floats += layout.widths[l + 1];
  return floats * rows * kFloatBytes;
}

sim::CostConfig cost_config_from_profile(const exec::ExecutionProfile& profile, const exec::MlpModel& model,
                                         const Problem& problem, bool split_backward) {
  if (model.stages() != problem.model_stages()) {
    throw Error("the model has " + std::to_string(model.stages()) +
                " stages but the problem has " + std::to_string(problem.model_stages()));
  }
  if (profile.stages.size() != model.stages()) {
    throw Error("the profile has " + std::to_string(profile.stages.size()) +
                " stages but the model has " + std::to_string(model.stages()));
  }
  sim::CostConfig config;
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    const exec::StageProfile& measured = profile.stages[s];
    sim::StageOverride stage;
    stage.stage = s;
    stage.costs.forward = measured.forward_ms;
    stage.costs.optimizer_step = measured.optimizer_step_ms;
    if (measured.stashing_step_ms > 0) stage.costs.stashing_step = measured.stashing_step_ms;
    if (split_backward) {
      stage.costs.backward_input = measured.backward_input_ms;
      stage.costs.backward_weight = measured.backward_weight_ms;
    } else {
      const double backward = std::max(measured.backward_ms, measured.backward_weight_ms);
      stage.costs.backward_input = backward - measured.backward_weight_ms;
      stage.costs.backward_weight = measured.backward_weight_ms;
    }
    config.stages.push_back(stage);
  }

  sim::CommunicationCosts& comm = config.communication;
  comm.latency_ms = profile.transfer.latency_ms;
  comm.bandwidth_gb_per_s = profile.transfer.bandwidth_gb_per_s();
  comm.mode = sim::CommMode::Overlapped;
  double boundary_bytes = 0.0;
  std::uint32_t boundaries = 0;
  for (std::uint32_t s = 0; s + 1 < model.stages(); ++s) {
    if (problem.device_of_stage(s) == problem.device_of_stage(s + 1)) continue;
    boundary_bytes += static_cast<double>(profile.stages[s].output_bytes);
    ++boundaries;
  }
  if (boundaries > 0) {
    comm.activation_bytes = boundary_bytes / boundaries;
    comm.gradient_bytes = comm.activation_bytes;
  }

  // The simulator's ring all-reduce takes 2(d−1)·latency + 2(d−1)/d · bytes / bandwidth: the
  // fitted latency + bytes · ms_per_byte, read as a ring. The backends all-reduce a stage's
  // gradient when its optimizer step starts, so the device waits for it.
  const exec::AllReduceProfile& allreduce = profile.data_parallel;
  if (allreduce.replicas > 1) {
    sim::DataParallelCosts& dp = config.data_parallel;
    const double d = allreduce.replicas;
    dp.replicas = allreduce.replicas;
    dp.latency_ms = allreduce.latency_ms / (2 * (d - 1));
    dp.bandwidth_gb_per_s =
        allreduce.ms_per_byte > 0 ? 2 * (d - 1) / d / (allreduce.ms_per_byte * 1e6) : 0.0;
    dp.overlap_with_cooldown = false;
  }
  return config;
}

sim::MemoryConfig device_memory_config(const exec::MlpModel& model, const Problem& problem,
                                       std::uint32_t device, std::uint32_t rows,
                                       const exec::OptimizerConfig& optimizer) {
  std::uint64_t parameters = 0;
  std::uint64_t layers = 0;
  std::uint64_t stash = 0;
  std::uint64_t last_outputs = 0;
  std::uint32_t stages_on_device = 0;
  // Every schedule stage on the device: with bidirectional placement a device holds one
  // stage of each model copy.
  for (std::uint32_t s = 0; s < problem.stages(); ++s) {
    if (problem.device_of_stage(s) != device) continue;
    ++stages_on_device;
    const std::uint32_t model_stage = problem.model_stage_of(s);
    const exec::StageLayout& layout = model.stage(model_stage);
    parameters += layout.parameter_count;
    layers += layout.layers();
    stash += stage_stash_bytes(model, model_stage, rows);
    last_outputs += std::uint64_t{layout.output_width()} * rows * kFloatBytes;
  }
  // The simulator charges each stage 1/stages_per_device_share() of a share: one share for
  // v looped or V-shaped chunks, one per stage (two per device) with bidirectional placement.
  const double shares = static_cast<double>(stages_on_device) / problem.stages_per_device_share();
  sim::MemoryConfig memory;
  memory.optimizer = optimizer.kind == exec::OptimizerKind::Adam ? sim::Optimizer::Adam
                     : optimizer.momentum > 0            ? sim::Optimizer::Momentum
                                                         : sim::Optimizer::Sgd;
  memory.parameter_bytes = static_cast<double>(parameters * kFloatBytes) / shares;
  memory.optimizer_state_bytes =
      static_cast<double>(parameters * optimizer.state_per_parameter() * kFloatBytes) / shares;
  memory.layers = static_cast<double>(layers) / shares;
  memory.activation_bytes_per_layer = static_cast<double>(stash) / static_cast<double>(layers);
  memory.weight_gradient_fraction =
      static_cast<double>(stash - last_outputs) / static_cast<double>(stash);
  // With bidirectional placement a stage's optimizer step receives the other copy's gradient
  // and holds it while it adds it to its own (CpuBackend::optimizer_step).
  if (problem.bidirectional()) memory.step_working_bytes = memory.parameter_bytes;
  return memory;
}

}  // namespace pipewise::tools
