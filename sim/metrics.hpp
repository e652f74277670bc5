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
  double utilization = 0.0;     // busy / makespan
  double finish_ms = 0.0;       // end of its last op
  double lower_bound_ms = 0.0;  // MakespanBounds::device_lower_bound_ms
  std::uint64_t weight_bytes = 0;           // weights × versions held
  std::uint64_t static_bytes = 0;           // weights × versions, gradients, optimizer state
  std::uint64_t peak_memory_bytes = 0;      // static + peak activations
  std::uint64_t peak_activation_bytes = 0;
  std::uint32_t peak_activations = 0;       // most (stage, micro-batch) stashes alive at once
  double peak_time_ms = 0.0;
  std::uint32_t weight_versions = 0;
};

struct Metrics {
  std::string schedule;
  Problem problem;
  double makespan_ms = 0.0;  // the whole run (all n iterations)
  // For n > 1: (end of the last iteration − end of the first) / (n − 1), the time per
  // iteration once the pipeline is in its steady state. Absent for n = 1.
  std::optional<double> steady_state_iteration_ms;
  double bubble_ratio = 0.0;     // Σ idle / (p · makespan)
  double bubble_overhead = 0.0;  // Σ idle / Σ busy: bubble time per unit of ideal compute
  double throughput_microbatches_per_s = 0.0;  // m · n / makespan, one pipeline replica
  // microbatch_size · d · m · n / makespan, across the d data-parallel replicas.
  std::optional<double> samples_per_s;
  std::uint32_t data_parallel_replicas = 1;
  double naive_makespan_ms = 0.0;  // MakespanBounds::naive_makespan_ms
  double speedup_over_naive = 0.0;
  double lower_bound_ms = 0.0;
  double gap_to_lower_bound = 0.0;  // makespan / lower bound − 1 (0 when the bound is 0)
  std::vector<DeviceMetrics> devices;
};

// Derives the metrics of a run simulated under `costs`. `microbatch_size` (samples per
// micro-batch), when given, turns throughput into samples per second.
Metrics compute_metrics(const SimulationResult& result, const CostModel& costs,
                        std::optional<double> microbatch_size = std::nullopt);

}  // namespace pipewise::sim
