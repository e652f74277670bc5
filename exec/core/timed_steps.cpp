#include "exec/core/timed_steps.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/ir/error.hpp"
#include "exec/core/executor.hpp"

namespace pipewise::exec {
namespace {

// Forwards a run to a recorder and keeps the run's origin, which device_times needs.
class OriginKeeper final : public RunObserver {
 public:
  explicit OriginKeeper(RunObserver& inner) : inner_(inner) {}
  void on_run_start(const Schedule& schedule, std::int64_t origin_ns) override {
    origin_ns_ = origin_ns;
    inner_.on_run_start(schedule, origin_ns);
  }
  void on_op(std::uint32_t device, std::size_t index, const Op& op, std::int64_t start_ns,
             std::int64_t end_ns) override {
    inner_.on_op(device, index, op, start_ns, end_ns);
  }
  void on_run_end(bool succeeded) override { inner_.on_run_end(succeeded); }
  std::int64_t origin_ns() const { return origin_ns_; }

 private:
  RunObserver& inner_;
  std::int64_t origin_ns_ = 0;
};

double mean_finite(const std::vector<float>& values) {
  double sum = 0.0;
  std::size_t count = 0;
  for (const float value : values) {
    if (!std::isfinite(value)) continue;
    sum += value;
    ++count;
  }
  return count > 0 ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

bool is_profiling_step(std::uint32_t index, std::uint32_t profile_steps, std::uint32_t timed_steps) {
  if (profile_steps == 0) return false;
  // Step i is the k-th profiling step when ceil(i·P/(P+K)) == k and floor(k·(P+K)/P) == i, i.e.
  // when the count of profiling steps up to and including i grows at i.
  const std::uint64_t total = std::uint64_t{profile_steps} + timed_steps;
  const auto before = (std::uint64_t{index} * profile_steps + total - 1) / total;
  const auto through = (std::uint64_t{index + 1} * profile_steps + total - 1) / total;
  return through > before;
}

TimedSteps run_timed_steps(const Schedule& schedule, Backend& backend,
                           const TimedStepOptions& options, const StepHooks& hooks) {
  if (options.timed_steps == 0) throw Error("at least one timed step is needed");
  if (!hooks.losses) throw Error("the timed steps need the backend's losses");
  TimedSteps timed;
  // One step; returns its op times when `recorded`.
  const auto step = [&](bool recorded) {
    if (hooks.before_step) hooks.before_step();
    TimingRecorder host(backend);
    OriginKeeper keeper(host);
    RunObserver* const observer = recorded ? &keeper : nullptr;
    if (options.devices.empty()) {
      run_schedule(schedule, backend, options.run, observer);
    } else {
      run_devices(schedule, options.devices, backend, options.run, observer);
    }
    timed.mean_losses.push_back(mean_finite(hooks.losses()));
    if (!recorded || !hooks.device_times) return host;
    TimingRecorder device;
    hooks.device_times(keeper.origin_ns(), device);
    return device;
  };
  for (std::uint32_t i = 0; i < options.warmup_steps; ++i) step(false);
  timed.memory.assign(schedule.problem.devices, MeasuredMemory{});
  for (std::uint32_t i = 0; i < options.profile_steps + options.timed_steps; ++i) {
    if (is_profiling_step(i, options.profile_steps, options.timed_steps)) {
      timed.profiled.push_back(step(true));
      continue;
    }
    timed.steps.push_back(step(true));
    for (std::uint32_t d = 0; d < schedule.problem.devices; ++d) {
      if (!options.devices.empty() &&
          std::find(options.devices.begin(), options.devices.end(), d) == options.devices.end()) {
        continue;
      }
      timed.memory[d] = timed.memory[d].max_with(measured_memory(backend.memory(d)));
    }
  }
  return timed;
}

}  // namespace pipewise::exec
