#include "tools/compare/pipeline_profile.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <numeric>
#include <string>
#include <tuple>

#include "common/ir/dependencies.hpp"
#include "common/ir/error.hpp"
#include "exec/core/profile_statistics.hpp"
#include "exec/core/weight_lifetimes.hpp"

namespace pipewise::tools {
namespace {

constexpr double kNanosecondsPerMs = 1e6;

// Durations in ms of one stage's ops, by kind.
using Samples = std::array<std::vector<double>, kOpKindCount>;

std::vector<double>& of(Samples& samples, OpKind kind) { return samples[static_cast<int>(kind)]; }

double mean(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// A message: gradient or activation, the stage that sends it, micro-batch, iteration.
using MessageKey = std::tuple<bool, std::uint32_t, std::uint32_t, std::uint32_t>;

void check_step(const Schedule& schedule, const exec::StepIntervals& step) {
  bool fits = step.size() == schedule.programs.size();
  for (std::size_t d = 0; fits && d < step.size(); ++d) fits = step[d].size() == schedule.programs[d].size();
  if (!fits) throw Error("a profiled step does not time the schedule's programs");
}

// Bytes a message from schedule stage `stage` carries: its output forward, its input (the
// previous stage's output) backward. The profile is per model stage.
double message_bytes(const exec::ExecutionProfile& profile, const Problem& problem, bool gradient,
                     std::uint32_t stage) {
  const std::uint32_t model_stage = problem.model_stage_of(stage);
  return static_cast<double>(profile.stages[gradient ? model_stage - 1 : model_stage].output_bytes);
}

// Hand-over times in ms, less their bytes' time, of the messages of `step` that found their
// receiver waiting.
void add_handovers(const exec::ExecutionProfile& isolated, const Schedule& schedule,
                   const exec::StepIntervals& step, std::vector<double>& handovers) {
  std::map<MessageKey, exec::OpInterval> sends;
  for (std::size_t d = 0; d < step.size(); ++d) {
    for (std::size_t i = 0; i < step[d].size(); ++i) {
      const Op& op = schedule.programs[d][i];
      if (!is_send(op.kind) || !step[d][i].ran()) continue;
      sends[{op.kind == OpKind::SendGrad, op.stage, op.microbatch, op.iteration}] = step[d][i];
    }
  }
  for (std::size_t d = 0; d < step.size(); ++d) {
    for (std::size_t i = 0; i < step[d].size(); ++i) {
      const Op& op = schedule.programs[d][i];
      if (!is_recv(op.kind) || !step[d][i].ran()) continue;
      const bool gradient = op.kind == OpKind::RecvGrad;
      const std::uint32_t sender = peer_stage(op);
      const auto send = sends.find({gradient, sender, op.microbatch, op.iteration});
      if (send == sends.end() || step[d][i].start_ns > send->second.start_ns) continue;
      const double handover =
          static_cast<double>(step[d][i].end_ns - send->second.start_ns) / kNanosecondsPerMs;
      handovers.push_back(handover -
                          message_bytes(isolated, schedule.problem, gradient, sender) * isolated.transfer.ms_per_byte);
    }
  }
}

// The in-pipeline times of `stage`'s optimizer steps, in place and stashing, from each
// step's mean of those that ran (either may be empty): the median of what ran, and for a kind
// that did not run its time alone times the factor by which the other kind ran slower inside
// the pipeline than alone (both alone when neither ran).
void set_step_times(exec::StageProfile& stage, const std::vector<double>& in_place,
                    const std::vector<double>& stashing) {
  const double in_place_alone = stage.optimizer_step_ms;
  const double stashing_alone = stage.stashing_step_ms;
  if (!in_place.empty()) stage.optimizer_step_ms = exec::median(in_place);
  if (!stashing.empty()) stage.stashing_step_ms = exec::median(stashing);
  if (!in_place.empty() && stashing.empty() && in_place_alone > 0) {
    stage.stashing_step_ms = stashing_alone * stage.optimizer_step_ms / in_place_alone;
  } else if (in_place.empty() && !stashing.empty() && stashing_alone > 0) {
    stage.optimizer_step_ms = in_place_alone * stage.stashing_step_ms / stashing_alone;
  }
}

}  // namespace

exec::ExecutionProfile profile_from_steps(const exec::ExecutionProfile& isolated, const Schedule& schedule,
                                    const std::vector<exec::StepIntervals>& steps) {
  // Per model stage: both copies of a bidirectional schedule's stage pool their samples.
  const std::uint32_t stages = schedule.problem.model_stages();
  if (isolated.stages.size() != stages) {
    throw Error("the profile has " + std::to_string(isolated.stages.size()) +
                " stages but the schedule has " + std::to_string(stages));
  }
  // Per stage and kind, and for the hand-overs: the mean of every step that had any. Optimizer
  // steps that keep the version they replace (weight stashing) are timed apart.
  const std::vector<exec::DeviceWeightLifetimes> lifetimes = exec::plan_weight_lifetimes(schedule);
  std::vector<Samples> step_means(stages);
  std::vector<std::vector<double>> stashing_means(stages);
  std::vector<double> handover_means;
  for (const exec::StepIntervals& step : steps) {
    check_step(schedule, step);
    std::vector<Samples> samples(stages);
    std::vector<std::vector<double>> stashing(stages);
    for (std::size_t d = 0; d < step.size(); ++d) {
      const auto& program = schedule.programs[d];
      for (std::size_t i = 0; i < program.size(); ++i) {
        const Op& op = program[i];
        if (is_communication(op.kind) || !step[d][i].ran()) continue;
        const std::uint32_t s = schedule.problem.model_stage_of(op.stage);
        const bool stashes = op.kind == OpKind::OptimizerStep && lifetimes[d].keep_previous[i] != 0;
        (stashes ? stashing[s] : of(samples[s], op.kind))
            .push_back(static_cast<double>(step[d][i].duration_ns()) / kNanosecondsPerMs);
      }
    }
    for (std::uint32_t s = 0; s < stages; ++s) {
      for (int kind = 0; kind < kOpKindCount; ++kind) {
        if (!samples[s][kind].empty()) step_means[s][kind].push_back(mean(samples[s][kind]));
      }
      if (!stashing[s].empty()) stashing_means[s].push_back(mean(stashing[s]));
    }
    std::vector<double> handovers;
    add_handovers(isolated, schedule, step, handovers);
    if (!handovers.empty()) handover_means.push_back(mean(handovers));
  }

  exec::ExecutionProfile profile = isolated;
  for (std::uint32_t s = 0; s < stages; ++s) {
    exec::StageProfile& stage = profile.stages[s];
    Samples& measured = step_means[s];
    const auto typical = [&](OpKind kind, double fallback) {
      const std::vector<double>& means = of(measured, kind);
      return means.empty() ? fallback : exec::median(means);
    };
    stage.forward_ms = typical(OpKind::Forward, stage.forward_ms);
    // With data parallelism a measured step also waits for the all-reduce, which the
    // simulator charges on its own: the step keeps its time alone.
    if (isolated.data_parallel.replicas <= 1) {
      set_step_times(stage, of(measured, OpKind::OptimizerStep), stashing_means[s]);
    }
    if (!of(measured, OpKind::Backward).empty()) {
      const double whole = exec::median(of(measured, OpKind::Backward));
      const double isolated_whole = stage.backward_input_ms + stage.backward_weight_ms;
      const double weight_share = isolated_whole > 0 ? stage.backward_weight_ms / isolated_whole : 0.5;
      stage.backward_ms = whole;
      stage.backward_weight_ms = whole * weight_share;
      stage.backward_input_ms = whole - stage.backward_weight_ms;
    } else {
      stage.backward_input_ms = typical(OpKind::BackwardInput, stage.backward_input_ms);
      stage.backward_weight_ms = typical(OpKind::BackwardWeight, stage.backward_weight_ms);
      stage.backward_ms = stage.backward_input_ms + stage.backward_weight_ms;
    }
  }
  if (!handover_means.empty()) profile.transfer.latency_ms = std::max(0.0, exec::median(handover_means));
  return profile;
}

}  // namespace pipewise::tools
