#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/core/measured_memory.hpp"
#include "tools/compare/predicted_run.hpp"

// A measured run of a schedule set beside the simulator's prediction of it.

namespace pipewise::tools {

// One figure as measured and as predicted.
template <class T>
struct Compared {
  T measured{};
  T predicted{};
};

// (measured − predicted) / predicted: +0.05 means 5% more than predicted. 0 when both are 0;
// +infinity when only the prediction is 0.
double relative_error(const Compared<double>& figure);

// Where a set of non-negative errors lies.
struct ErrorDistribution {
  std::size_t samples = 0;
  double median = 0.0;
  double p95 = 0.0;  // 95th percentile, linearly interpolated between the closest ranks
};

// The median and 95th percentile of `errors` (all zero for no errors).
ErrorDistribution error_distribution(std::vector<double> errors);

// One device of the median step (see RunComparison).
struct DeviceComparison {
  std::uint32_t device = 0;
  Compared<double> busy_ms;     // compute: F, B, I, W and optimizer steps
  Compared<double> idle_ratio;  // 1 − busy / step time: the device's bubble
  Compared<double> peak_bytes;  // everything held at once
  Compared<double> peak_activation_bytes;
  Compared<std::uint32_t> peak_activations;  // micro-batch stashes alive at once
  Compared<std::uint32_t> weight_versions;   // of one stage, held at once
};

// Times are in milliseconds. A measured step runs from its first op's start to its last op's
// end (the executor's thread start-up before the first op is not part of a training step,
// and the simulator starts the first op at 0).
struct RunComparison {
  std::vector<double> step_ms;  // every timed step, in order
  // The step whose time is the median (the lower middle one for an even count): per-device
  // figures and the bubble come from it, so that they add up within one step.
  std::size_t median_step = 0;
  Compared<double> step_time_ms;  // measured: the median of step_ms; predicted: the makespan
  Compared<double> bubble_ratio;  // Σ idle / (p · step time)
  std::vector<DeviceComparison> devices;
  // Over every compute op and optimizer step of every timed step:
  // |measured duration − predicted duration| / predicted duration (ops predicted to take no
  // time are left out), and
  ErrorDistribution op_duration_error;
  // |measured start − predicted start| / predicted step time, starts counted from the step's
  // start.
  ErrorDistribution op_start_error;
};


// Compares timed steps of lowered `schedule` and the peaks of its devices (memory[d]) with
// `prediction` (predict_run of the same schedule, with its timeline). Throws pipewise::Error
// when there are no steps, a step or the memory does not fit the schedule's programs, a step
// ran no op, or a compute op of the schedule is missing from the prediction.
RunComparison compare_run(const Schedule& schedule, const std::vector<exec::StepIntervals>& steps,
                          const std::vector<exec::MeasuredMemory>& memory,
                          const PredictedRun& prediction);

}  // namespace pipewise::tools
