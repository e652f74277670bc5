#include "sim/metrics.hpp"

#include <cmath>
#include <string>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"
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
    if (makespan > 0) device.utilization = stats.busy_ms / makespan;
    device.finish_ms = stats.finish_ms;
    device.lower_bound_ms = bounds.device_lower_bound_ms[d];
    device.weight_bytes = stats.weight_bytes;
    device.static_bytes = stats.static_bytes;
    device.peak_memory_bytes = stats.peak_bytes;
    device.peak_activation_bytes = stats.peak_activation_bytes;
    device.peak_activations = stats.peak_activations;
    device.peak_time_ms = stats.peak_time_ms;
    device.peak_activations_time_ms = stats.peak_activations_time_ms;
    device.weight_versions = stats.weight_versions;
    // Means, not sums: p times a time near the largest double would overflow.
    busy += device.busy_ms / problem.devices;
    idle += device.idle_ms / problem.devices;
    metrics.devices.push_back(device);
  }
  if (makespan > 0) metrics.bubble_ratio = idle / makespan;
  if (busy > 0) metrics.bubble_overhead = idle / busy;
  const double microbatches = static_cast<double>(problem.microbatches) * problem.iterations;
  if (makespan > 0) metrics.throughput_microbatches_per_s = microbatches / (makespan / 1000.0);
  metrics.data_parallel_replicas = costs.data_parallel().replicas;
  if (microbatch_size && metrics.throughput_microbatches_per_s) {
    const double samples =
        *metrics.throughput_microbatches_per_s * *microbatch_size * metrics.data_parallel_replicas;
    if (!std::isfinite(samples)) {
      throw Error("samples per second (" + format_number(*metrics.throughput_microbatches_per_s) +
                  " micro-batches/s x micro-batch size " + format_number(*microbatch_size) +
                  " x " + std::to_string(metrics.data_parallel_replicas) +
                  " replica(s)) is too large for a double: the micro-batch size is too large");
    }
    metrics.samples_per_s = samples;
  }
  metrics.naive_makespan_ms = bounds.naive_makespan_ms;
  if (makespan > 0) metrics.speedup_over_naive = bounds.naive_makespan_ms / makespan;
  metrics.lower_bound_ms = bounds.lower_bound_ms;
  metrics.microbatch_path_ms = bounds.microbatch_path_ms;
  if (bounds.lower_bound_ms > 0) metrics.gap_to_lower_bound = makespan / bounds.lower_bound_ms - 1.0;
  return metrics;
}

}  // namespace pipewise::sim
