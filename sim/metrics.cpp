#include "sim/metrics.hpp"

#include "sim/bounds.hpp"

namespace pipewise::sim {

Metrics compute_metrics(const SimulationResult& result, const CostModel& costs,
                        std::optional<double> microbatch_size) {
  const Problem& problem = result.problem;
  const MakespanBounds bounds = makespan_bounds(result, costs);
  Metrics metrics;
  metrics.schedule = result.schedule_name;
  metrics.problem = problem;
  metrics.makespan_ms = result.makespan_ms;
  const double makespan = result.makespan_ms;
  if (problem.iterations > 1) {
    const auto& ends = result.iteration_end_ms;
    metrics.steady_state_iteration_ms = (ends.back() - ends.front()) / (problem.iterations - 1);
  }
  double busy = 0.0;
  double idle = 0.0;
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    const DeviceStats& stats = result.devices[d];
    DeviceMetrics device;
    device.device = d;
    device.busy_ms = stats.busy_ms;
    device.blocked_ms = stats.blocked_ms;
    device.idle_ms = makespan - stats.busy_ms;
    device.utilization = makespan > 0 ? stats.busy_ms / makespan : 0.0;
    device.finish_ms = stats.finish_ms;
    device.lower_bound_ms = bounds.device_lower_bound_ms[d];
    device.weight_bytes = stats.weight_bytes;
    device.static_bytes = stats.static_bytes;
    device.peak_memory_bytes = stats.peak_bytes;
    device.peak_activation_bytes = stats.peak_activation_bytes;
    device.peak_activations = stats.peak_activations;
    device.peak_time_ms = stats.peak_time_ms;
    device.weight_versions = stats.weight_versions;
    busy += device.busy_ms;
    idle += device.idle_ms;
    metrics.devices.push_back(device);
  }
  metrics.bubble_ratio = makespan > 0 ? idle / (problem.devices * makespan) : 0.0;
  metrics.bubble_overhead = busy > 0 ? idle / busy : 0.0;
  const double microbatches = static_cast<double>(problem.microbatches) * problem.iterations;
  metrics.throughput_microbatches_per_s = makespan > 0 ? microbatches / (makespan / 1000.0) : 0.0;
  metrics.data_parallel_replicas = costs.data_parallel().replicas;
  if (microbatch_size) {
    metrics.samples_per_s =
        metrics.throughput_microbatches_per_s * *microbatch_size * metrics.data_parallel_replicas;
  }
  metrics.naive_makespan_ms = bounds.naive_makespan_ms;
  metrics.speedup_over_naive = makespan > 0 ? bounds.naive_makespan_ms / makespan : 0.0;
  metrics.lower_bound_ms = bounds.lower_bound_ms;
  metrics.gap_to_lower_bound =
      bounds.lower_bound_ms > 0 ? makespan / bounds.lower_bound_ms - 1.0 : 0.0;
  return metrics;
}

}  // namespace pipewise::sim
