#include <fmt/format.h>

#include <cmath>
#include <string>

#include "tools/compare/run_report.hpp"
#include "common/text/format.hpp"

namespace pipewise::tools {
namespace {

// A signed relative error such as "+2.9%", or "n/a" when the prediction is 0.
std::string signed_percent(double ratio) {
  if (!std::isfinite(ratio)) return "n/a";
  return format_signed_percent(ratio);
}

// A difference of two ratios in percentage points: "+1.3 pt".
std::string signed_points(double difference) {
  return (difference >= 0 ? "+" : "") + format_fixed(100 * difference, 1) + " pt";
}

std::string bytes(double value) { return format_bytes(value); }

std::string widths_text(const std::vector<std::uint32_t>& widths) {
  std::string text;
  for (const std::uint32_t width : widths) text += (text.empty() ? "" : "-") + std::to_string(width);
  return text;
}

std::string millions(std::uint64_t count) {
  return count >= 100000 ? format_fixed(static_cast<double>(count) / 1e6, 2) + " M"
                         : std::to_string(count);
}

std::string loss_text(double loss) { return std::isfinite(loss) ? format_fixed(loss, 4) : "n/a"; }

void append_header(std::string& out, const RunReport& report) {
  const Problem& problem = report.problem;
  out += fmt::format("pipewise run: {} on the {} backend, p={} v={} m={} n={} ({})\n",
                     report.schedule, report.backend, problem.devices, problem.chunks,
                     problem.microbatches, problem.iterations, placement_name(problem.placement));
  out += fmt::format("{:<10}MLP {}, {} parameters, micro-batch {} samples, {}\n", "model",
                     widths_text(report.widths), millions(report.parameters),
                     report.microbatch_size, report.optimizer);
  std::string stages;
  for (std::size_t s = 0; s < report.stage_layers.size(); ++s) {
    const exec::LayerRange& layers = report.stage_layers[s];
    stages += fmt::format("{}{}: layers {}-{} on device {}", s == 0 ? "" : "; ", s, layers.first,
                          layers.first + layers.count - 1,
                          problem.device_of_stage(static_cast<std::uint32_t>(s)));
  }
  out += fmt::format("{:<10}{}\n", "stages", stages);
  for (std::size_t i = 0; i < report.placement.size(); ++i) {
    out += fmt::format("{:<10}{}\n", i == 0 ? "workers" : "", report.placement[i]);
  }
  out += fmt::format(
      "{:<10}{} warm-up, then {} profiling and {} timed, alternating; mean loss {} (first step) "
      "-> {} (last step)\n",
      "steps", report.warmup_steps, report.profile_steps, report.timed_steps,
      loss_text(report.first_loss), loss_text(report.last_loss));
}

void append_stage_times(std::string& out, const char* label, std::size_t stage,
                        const exec::StageProfile& times) {
  out += fmt::format("{:<12} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", label, stage,
                     format_ms(times.forward_ms), format_ms(times.backward_ms),
                     format_ms(times.backward_input_ms),
                     format_ms(times.backward_weight_ms),
                     format_ms(times.optimizer_step_ms), format_ms(times.stashing_step_ms));
}

void append_profile(std::string& out, const RunReport& report) {
  if (report.profile_steps > 0) {
    out += fmt::format(
        "\nprofile (ms): the prediction's op and message times come from {} profiling step(s) of\n"
        "the pipeline (per stage and kind, the median over the steps of each step's mean); each\n"
        "op timed alone (median of {} repeats) for comparison\n",
        report.profile_steps, report.profile_repeats);
  } else {
    out += fmt::format("\nprofile (ms): the prediction's op times, each op timed alone (median of {} "
                       "repeats)\n", report.profile_repeats);
  }
  // "stash step": a step that keeps the version it replaces (weight stashing).
  out += fmt::format("{:<12} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "", "stage", "F",
                     "B", "I", "W", "opt step", "stash step");
  for (std::size_t s = 0; s < report.profile.stages.size(); ++s) {
    if (report.profile_steps > 0) {
      append_stage_times(out, "in pipeline", s, report.profile.stages[s]);
      append_stage_times(out, "alone", s, report.isolated_profile.stages[s]);
    } else {
      append_stage_times(out, "alone", s, report.profile.stages[s]);
    }
  }
  const exec::TransferProfile& transfer = report.profile.transfer;
  if (!transfer.samples.empty()) {
    const double bandwidth = transfer.bandwidth_gb_per_s();
    out += fmt::format("transfer: latency {} ms{} + bytes / {}\n", format_ms(transfer.latency_ms),
                       report.profile_steps > 0
                           ? " (alone " + format_ms(report.isolated_profile.transfer.latency_ms) + ")"
                           : std::string(),
                       bandwidth > 0 ? format_fixed(bandwidth, 2) + " GB/s" : "unlimited");
  }
}

void append_comparison(std::string& out, const RunComparison& comparison) {
  out += fmt::format("\n{:<14} {:>12} {:>12} {:>10}\n", "", "measured", "predicted", "error");
  out += fmt::format("{:<14} {:>12} {:>12} {:>10}\n", "step time",
                     format_ms(comparison.step_time_ms.measured) + " ms",
                     format_ms(comparison.step_time_ms.predicted) + " ms",
                     signed_percent(relative_error(comparison.step_time_ms)));
  out += fmt::format("{:<14} {:>12} {:>12} {:>10}\n", "bubble ratio",
                     format_percent(comparison.bubble_ratio.measured),
                     format_percent(comparison.bubble_ratio.predicted),
                     signed_points(comparison.bubble_ratio.measured - comparison.bubble_ratio.predicted));
  out += fmt::format("op durations   |error| median {}, p95 {} of the predicted duration ({} ops)\n",
                     format_percent(comparison.op_duration_error.median),
                     format_percent(comparison.op_duration_error.p95), comparison.op_duration_error.samples);
  out += fmt::format("op starts      |error| median {}, p95 {} of the predicted step time\n",
                     format_percent(comparison.op_start_error.median), format_percent(comparison.op_start_error.p95));

  out += fmt::format("\n{:>6} {:>10} {:>10} {:>8} {:>10} {:>10} {:>11} {:>11} {:>8} {:>8} {:>8}\n",
                     "device", "busy ms", "predicted", "error", "bubble", "predicted",
                     "peak memory", "predicted", "error", "stashes", "versions");
  for (const DeviceComparison& device : comparison.devices) {
    out += fmt::format(
        "{:>6} {:>10} {:>10} {:>8} {:>10} {:>10} {:>11} {:>11} {:>8} {:>8} {:>8}\n",
        device.device, format_ms(device.busy_ms.measured),
        format_ms(device.busy_ms.predicted), signed_percent(relative_error(device.busy_ms)),
        format_percent(device.idle_ratio.measured), format_percent(device.idle_ratio.predicted),
        bytes(device.peak_bytes.measured), bytes(device.peak_bytes.predicted),
        signed_percent(relative_error(device.peak_bytes)),
        fmt::format("{}/{}", device.peak_activations.measured, device.peak_activations.predicted),
        fmt::format("{}/{}", device.weight_versions.measured, device.weight_versions.predicted));
  }
  out += "(busy and bubble of the median step; stashes and versions: measured/predicted peaks)\n";
  std::string steps;
  for (const double step : comparison.step_ms) steps += " " + format_ms(step);
  out += fmt::format("step times (ms):{}  (median step {})\n", steps, comparison.median_step);
}

}  // namespace

std::string run_report_text(const RunReport& report) {
  std::string out;
  append_header(out, report);
  append_profile(out, report);
  append_comparison(out, report.comparison);
  for (const std::string& warning : report.warnings) out += "warning: " + warning + "\n";
  return out;
}

}  // namespace pipewise::tools
