#pragma once
// The numbers a user reads off a simulated run, per device and overall.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ir/problem.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"

namespace pipewise::sim {

struct DeviceMetrics {
  std::uint32_t device = 0;
  double busy_ms = 0.0;         // compute, optimizer steps included
  double blocked_ms = 0.0;      // waiting for its own blocking sends or all-reduces
  double idle_ms = 0.0;         // makespan − busy (blocked time counts as idle)
  std::optional<double> utilization;  // busy / makespan; undefined when the makespan is 0
  double finish_ms = 0.0;       // end of its last op
  double lower_bound_ms = 0.0;  // MakespanBounds::device_lower_bound_ms
  std::uint64_t weight_bytes = 0;           // weights × versions held
  std::uint64_t static_bytes = 0;           // weights × versions, gradients, optimizer state
  std::uint64_t peak_memory_bytes = 0;      // static + peak activations
  std::uint64_t peak_activation_bytes = 0;
  std::uint32_t peak_activations = 0;       // most (stage, micro-batch) stashes alive at once
  double peak_time_ms = 0.0;             // first time peak_memory_bytes was reached
  double peak_activations_time_ms = 0.0; // first time peak_activations was reached
  std::uint32_t weight_versions = 0;
};

struct Metrics {
  std::string schedule;
  Problem problem;
  double makespan_ms = 0.0;  // the whole run (all n iterations)
  // For n > 1: (end of the last iteration − end of the first) / (n − 1), the time per
  // iteration once the pipeline is in its steady state. Absent for n = 1.
  std::optional<double> steady_state_iteration_ms;
  // A ratio whose denominator is 0 is undefined, and absent here (null in JSON, "n/a" in
  // tables), never a number: a run whose every op costs nothing has no bubble ratio,
  // throughput or speed-up.
  std::optional<double> bubble_ratio;     // Σ idle / (p · makespan); makespan > 0
  std::optional<double> bubble_overhead;  // Σ idle / Σ busy (bubble per unit of compute); busy > 0
  std::optional<double> throughput_microbatches_per_s;  // m · n / makespan, one replica
  // microbatch_size · d · m · n / makespan, across the d data-parallel replicas: absent
  // without a micro-batch size, or when the throughput is undefined.
  std::optional<double> samples_per_s;
  std::uint32_t data_parallel_replicas = 1;
  double naive_makespan_ms = 0.0;  // MakespanBounds::naive_makespan_ms
  std::optional<double> speedup_over_naive;  // naive makespan / makespan; makespan > 0
  double lower_bound_ms = 0.0;
  std::optional<double> gap_to_lower_bound;  // makespan / lower bound − 1; bound > 0
  double microbatch_path_ms = 0.0;  // MakespanBounds::microbatch_path_ms
  std::vector<DeviceMetrics> devices;
};

// Derives the metrics of a run simulated under `costs`. `microbatch_size` (samples per
// micro-batch), when given, turns throughput into samples per second; throws
// pipewise::Error when that product is too large for a double.
Metrics compute_metrics(const SimulationResult& result, const CostModel& costs,
                        std::optional<double> microbatch_size = std::nullopt);

}  // namespace pipewise::sim
