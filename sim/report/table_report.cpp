#include "sim/report/table_report.hpp"

#include <algorithm>
#include <cstdio>

#include "common/ir/problem.hpp"
#include "common/text/format.hpp"
#include "common/text/text_table.hpp"

namespace pipewise::sim {
namespace {

std::string padded(const std::string& text, std::size_t width, bool left = false) {
  if (text.size() >= width) return text;
  const std::string pad(width - text.size(), ' ');
  return left ? text + pad : pad + text;
}

}  // namespace

std::string metrics_table(const Metrics& metrics) {
  const Problem& problem = metrics.problem;
  std::string out;
  const auto line = [&](const std::string& label, const std::string& value) {
    out += padded(label, 24, true) + value + "\n";
  };
  // An undefined ratio reads "n/a" with the reason, never as a number.
  const std::string no_time = "n/a  (the makespan is 0: no op takes any time)";
  out += "schedule " + metrics.schedule + ": " + problem_sizes(problem) + " placement=" +
         std::string(placement_name(problem.placement)) + "\n";
  line("makespan", format_ms(metrics.makespan_ms) + " ms");
  if (metrics.steady_state_iteration_ms) {
    line("steady-state iteration", format_ms(*metrics.steady_state_iteration_ms) + " ms");
  }
  line("bubble ratio", metrics.bubble_ratio
                           ? format_percent(*metrics.bubble_ratio) + "  (idle / (devices x makespan))"
                           : no_time);
  line("bubble overhead",
       metrics.bubble_overhead
           ? format_percent(*metrics.bubble_overhead) + "  (idle / ideal compute)"
           : "n/a  (no device computes for any time: idle / ideal compute is undefined)");
  line("throughput", metrics.throughput_microbatches_per_s
                         ? format_fixed(*metrics.throughput_microbatches_per_s, 2) +
                               " micro-batches/s per pipeline"
                         : no_time);
  if (metrics.samples_per_s) {
    line("", format_fixed(*metrics.samples_per_s, 1) + " samples/s over " +
                 std::to_string(metrics.data_parallel_replicas) + " data-parallel replica(s)");
  }
  line("speed-up over naive",
       metrics.speedup_over_naive ? format_fixed(*metrics.speedup_over_naive, 3) + "x  (naive " +
                                        format_ms(metrics.naive_makespan_ms) + " ms)"
                                  : no_time);
  const bool path_binds = metrics.microbatch_path_ms > 0 && metrics.microbatch_path_ms >= metrics.lower_bound_ms;
  line("lower bound",
       format_ms(metrics.lower_bound_ms) + " ms  (" +
           (path_binds ? std::string("one micro-batch's round trip; ") : std::string()) +
           (metrics.gap_to_lower_bound
                ? "makespan is " + format_percent(*metrics.gap_to_lower_bound) + " above it)"
                : std::string("gap undefined: the bound is 0)")));
  out += "\n";
  // Columns as wide as their widest cell: a makespan of 10^8 ms still reads.
  using Align = TextTable::Align;
  TextTable table({{"device", Align::Right},
                   {"busy ms", Align::Right},
                   {"idle ms", Align::Right},
                   {"blocked ms", Align::Right},
                   {"utilization", Align::Right},
                   {"peak memory", Align::Right},
                   {"peak activations", Align::Right},
                   {"peak at ms", Align::Right},
                   {"weight versions", Align::Right}});
  for (const DeviceMetrics& device : metrics.devices) {
    // "peak at ms" stands beside the peak activations it dates (not the byte peak, which
    // is the static memory from time 0 when activations take no bytes).
    table.add_row({std::to_string(device.device), format_fixed(device.busy_ms, 3),
                   format_fixed(device.idle_ms, 3), format_fixed(device.blocked_ms, 3),
                   device.utilization ? format_percent(*device.utilization) : "n/a",
                   format_bytes(static_cast<double>(device.peak_memory_bytes)),
                   std::to_string(device.peak_activations),
                   device.peak_activations > 0 ? format_fixed(device.peak_activations_time_ms, 3)
                                               : "n/a",
                   std::to_string(device.weight_versions)});
  }
  out += table.render();
  const bool holds_no_bytes = std::all_of(metrics.devices.begin(), metrics.devices.end(),
                                          [](const DeviceMetrics& device) { return device.peak_memory_bytes == 0; });
  if (holds_no_bytes) {
    // 0 B is what the cost model says, not a measurement: say which sizes would change it.
    out += "(peak memory 0 B: no sizes given; --activation-bytes and --parameter-bytes, or --costs, set them)\n";
  }
  return out;
}

}  // namespace pipewise::sim
