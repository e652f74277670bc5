#include "sim/report/json_report.hpp"

#include <nlohmann/json.hpp>

namespace pipewise::sim {
namespace {

// An undefined ratio is null, never a number.
nlohmann::json value_or_null(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string metrics_json(const Metrics& metrics, const Timeline* detail) {
  using nlohmann::json;
  const Problem& problem = metrics.problem;
  json root = json::object();
  root["schema"] = "pipewise.simulation";
  root["version"] = 1;
  root["schedule"] = metrics.schedule;
  root["stages"] = problem.devices;
  root["chunks"] = problem.chunks;
  root["microbatches"] = problem.microbatches;
  root["iterations"] = problem.iterations;
  root["placement"] = std::string(placement_name(problem.placement));
  root["time_unit"] = "ms";
  root["makespan"] = metrics.makespan_ms;
  root["steady_state_iteration"] =
      metrics.steady_state_iteration_ms ? json(*metrics.steady_state_iteration_ms) : json(nullptr);
  root["bubble_ratio"] = value_or_null(metrics.bubble_ratio);
  root["bubble_overhead"] = value_or_null(metrics.bubble_overhead);
  root["throughput"] = value_or_null(metrics.throughput_microbatches_per_s);
  root["samples_per_second"] = value_or_null(metrics.samples_per_s);
  root["data_parallel"] = metrics.data_parallel_replicas;
  root["naive_makespan"] = metrics.naive_makespan_ms;
  root["speedup_over_naive"] = value_or_null(metrics.speedup_over_naive);
  root["lower_bound"] = metrics.lower_bound_ms;
  root["gap_to_lower_bound"] = value_or_null(metrics.gap_to_lower_bound);
  root["microbatch_path"] = metrics.microbatch_path_ms;
  json devices = json::array();
  for (const DeviceMetrics& device : metrics.devices) {
    devices.push_back({{"device", device.device},
                       {"busy", device.busy_ms},
                       {"idle", device.idle_ms},
                       {"blocked", device.blocked_ms},
                       {"utilization", value_or_null(device.utilization)},
                       {"finish", device.finish_ms},
                       {"lower_bound", device.lower_bound_ms},
                       {"static_memory_bytes", device.static_bytes},
                       {"weight_bytes", device.weight_bytes},
                       {"peak_memory_bytes", device.peak_memory_bytes},
                       {"peak_activation_bytes", device.peak_activation_bytes},
                       {"peak_activations", device.peak_activations},
                       {"peak_time", device.peak_time_ms},
                       {"peak_activations_time", device.peak_activations_time_ms},
                       {"weight_versions", device.weight_versions}});
  }
  root["devices"] = std::move(devices);
  if (detail) {
    json timeline = json::array();
    for (const auto& samples : detail->memory) {
      json series = json::array();
      for (const MemorySample& sample : samples) {
        series.push_back({sample.time_ms, sample.bytes, sample.live_activations});
      }
      timeline.push_back(std::move(series));
    }
    root["memory_timeline"] = std::move(timeline);
    json lifetimes = json::array();
    for (const ActivationLifetime& lifetime : detail->activations) {
      lifetimes.push_back({{"stage", lifetime.stage},
                           {"iteration", lifetime.iteration},
                           {"microbatch", lifetime.microbatch},
                           {"device", lifetime.device},
                           {"allocated", lifetime.allocated_ms},
                           {"released", lifetime.released_ms},
                           {"bytes", lifetime.bytes}});
    }
    root["activation_lifetimes"] = std::move(lifetimes);
  }
  return root.dump(2) + "\n";
}

}  // namespace pipewise::sim
