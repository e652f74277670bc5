#include <cmath>
#include <nlohmann/json.hpp>

#include "tools/compare/run_report.hpp"

namespace pipewise::tools {
namespace {

using json = nlohmann::ordered_json;

// A number, or null when it is not finite (JSON has no infinity or NaN).
json number(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json device_figures(const DeviceComparison& device, bool measured) {
  const auto pick = [&](const auto& figure) { return measured ? figure.measured : figure.predicted; };
  return {{"device", device.device},
          {"busy", pick(device.busy_ms)},
          {"idle_ratio", pick(device.idle_ratio)},
          {"peak_memory_bytes", static_cast<std::uint64_t>(pick(device.peak_bytes))},
          {"peak_activation_bytes", static_cast<std::uint64_t>(pick(device.peak_activation_bytes))},
          {"peak_activations", pick(device.peak_activations)},
          {"weight_versions", pick(device.weight_versions)}};
}

json run_figures(const RunComparison& comparison, bool measured) {
  json devices = json::array();
  for (const DeviceComparison& device : comparison.devices) {
    devices.push_back(device_figures(device, measured));
  }
  const auto pick = [&](const Compared<double>& figure) {
    return measured ? figure.measured : figure.predicted;
  };
  return {{"makespan", pick(comparison.step_time_ms)},
          {"bubble_ratio", pick(comparison.bubble_ratio)},
          {"devices", devices}};
}

json distribution(const ErrorDistribution& errors) {
  return {{"samples", errors.samples}, {"median", errors.median}, {"p95", errors.p95}};
}

json errors(const RunComparison& comparison) {
  json devices = json::array();
  for (const DeviceComparison& device : comparison.devices) {
    devices.push_back(
        {{"device", device.device},
         {"busy_relative", number(relative_error(device.busy_ms))},
         {"idle_ratio_difference", device.idle_ratio.measured - device.idle_ratio.predicted},
         {"peak_memory_relative", number(relative_error(device.peak_bytes))},
         {"peak_activation_bytes_relative", number(relative_error(device.peak_activation_bytes))}});
  }
  return {{"makespan_relative", number(relative_error(comparison.step_time_ms))},
          {"bubble_ratio_difference",
           comparison.bubble_ratio.measured - comparison.bubble_ratio.predicted},
          {"devices", devices},
          {"op_duration", distribution(comparison.op_duration_error)},
          {"op_start", distribution(comparison.op_start_error)}};
}

json stage_times(const exec::ExecutionProfile& profile) {
  json stages = json::array();
  for (std::size_t s = 0; s < profile.stages.size(); ++s) {
    const exec::StageProfile& stage = profile.stages[s];
    stages.push_back({{"stage", s},
                      {"forward", stage.forward_ms},
                      {"backward_input", stage.backward_input_ms},
                      {"backward_weight", stage.backward_weight_ms},
                      {"backward", stage.backward_ms},
                      {"optimizer_step", stage.optimizer_step_ms},
                      {"stashing_step", stage.stashing_step_ms},
                      {"parameter_bytes", stage.parameter_bytes},
                      {"output_bytes", stage.output_bytes}});
  }
  return stages;
}

json profile_json(const RunReport& report) {
  json samples = json::array();
  for (const exec::TransferSample& sample : report.profile.transfer.samples) {
    samples.push_back({{"bytes", sample.bytes}, {"time", sample.median_ms}});
  }
  return {{"source", report.profile_steps > 0 ? "pipeline" : "isolated"},
          {"steps", report.profile_steps},
          {"repeats", report.profile_repeats},
          {"stages", stage_times(report.profile)},
          {"isolated_stages", stage_times(report.isolated_profile)},
          {"transfer",
           {{"latency", report.profile.transfer.latency_ms},
            {"isolated_latency", report.isolated_profile.transfer.latency_ms},
            {"bandwidth_gb_per_s", report.profile.transfer.bandwidth_gb_per_s()},
            {"samples", samples}}}};
}

json model_json(const RunReport& report) {
  json stages = json::array();
  for (std::size_t s = 0; s < report.stage_layers.size(); ++s) {
    stages.push_back({{"stage", s},
                      {"device", report.problem.device_of_stage(static_cast<std::uint32_t>(s))},
                      {"first_layer", report.stage_layers[s].first},
                      {"layers", report.stage_layers[s].count}});
  }
  return {{"widths", report.widths},
          {"parameters", report.parameters},
          {"microbatch_size", report.microbatch_size},
          {"optimizer", report.optimizer},
          {"stages", stages}};
}

}  // namespace

std::string run_report_json(const RunReport& report) {
  const RunComparison& comparison = report.comparison;
  const Problem& problem = report.problem;
  json out = {
      {"schema", "pipewise.run"},
      {"version", 1},
      {"backend", report.backend},
      {"schedule", report.schedule},
      {"stages", problem.devices},
      {"chunks", problem.chunks},
      {"microbatches", problem.microbatches},
      {"iterations", problem.iterations},
      {"placement", std::string(placement_name(problem.placement))},
      {"time_unit", "ms"},
      {"model", model_json(report)},
      {"workers", {{"pinned", report.pinned}, {"details", report.placement}}},
      {"warnings", report.warnings},
      {"profile", profile_json(report)},
      {"steps",
       {{"warmup", report.warmup_steps},
        {"profiling", report.profile_steps},
        {"timed", report.timed_steps},
        {"step_times", comparison.step_ms},
        {"median_step", comparison.median_step}}},
      {"loss", {{"first", number(report.first_loss)}, {"last", number(report.last_loss)}}},
      {"measured", run_figures(comparison, true)},
      {"predicted", run_figures(comparison, false)},
      {"error", errors(comparison)},
  };
  return out.dump(2) + "\n";
}

}  // namespace pipewise::tools
