#include "tools/compare/measured_vs_predicted.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <unordered_map>

#include "common/ir/error.hpp"
#include "exec/core/profile_statistics.hpp"

namespace pipewise::tools {
namespace {

constexpr double kNanosecondsPerMs = 1e6;

double to_ms(std::int64_t ns) { return static_cast<double>(ns) / kNanosecondsPerMs; }

bool is_timed(OpKind kind) { return is_compute(kind) || kind == OpKind::OptimizerStep; }

struct OpHash {
  std::size_t operator()(const Op& op) const {
    std::uint64_t hash = static_cast<std::uint64_t>(op.kind);
    for (const std::uint64_t field : {std::uint64_t{op.stage}, std::uint64_t{op.microbatch},
                                      std::uint64_t{op.iteration}, std::uint64_t{op.weight_version}}) {
      hash = hash * 0x100000001b3ULL ^ field;
    }
    return static_cast<std::size_t>(hash);
  }
};

// The `quantile` (0..1) of sorted `values`, linearly interpolated between the closest ranks.
double sorted_quantile(const std::vector<double>& values, double quantile) {
  const double rank = quantile * static_cast<double>(values.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(rank));
  const std::size_t upper = std::min(lower + 1, values.size() - 1);
  return values[lower] + (rank - static_cast<double>(lower)) * (values[upper] - values[lower]);
}

void check_step_shape(const Schedule& schedule, const exec::StepIntervals& step, std::size_t index) {
  bool fits = step.size() == schedule.programs.size();
  for (std::size_t d = 0; fits && d < step.size(); ++d) fits = step[d].size() == schedule.programs[d].size();
  if (!fits) {
    throw Error("timed step " + std::to_string(index) + " does not time the schedule's programs");
  }
}

// Σ of the durations of the compute ops and optimizer steps device `device` ran in `step`.
std::int64_t busy_ns(const Schedule& schedule, const exec::StepIntervals& step, std::uint32_t device) {
  std::int64_t busy = 0;
  for (std::size_t i = 0; i < step[device].size(); ++i) {
    if (is_timed(schedule.programs[device][i].kind) && step[device][i].ran()) {
      busy += step[device][i].duration_ns();
    }
  }
  return busy;
}

std::int64_t step_end_ns(const exec::StepIntervals& step) {
  std::int64_t end = std::numeric_limits<std::int64_t>::min();
  for (const auto& device : step) {
    for (const exec::OpInterval& interval : device) {
      if (interval.ran()) end = std::max(end, interval.end_ns);
    }
  }
  return end;
}

}  // namespace

double relative_error(const Compared<double>& figure) {
  if (figure.predicted == 0.0) {
    return figure.measured == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return (figure.measured - figure.predicted) / figure.predicted;
}

ErrorDistribution error_distribution(std::vector<double> errors) {
  ErrorDistribution distribution;
  distribution.samples = errors.size();
  if (errors.empty()) return distribution;
  std::sort(errors.begin(), errors.end());
  distribution.median = sorted_quantile(errors, 0.5);
  distribution.p95 = sorted_quantile(errors, 0.95);
  return distribution;
}

RunComparison compare_run(const Schedule& schedule, const std::vector<exec::StepIntervals>& steps,
                          const std::vector<exec::MeasuredMemory>& memory,
                          const PredictedRun& prediction) {
  if (steps.empty()) throw Error("no timed step to compare with the prediction");
  if (memory.size() != schedule.programs.size()) {
    throw Error("memory peaks are given for " + std::to_string(memory.size()) +
                " devices but the schedule has " + std::to_string(schedule.programs.size()));
  }
  if (!prediction.result.timeline) throw Error("the prediction has no timeline to compare with");
  const sim::SimulationResult& predicted = prediction.result;
  std::unordered_map<Op, const OpSpan*, OpHash> predicted_spans;
  // Keyed without flags: the timeline marks both ops of an overlapped pair.
  const auto unflagged = [](Op op) {
    op.flags = 0;
    return op;
  };
  for (const OpSpan& span : predicted.timeline->ops) predicted_spans.emplace(unflagged(span.op), &span);

  RunComparison comparison;
  const double predicted_step = predicted.makespan_ms;
  std::vector<double> duration_errors;
  std::vector<double> start_errors;
  for (std::size_t index = 0; index < steps.size(); ++index) {
    const exec::StepIntervals& step = steps[index];
    check_step_shape(schedule, step, index);
    const std::int64_t start = exec::step_start_ns(step);
    comparison.step_ms.push_back(to_ms(step_end_ns(step) - start));
    for (std::uint32_t d = 0; d < step.size(); ++d) {
      for (std::size_t i = 0; i < step[d].size(); ++i) {
        const Op& op = schedule.programs[d][i];
        if (!is_timed(op.kind) || !step[d][i].ran()) continue;
        const auto found = predicted_spans.find(unflagged(op));
        if (found == predicted_spans.end()) {
          throw Error("op " + op_label(op, schedule.problem.microbatches) + " of stage " +
                      std::to_string(op.stage) + " is not in the prediction");
        }
        const OpSpan& span = *found->second;
        const double predicted_duration = span.end_ms - span.start_ms;
        if (predicted_duration > 0) {
          duration_errors.push_back(
              std::abs(to_ms(step[d][i].duration_ns()) - predicted_duration) / predicted_duration);
        }
        if (predicted_step > 0) {
          start_errors.push_back(std::abs(to_ms(step[d][i].start_ns - start) - span.start_ms) /
                                 predicted_step);
        }
      }
    }
  }
  comparison.op_duration_error = error_distribution(std::move(duration_errors));
  comparison.op_start_error = error_distribution(std::move(start_errors));

  std::vector<std::size_t> order(steps.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return comparison.step_ms[a] < comparison.step_ms[b];
  });
  comparison.median_step = order[(order.size() - 1) / 2];
  comparison.step_time_ms = {exec::median(comparison.step_ms), predicted_step};

  const exec::StepIntervals& median_step = steps[comparison.median_step];
  const double measured_step = comparison.step_ms[comparison.median_step];
  const auto devices = static_cast<std::uint32_t>(schedule.programs.size());
  double measured_idle = 0.0;
  for (std::uint32_t d = 0; d < devices; ++d) {
    const sim::DeviceStats& stats = predicted.devices[d];
    DeviceComparison device;
    device.device = d;
    device.busy_ms = {to_ms(busy_ns(schedule, median_step, d)), stats.busy_ms};
    device.idle_ratio = {
        measured_step > 0 ? 1.0 - device.busy_ms.measured / measured_step
                          : std::numeric_limits<double>::quiet_NaN(),
        predicted_step > 0 ? 1.0 - stats.busy_ms / predicted_step
                           : std::numeric_limits<double>::quiet_NaN()};
    device.peak_bytes = {static_cast<double>(memory[d].peak_bytes),
                         static_cast<double>(stats.peak_bytes)};
    device.peak_activation_bytes = {static_cast<double>(memory[d].peak_activation_bytes),
                                    static_cast<double>(stats.peak_activation_bytes)};
    device.peak_activations = {memory[d].peak_activations, stats.peak_activations};
    device.weight_versions = {memory[d].weight_versions, stats.weight_versions};
    measured_idle += measured_step - device.busy_ms.measured;
    comparison.devices.push_back(device);
  }
  // Undefined ratios (a step of 0 ms) are NaN: the run reports write them as null or n/a.
  constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
  comparison.bubble_ratio = {
      measured_step > 0 ? measured_idle / (devices * measured_step) : kUndefined,
      prediction.metrics.bubble_ratio.value_or(kUndefined)};
  return comparison;
}

}  // namespace pipewise::tools
