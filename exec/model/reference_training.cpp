#include "exec/model/reference_training.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "common/ir/error.hpp"
#include "exec/model/stage_math.hpp"

namespace pipewise::exec {
namespace {

// Runs micro-batch g forward and backward through every stage, stage s reading
// parameters[s], and adds each stage's parameter gradient into gradients[s]. Returns the loss.
float accumulate_microbatch(const MlpModel& model, const SyntheticTask& task, std::uint64_t g,
                            const std::vector<const float*>& parameters,
                            std::vector<std::vector<float>>& gradients) {
  const std::uint32_t rows = task.rows();
  const std::uint32_t stages = model.stages();
  const auto buffers_for = [rows](const StageLayout& layout) {
    std::vector<std::vector<float>> buffers(layout.layers());
    for (std::uint32_t l = 0; l < layout.layers(); ++l) {
      buffers[l].resize(std::size_t{rows} * layout.widths[l + 1]);
    }
    return buffers;
  };
  std::vector<std::vector<std::vector<float>>> outputs(stages);
  float loss = 0.0f;
  for (std::uint32_t s = 0; s < stages; ++s) {
    const StageLayout& layout = model.stage(s);
    outputs[s] = buffers_for(layout);
    const float* input = s == 0 ? task.inputs(g) : outputs[s - 1].back().data();
    loss = stage_forward(layout, parameters[s], input, rows, outputs[s], task.labels(g));
  }
  std::vector<float> output_grad;  // dLoss/d(output) of the stage being processed
  for (std::uint32_t s = stages; s-- > 0;) {
    const StageLayout& layout = model.stage(s);
    std::vector<std::vector<float>> grads = buffers_for(layout);
    grads.back() = layout.computes_loss ? outputs[s].back() : output_grad;
    std::vector<float> input_grad(s > 0 ? std::size_t{rows} * layout.input_width() : 0);
    stage_backward_input(layout, parameters[s], rows, outputs[s], grads, task.labels(g),
                         s > 0 ? input_grad.data() : nullptr);
    const float* input = s == 0 ? task.inputs(g) : outputs[s - 1].back().data();
    stage_backward_weight(layout, rows, input, outputs[s], grads, gradients[s].data());
    output_grad = std::move(input_grad);
  }
  return loss;
}

// gradient /= count (a step over no micro-batch applies a zero gradient).
void average(std::vector<float>& gradient, std::uint32_t count) {
  const float scale = count == 0 ? 0.0f : 1.0f / static_cast<float>(count);
  for (float& value : gradient) value *= scale;
}

}  // namespace

TrainedModel train_synchronous_reference(const MlpModel& model, const SyntheticTask& task,
                                         const OptimizerConfig& optimizer,
                                         std::uint32_t microbatches, std::uint32_t iterations) {
  optimizer.check();
  const std::uint32_t stages = model.stages();
  TrainedModel trained;
  std::vector<OptimizerState> states;
  for (std::uint32_t s = 0; s < stages; ++s) {
    trained.parameters.push_back(model.initial_parameters(s));
    trained.last_gradients.emplace_back(trained.parameters[s].size(), 0.0f);
    states.push_back(make_optimizer_state(optimizer, trained.parameters[s].size()));
  }
  std::vector<const float*> parameters(stages);
  for (std::uint32_t s = 0; s < stages; ++s) parameters[s] = trained.parameters[s].data();
  for (std::uint32_t iteration = 0; iteration < iterations; ++iteration) {
    for (auto& gradient : trained.last_gradients) std::fill(gradient.begin(), gradient.end(), 0.0f);
    for (std::uint32_t mb = 0; mb < microbatches; ++mb) {
      const std::uint64_t g = std::uint64_t{iteration} * microbatches + mb;
      trained.losses.push_back(
          accumulate_microbatch(model, task, g, parameters, trained.last_gradients));
    }
    for (std::uint32_t s = 0; s < stages; ++s) {
      average(trained.last_gradients[s], microbatches);
      apply_optimizer_step(optimizer, states[s], trained.parameters[s], trained.last_gradients[s]);
    }
  }
  return trained;
}

namespace {

constexpr std::uint32_t kMissing = std::numeric_limits<std::uint32_t>::max();

// What the schedule says about one stage: the version each micro-batch's forward reads,
// the step that consumes each micro-batch's gradient, and how many each step consumes.
struct StagePlan {
  std::vector<std::uint32_t> forward_version;  // per micro-batch g
  std::vector<std::uint32_t> consuming_step;   // per micro-batch g (== steps: never applied)
  std::vector<std::uint32_t> step_members;     // per step
  std::uint32_t steps = 0;
};

std::vector<StagePlan> read_stage_plans(const Schedule& schedule, std::uint32_t stages) {
  const Problem& problem = schedule.problem;
  const std::uint64_t total = std::uint64_t{problem.microbatches} * problem.iterations;
  std::vector<StagePlan> plans(stages);
  for (auto& plan : plans) {
    plan.forward_version.assign(total, kMissing);
    plan.consuming_step.assign(total, kMissing);
  }
  for (const auto& program : schedule.programs) {
    for (const Op& op : program) {
      if (op.stage >= stages) {
        throw Error("op " + op_label(op, problem.microbatches) + " names stage " +
                    std::to_string(op.stage) + " but the model has " + std::to_string(stages));
      }
      StagePlan& plan = plans[op.stage];
      if (op.kind == OpKind::OptimizerStep) {
        ++plan.steps;
        continue;
      }
      if (is_communication(op.kind)) continue;
      if (op.microbatch >= problem.microbatches || op.iteration >= problem.iterations) {
        throw Error("op " + op_label(op, problem.microbatches) +
                    " names a micro-batch outside the problem");
      }
      const std::uint64_t g = std::uint64_t{op.iteration} * problem.microbatches + op.microbatch;
      if (op.kind == OpKind::Forward) plan.forward_version[g] = op.weight_version;
      if (op.kind == OpKind::Backward || op.kind == OpKind::BackwardWeight) {
        plan.consuming_step[g] = plan.steps;
      }
    }
  }
  for (std::uint32_t s = 0; s < stages; ++s) {
    StagePlan& plan = plans[s];
    plan.step_members.assign(plan.steps, 0);
    for (std::uint64_t g = 0; g < total; ++g) {
      const auto what = [&] {
        return "stage " + std::to_string(s) + " micro-batch " +
               std::to_string(g % problem.microbatches) + " of iteration " +
               std::to_string(g / problem.microbatches);
      };
      if (plan.forward_version[g] == kMissing) throw Error(what() + " has no forward in the schedule");
      if (plan.consuming_step[g] == kMissing) throw Error(what() + " has no backward in the schedule");
      if (plan.forward_version[g] > plan.steps) {
        throw Error("the forward of " + what() + " reads weight version " +
                    std::to_string(plan.forward_version[g]) + " but the stage takes only " +
                    std::to_string(plan.steps) + " optimizer steps");
      }
      if (plan.consuming_step[g] < plan.steps) ++plan.step_members[plan.consuming_step[g]];
    }
  }
  return plans;
}

}  // namespace

TrainedModel train_following_schedule(const MlpModel& model, const SyntheticTask& task,
                                      const OptimizerConfig& optimizer, const Schedule& schedule) {
  optimizer.check();
  const Problem& problem = schedule.problem;
  const std::uint32_t stages = model.stages();
  if (problem.stages() != stages) {
    throw Error("the model has " + std::to_string(stages) + " stages but the schedule has " +
                std::to_string(problem.stages()));
  }
  const std::vector<StagePlan> plans = read_stage_plans(schedule, stages);
  const std::uint64_t total = std::uint64_t{problem.microbatches} * problem.iterations;

  // versions[s][k]: parameters of version k while some micro-batch or step still reads it.
  std::vector<std::vector<std::optional<std::vector<float>>>> versions(stages);
  std::vector<std::vector<std::uint32_t>> readers_left(stages);
  std::vector<std::vector<std::vector<float>>> sums(stages);       // per step
  std::vector<std::vector<std::uint32_t>> arrived(stages);          // per step
  std::vector<std::uint32_t> next_step(stages, 0);
  std::vector<OptimizerState> states;
  TrainedModel trained;
  trained.losses.assign(total, 0.0f);
  for (std::uint32_t s = 0; s < stages; ++s) {
    const StagePlan& plan = plans[s];
    versions[s].resize(plan.steps + 1);
    versions[s][0] = model.initial_parameters(s);
    readers_left[s].assign(plan.steps + 1, 0);
    for (std::uint32_t k = 0; k < plan.steps; ++k) ++readers_left[s][k];  // step k reads k
    for (std::uint64_t g = 0; g < total; ++g) ++readers_left[s][plan.forward_version[g]];
    sums[s].resize(plan.steps + 1);
    arrived[s].assign(plan.steps + 1, 0);
    states.push_back(make_optimizer_state(optimizer, model.stage(s).parameter_count));
    trained.last_gradients.emplace_back(model.stage(s).parameter_count, 0.0f);
  }
  const auto read_done = [&](std::uint32_t s, std::uint32_t k) {
    if (--readers_left[s][k] == 0 && k < plans[s].steps) versions[s][k].reset();
  };
  // Takes every step of every stage whose micro-batches have all arrived.
  const auto take_ready_steps = [&] {
    for (std::uint32_t s = 0; s < stages; ++s) {
      for (std::uint32_t& k = next_step[s]; k < plans[s].steps; ++k) {
        if (arrived[s][k] < plans[s].step_members[k]) break;
        std::vector<float> gradient = std::move(sums[s][k]);
        gradient.resize(model.stage(s).parameter_count, 0.0f);
        average(gradient, plans[s].step_members[k]);
        std::vector<float> next(versions[s][k]->size());
        apply_optimizer_step(optimizer, states[s], *versions[s][k], next, gradient);
        versions[s][k + 1] = std::move(next);
        trained.last_gradients[s] = std::move(gradient);
        read_done(s, k);
      }
    }
  };

  std::vector<bool> done(total, false);
  std::uint64_t remaining = total;
  std::vector<const float*> parameters(stages);
  std::vector<std::vector<float>> gradients(stages);
  take_ready_steps();
  while (remaining > 0) {
    bool progressed = false;
    for (std::uint64_t g = 0; g < total; ++g) {
      if (done[g]) continue;
      bool ready = true;
      for (std::uint32_t s = 0; s < stages && ready; ++s) {
        const auto& version = versions[s][plans[s].forward_version[g]];
        ready = version.has_value();
        if (ready) parameters[s] = version->data();
      }
      if (!ready) continue;
      for (std::uint32_t s = 0; s < stages; ++s) {
        gradients[s].assign(model.stage(s).parameter_count, 0.0f);
      }
      trained.losses[g] = accumulate_microbatch(model, task, g, parameters, gradients);
      for (std::uint32_t s = 0; s < stages; ++s) {
        const std::uint32_t step = plans[s].consuming_step[g];
        auto& sum = sums[s][step];
        if (sum.empty()) {
          sum = std::move(gradients[s]);
        } else {
          for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += gradients[s][i];
        }
        ++arrived[s][step];
        read_done(s, plans[s].forward_version[g]);
      }
      done[g] = true;
      --remaining;
      progressed = true;
      take_ready_steps();
    }
    if (!progressed) {
      throw Error("the schedule's weight versions cannot be produced in any order: " +
                  std::to_string(remaining) + " micro-batches wait on versions that never exist");
    }
  }
  for (std::uint32_t s = 0; s < stages; ++s) {
    trained.parameters.push_back(std::move(*versions[s][plans[s].steps]));
  }
  return trained;
}

}  // namespace pipewise::exec
