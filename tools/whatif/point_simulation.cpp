#include "tools/whatif/point_simulation.hpp"

#include <memory>

#include "common/schedules/registry.hpp"
#include "sim/engine.hpp"
#include "sim/memory_estimate.hpp"

namespace pipewise::tools {

namespace {

// The numbers the what-if engines compare, from one simulated run.
PointMetrics point_metrics(const sim::SimulationResult& run);

}  // namespace

Result<PointMetrics> simulate_point(std::string_view schedule, const Problem& problem,
                                    const sim::CostConfig& costs) {
  if (Status accepted = schedule_accepts(schedule, problem); !accepted.ok()) return accepted;
  Result<sim::CostModel> model = sim::try_resolve_costs(costs, problem);
  if (!model.ok()) return model.status();
  if (can_stream(schedule)) {
    // Its ops made as the simulator reads them: memory in p and the micro-batches in
    // flight, so that a large point costs time, not gigabytes (times the sweep's threads).
    if (Status work = sim::work_to_simulate_streamed(schedule, problem); !work.ok()) return work;
    const std::unique_ptr<ScheduleStream> stream = stream_schedule(schedule, problem);
    return point_metrics(sim::simulate(*stream, *model));
  }
  if (Status memory = sim::memory_to_simulate(schedule, problem); !memory.ok()) return memory;
  return simulate_point(generate_schedule(schedule, problem), costs);
}

Result<PointMetrics> simulate_point(const Schedule& schedule, const sim::CostConfig& costs,
                                    bool structure_checked) {
  Result<sim::CostModel> model = sim::try_resolve_costs(costs, schedule.problem);
  if (!model.ok()) return model.status();
  sim::SimulationOptions options;
  options.record_timeline = false;
  options.structure_checked = structure_checked;
  return point_metrics(sim::simulate(schedule, *model, options));
}

namespace {

PointMetrics point_metrics(const sim::SimulationResult& run) {
  PointMetrics metrics;
  metrics.makespan_ms = run.makespan_ms;
  const double devices = static_cast<double>(run.devices.size());
  double busy = 0;
  for (std::size_t d = 0; d < run.devices.size(); ++d) {
    const sim::DeviceStats& stats = run.devices[d];
    busy += stats.busy_ms;
    const auto peak = static_cast<double>(stats.peak_bytes);
    metrics.devices.push_back({peak, static_cast<double>(stats.static_bytes),
                               static_cast<double>(stats.peak_activation_bytes), stats.peak_activations});
    if (d == 0 || peak > metrics.peak_bytes) {
      metrics.peak_bytes = peak;
      metrics.peak_device = static_cast<std::uint32_t>(d);
      metrics.peak_activation_bytes = static_cast<double>(stats.peak_activation_bytes);
      metrics.peak_stashes = stats.peak_activations;
      metrics.static_bytes = static_cast<double>(stats.static_bytes);
    }
  }
  // sim::compute_metrics gives the same bubble ratio, but also derives makespan bounds that
  // a sweep of many points does not need.
  metrics.mean_busy_ms = busy / devices;
  metrics.bubble_ratio = run.makespan_ms > 0 ? 1.0 - busy / (devices * run.makespan_ms) : 0.0;
  return metrics;
}

}  // namespace

}  // namespace pipewise::tools
