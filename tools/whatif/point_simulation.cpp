#include "tools/whatif/point_simulation.hpp"

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "sim/engine.hpp"

namespace pipewise::tools {

PointResult simulate_point(std::string_view schedule, const Problem& problem,
                           const sim::CostConfig& costs, double extra_checkpoint_bytes) {
  PointResult result;
  sim::SimulationResult run;
  try {
    const Schedule generated = generate_schedule(schedule, problem);
    const sim::CostModel model = sim::resolve_costs(costs, problem);
    sim::SimulationOptions options;
    options.record_timeline = false;
    run = sim::simulate(generated, model, options);
  } catch (const Error& error) {
    result.skip_reason = error.what();
    return result;
  }
  result.ran = true;
  result.makespan_ms = run.makespan_ms;
  const double devices = static_cast<double>(run.devices.size());
  double busy = 0;
  for (std::size_t d = 0; d < run.devices.size(); ++d) {
    const sim::DeviceStats& stats = run.devices[d];
    busy += stats.busy_ms;
    const double peak = static_cast<double>(stats.peak_bytes) +
                        stats.peak_activations * extra_checkpoint_bytes;
    if (d == 0 || peak > result.peak_bytes) {
      result.peak_bytes = peak;
      result.peak_device = static_cast<std::uint32_t>(d);
      result.peak_activation_bytes = static_cast<double>(stats.peak_activation_bytes);
      result.peak_stashes = stats.peak_activations;
      result.static_bytes = static_cast<double>(stats.static_bytes);
    }
  }
  // sim::compute_metrics gives the same bubble ratio, but also derives makespan bounds that
  // a sweep of many points does not need.
  result.mean_busy_ms = busy / devices;
  result.bubble_ratio = run.makespan_ms > 0 ? 1.0 - busy / (devices * run.makespan_ms) : 0.0;
  return result;
}

}  // namespace pipewise::tools
