#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/core/backend.hpp"
#include "exec/core/run_options.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/core/measured_memory.hpp"

namespace pipewise::exec {

// How many training steps to run, and how. A step is one run of the schedule (all of its n
// iterations). After the warm-up, profiling and timed steps alternate, spread as evenly as
// their counts allow and starting with a profiling step, so that a machine whose speed drifts
// (clocks, other processes) drifts under both alike.
struct TimedStepOptions {
  std::uint32_t warmup_steps = 2;   // untimed steps first (caches, allocator, BLAS buffers)
  std::uint32_t profile_steps = 0;  // steps timed to profile the ops (profile_from_steps)
  std::uint32_t timed_steps = 5;    // the steps that are measured
  RunOptions run;                  // passed to every run_schedule
  // The devices this process runs (run_devices); empty: all of them. A multi-process run
  // names its own: only their ops are recorded, and only their memory measured.
  std::vector<std::uint32_t> devices;
};

// What a backend offers beyond the Backend seam that a timed run needs.
struct StepHooks {
  // The losses of the last run's micro-batches (e.g. CpuBackend::losses). Required.
  std::function<std::vector<float>()> losses;
  // For backends whose host calls only enqueue work (GPUs): fills `step` with the device's own
  // op times of the run that started at `origin_ns` (e.g. CudaBackend::replay_device_timeline).
  // Empty: the host-observed times are the op times.
  std::function<void(std::int64_t origin_ns, TimingRecorder& step)> device_times;
  // Called before every step, warm-up included. A multi-process run meets its ranks there, so
  // that every device starts a step together, as the devices of one process do (each step
  // then measures one flush from all devices ready, as the simulator predicts it, rather
  // than overlapping the previous step's tail on another rank). Empty: nothing.
  std::function<void()> before_step;
};

struct TimedSteps {
  // One per profiling step, in order: when each op ran.
  std::vector<TimingRecorder> profiled;
  // One per timed step, in order: when each op ran and, for host-timed backends, what its
  // device held after each op.
  std::vector<TimingRecorder> steps;
  // Per device, the largest of each memory peak over the timed steps.
  std::vector<MeasuredMemory> memory;
  // Per step run, in the order they ran: the mean loss of its micro-batches (NaN when none
  // computed a loss).
  std::vector<double> mean_losses;
};

// Runs lowered `schedule` on `backend` for the warm-up, profiling and timed steps of
// `options`, training continuing from step to step, and records the profiling and timed
// steps. Throws pipewise::Error when timed_steps is 0, hooks.losses is empty, or a run fails
// (run_schedule's error).
// Whether step `index` (0-based, counted after the warm-up) of `profile_steps` + `timed_steps`
// is a profiling step: the k-th profiling step is step floor(k·(P+K)/P), so they spread evenly
// from the first step on.
bool is_profiling_step(std::uint32_t index, std::uint32_t profile_steps, std::uint32_t timed_steps);

TimedSteps run_timed_steps(const Schedule& schedule, Backend& backend,
                           const TimedStepOptions& options, const StepHooks& hooks);

}  // namespace pipewise::exec
