#include "sim/report/csv_report.hpp"

#include <cstdio>

namespace pipewise::sim {
namespace {

std::string quoted(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// An undefined ratio is an empty cell, never a number.
std::string number(const std::optional<double>& value) { return value ? number(*value) : ""; }

}  // namespace

std::string device_metrics_csv(const Metrics& metrics) {
  std::string out =
      "schedule,stages,chunks,microbatches,iterations,makespan_ms,bubble_ratio,device,busy_ms,"
      "idle_ms,blocked_ms,utilization,finish_ms,lower_bound_ms,static_memory_bytes,"
      "peak_memory_bytes,peak_activation_bytes,peak_activations,peak_time_ms,weight_versions,"
      "peak_activations_time_ms\n";
  const Problem& problem = metrics.problem;
  const std::string run = quoted(metrics.schedule) + "," + std::to_string(problem.devices) + "," +
                          std::to_string(problem.chunks) + "," +
                          std::to_string(problem.microbatches) + "," +
                          std::to_string(problem.iterations) + "," + number(metrics.makespan_ms) +
                          "," + number(metrics.bubble_ratio);
  for (const DeviceMetrics& device : metrics.devices) {
    out += run + "," + std::to_string(device.device) + "," + number(device.busy_ms) + "," +
           number(device.idle_ms) + "," + number(device.blocked_ms) + "," +
           number(device.utilization) + "," + number(device.finish_ms) + "," +
           number(device.lower_bound_ms) + "," + std::to_string(device.static_bytes) + "," +
           std::to_string(device.peak_memory_bytes) + "," +
           std::to_string(device.peak_activation_bytes) + "," +
           std::to_string(device.peak_activations) + "," + number(device.peak_time_ms) + "," +
           std::to_string(device.weight_versions) + "," +
           number(device.peak_activations_time_ms) + "\n";
  }
  return out;
}

}  // namespace pipewise::sim
