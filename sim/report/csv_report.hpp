#pragma once
// One CSV row per device, with the run's identity and headline numbers repeated on each
// row so that the files of a sweep can be concatenated and compared.
#include <string>

#include "sim/metrics.hpp"

namespace pipewise::sim {

// A header line, then one line per device (RFC 4180 quoting). Columns: schedule, stages,
// chunks, microbatches, iterations, makespan_ms, bubble_ratio, device, busy_ms, idle_ms,
// blocked_ms, utilization, finish_ms, lower_bound_ms, static_memory_bytes,
// peak_memory_bytes, peak_activation_bytes, peak_activations, peak_time_ms, weight_versions.
std::string device_metrics_csv(const Metrics& metrics);

}  // namespace pipewise::sim
