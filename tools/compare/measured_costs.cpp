#include "tools/compare/measured_costs.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "common/ir/error.hpp"
#include "tools/compare/cost_from_profile.hpp"

namespace pipewise::tools {
namespace {

constexpr double kFloatBytes = sizeof(float);

// `over` / `under`, or 1 when nothing was measured under it (a kind of op that takes no time).
double ratio(double over, double under) { return under > 0 ? over / under : 1.0; }

// One layer's (a one-layer stage's) times alone, B as one op split as `split_backward` says.
sim::StageCosts alone_costs(const exec::StageProfile& measured, bool split_backward) {
  sim::StageCosts costs;
  costs.forward = measured.forward_ms;
  costs.backward_weight = measured.backward_weight_ms;
  costs.backward_input =
      split_backward ? measured.backward_input_ms
                     : std::max(measured.backward_ms, measured.backward_weight_ms) - measured.backward_weight_ms;
  costs.optimizer_step = measured.optimizer_step_ms;
  return costs;
}

// The mean activation bytes of the boundaries between model stages on different devices.
double crossing_activation_bytes(const exec::MlpModel& model, const Problem& problem,
                                 std::uint32_t microbatch_size) {
  double bytes = 0;
  std::uint32_t boundaries = 0;
  for (std::uint32_t s = 0; s + 1 < model.stages(); ++s) {
    if (problem.device_of_stage(s) == problem.device_of_stage(s + 1)) continue;
    bytes += model.stage(s).output_width() * static_cast<double>(microbatch_size) * kFloatBytes;
    ++boundaries;
  }
  return boundaries > 0 ? bytes / boundaries : 0.0;
}

}  // namespace

sim::CostFileContents measured_cost_file(const exec::ExecutionProfile& in_pipeline,
                                         const exec::ExecutionProfile& layers_alone,
                                         const exec::MlpModel& model, const Problem& problem,
                                         const ProfileSetting& setting) {
  const std::uint32_t layers = model.config().layers();
  if (layers_alone.stages.size() != layers) {
    throw Error("the per-layer profile has " + std::to_string(layers_alone.stages.size()) +
                " layers but the model has " + std::to_string(layers));
  }
  const sim::CostConfig stages =
      cost_config_from_profile(in_pipeline, model, problem, setting.split_backward);
  sim::CostFileContents file;
  file.stages = stages.stages;
  file.communication = stages.communication;
  if (stages.data_parallel.replicas > 1) file.data_parallel = stages.data_parallel;

  sim::ProfileOrigin origin;
  origin.backend = setting.backend;
  origin.processes = setting.processes;
  origin.schedule = setting.schedule;
  origin.widths = model.config().widths;
  origin.microbatch_size = setting.microbatch_size;
  origin.optimizer = setting.optimizer;
  origin.model_stages = model.stages();
  sim::StageCosts pipeline_sum{0, 0, 0, 0};
  for (const sim::StageOverride& stage : stages.stages) {
    pipeline_sum.forward += stage.costs.forward.value_or(0);
    pipeline_sum.backward_input += stage.costs.backward_input.value_or(0);
    pipeline_sum.backward_weight += stage.costs.backward_weight.value_or(0);
    pipeline_sum.optimizer_step += stage.costs.optimizer_step.value_or(0);
  }
  sim::StageCosts alone_sum{0, 0, 0, 0};
  std::vector<sim::StageCosts> alone;
  for (const exec::StageProfile& layer : layers_alone.stages) {
    alone.push_back(alone_costs(layer, setting.split_backward));
    alone_sum.forward += alone.back().forward;
    alone_sum.backward_input += alone.back().backward_input;
    alone_sum.backward_weight += alone.back().backward_weight;
    alone_sum.optimizer_step += alone.back().optimizer_step;
  }
  sim::StageCosts& factor = origin.contention;
  factor.forward = ratio(pipeline_sum.forward, alone_sum.forward);
  factor.backward_input = ratio(pipeline_sum.backward_input, alone_sum.backward_input);
  factor.backward_weight = ratio(pipeline_sum.backward_weight, alone_sum.backward_weight);
  factor.optimizer_step = ratio(pipeline_sum.optimizer_step, alone_sum.optimizer_step);
  // Each layer takes the share of its stage's in-pipeline time that its time alone is of its
  // stage's layers' times alone: the stage's own factor, so that the layers of a stage sum to
  // what it measured, and a slowdown of the machine while the layers were timed alone cancels.
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    const exec::StageLayout& layout = model.stage(s);
    const sim::ComputeOverride& measured = stages.stages[s].costs;
    sim::StageCosts stage_alone{0, 0, 0, 0};
    for (std::uint32_t l = layout.first_layer; l < layout.first_layer + layout.layers(); ++l) {
      stage_alone.forward += alone[l].forward;
      stage_alone.backward_input += alone[l].backward_input;
      stage_alone.backward_weight += alone[l].backward_weight;
      stage_alone.optimizer_step += alone[l].optimizer_step;
    }
    const sim::StageCosts stage_factor{
        ratio(measured.forward.value_or(0), stage_alone.forward),
        ratio(measured.backward_input.value_or(0), stage_alone.backward_input),
        ratio(measured.backward_weight.value_or(0), stage_alone.backward_weight),
        ratio(measured.optimizer_step.value_or(0), stage_alone.optimizer_step)};
    // A stashing step's cost comes from its stage's footprint (the weights it reads and the
    // buffer it writes), not from its layers' alone: each layer's step share is scaled by
    // the stage's stashing step over its step, so that the layers sum to the stage's.
    const std::optional<double> stashing = measured.stashing_step;
    const double stashing_over_step =
        stashing ? ratio(*stashing, measured.optimizer_step.value_or(0)) : 1.0;
    for (std::uint32_t l = layout.first_layer; l < layout.first_layer + layout.layers(); ++l) {
      sim::StageCosts layer{alone[l].forward * stage_factor.forward,
                            alone[l].backward_input * stage_factor.backward_input,
                            alone[l].backward_weight * stage_factor.backward_weight,
                            alone[l].optimizer_step * stage_factor.optimizer_step};
      if (stashing) layer.stashing_step = layer.optimizer_step * stashing_over_step;
      origin.layers.push_back(layer);
    }
  }
  file.profile = origin;
  return file;
}

sim::CostConfig costs_for_run(const sim::CostConfig& file, const std::string& path,
                              const exec::MlpModel& model, const Problem& problem,
                              std::uint32_t microbatch_size, const std::string& optimizer) {
  const std::uint32_t model_stages = problem.model_stages();
  if (!file.profile) {
    for (std::uint32_t s = 0; s < model_stages; ++s) {
      const bool given = std::any_of(file.stages.begin(), file.stages.end(), [&](const sim::StageOverride& entry) {
        return entry.stage == s && entry.costs.forward.has_value();
      });
      if (!given) {
        throw Error(path + " gives no forward time for model stage " + std::to_string(s) + " of the " +
                    std::to_string(model_stages) + " this run splits the model into");
      }
    }
    return file;
  }
  const sim::ProfileOrigin& origin = *file.profile;
  if (origin.widths != model.config().widths) {
    throw Error(path + " profiled the model " + exec::widths_text(origin.widths) + "; this run trains " +
                exec::widths_text(model.config().widths));
  }
  if (origin.microbatch_size != microbatch_size) {
    throw Error(path + " profiled micro-batches of " + std::to_string(origin.microbatch_size) +
                " samples; this run has " + std::to_string(microbatch_size));
  }
  if (origin.optimizer != optimizer) {
    throw Error(path + " profiled the " + origin.optimizer + " optimizer; this run uses " + optimizer);
  }
  if (origin.model_stages == model_stages) return file;

  sim::CostConfig derived = file;
  derived.stages.clear();
  for (std::uint32_t s = 0; s < model_stages; ++s) {
    const exec::StageLayout& layout = model.stage(s);
    sim::StageCosts sum{0, 0, 0, 0};
    double stashing_sum = 0;
    for (std::uint32_t l = layout.first_layer; l < layout.first_layer + layout.layers(); ++l) {
      sum.forward += origin.layers[l].forward;
      sum.backward_input += origin.layers[l].backward_input;
      sum.backward_weight += origin.layers[l].backward_weight;
      sum.optimizer_step += origin.layers[l].optimizer_step;
      stashing_sum += origin.layers[l].stashing_step_time();
    }
    sim::StageOverride stage;
    stage.stage = s;
    stage.costs.forward = sum.forward;
    stage.costs.backward_input = sum.backward_input;
    stage.costs.backward_weight = sum.backward_weight;
    stage.costs.optimizer_step = sum.optimizer_step;
    stage.costs.stashing_step = stashing_sum;
    derived.stages.push_back(stage);
  }
  derived.communication.activation_bytes = crossing_activation_bytes(model, problem, microbatch_size);
  derived.communication.gradient_bytes = derived.communication.activation_bytes;
  derived.profile->model_stages = model_stages;
  return derived;
}

sim::CostConfig costs_at_split(const sim::CostConfig& file, const std::string& path, const Problem& problem) {
  const sim::ProfileOrigin& origin = *file.profile;
  if (problem.model_stages() > origin.layers.size()) {
    throw Error(path + " profiled a model of " + std::to_string(origin.layers.size()) +
                " layers, which cannot be split into " + std::to_string(problem.model_stages()) + " stages");
  }
  const exec::MlpModel model(exec::MlpConfig{origin.widths}, problem.model_stages());
  return costs_for_run(file, path, model, problem, origin.microbatch_size, origin.optimizer);
}

}  // namespace pipewise::tools
