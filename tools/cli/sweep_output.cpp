#include "tools/cli/sweep_output.hpp"

#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>

#include "common/text/format.hpp"
#include "common/text/text_table.hpp"

namespace pipewise::tools {
namespace {

const char* unit_name(MemoryUnit unit) {
  return unit == MemoryUnit::Bytes ? "bytes" : "activations";
}

std::string memory_text(const PointMetrics& result, MemoryUnit unit) {
  if (unit == MemoryUnit::Bytes) return format_bytes(result.peak_bytes);
  return fmt::format("{:.3g} A", peak_memory_value(result, unit));
}

}  // namespace

std::optional<double> bubble_ratio_of(const PointMetrics& result) {
  if (!(result.makespan_ms > 0)) return std::nullopt;
  return result.bubble_ratio;
}

double peak_memory_value(const PointMetrics& result, MemoryUnit unit) {
  return unit == MemoryUnit::Bytes ? result.peak_bytes
                                   : result.peak_activation_bytes / kActivationUnitBytes;
}

std::string sweep_table(const SweepGrid& grid, const std::vector<SweepRow>& rows, MemoryUnit unit) {
  using Align = TextTable::Align;
  TextTable table({{"schedule"}, {"p", Align::Right}, {"v", Align::Right}, {"m", Align::Right},
                   {"makespan", Align::Right}, {"bubble", Align::Right},
                   {unit == MemoryUnit::Bytes ? "peak memory" : "peak activations", Align::Right},
                   {"on device", Align::Right}});
  // Skipped points grouped by their rule: the reason without its "(got ...)" details.
  std::map<std::string, std::size_t> skipped;
  std::size_t simulated = 0;
  for (const SweepRow& row : rows) {
    if (!row.result.ok()) {
      const std::string& reason = row.result.status().reason();
      ++skipped[reason.substr(0, reason.find(" (got "))];
      continue;
    }
    ++simulated;
    table.add_row({grid.schedules[row.point.schedule], std::to_string(row.point.devices),
                   std::to_string(row.point.chunks), std::to_string(row.point.microbatches),
                   format_duration_ms(row.result->makespan_ms),
                   bubble_ratio_of(*row.result) ? format_percent(*bubble_ratio_of(*row.result)) : "n/a",
                   memory_text(*row.result, unit),
                   std::to_string(row.result->peak_device)});
  }
  std::string text = simulated ? table.render() : "";
  text += fmt::format("{} points: {} simulated, {} skipped\n", rows.size(), simulated,
                      rows.size() - simulated);
  for (const auto& [reason, count] : skipped) {
    text += fmt::format("  skipped {} point{}: {}\n", count, count == 1 ? "" : "s", reason);
  }
  return text;
}

std::string sweep_csv(const SweepGrid& grid, const std::vector<SweepRow>& rows, MemoryUnit unit) {
  std::string text =
      "schedule,p,v,m,status,makespan_ms,bubble_ratio,peak_memory,memory_unit,peak_device,"
      "peak_stashes,reason\n";
  for (const SweepRow& row : rows) {
    text += fmt::format("{},{},{},{},", grid.schedules[row.point.schedule], row.point.devices,
                        row.point.chunks, row.point.microbatches);
    if (row.result.ok()) {
      const std::optional<double> bubble = bubble_ratio_of(*row.result);
      text += fmt::format("ok,{:.17g},{},{:.17g},{},{},{},\n", row.result->makespan_ms,
                          bubble ? fmt::format("{:.17g}", *bubble) : "",
                          peak_memory_value(*row.result, unit),
                          unit_name(unit), row.result->peak_device, row.result->peak_stashes);
    } else {
      text += fmt::format("skipped,,,,{},,,{}\n", unit_name(unit),
                          csv_field(row.result.status().reason()));
    }
  }
  return text;
}

std::string sweep_json(const SweepGrid& grid, const std::vector<SweepRow>& rows, MemoryUnit unit) {
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const SweepRow& row : rows) {
    nlohmann::ordered_json point = {{"schedule", grid.schedules[row.point.schedule]},
                                    {"p", row.point.devices},
                                    {"v", row.point.chunks},
                                    {"m", row.point.microbatches}};
    if (row.result.ok()) {
      point["status"] = "ok";
      point["makespan_ms"] = row.result->makespan_ms;
      const std::optional<double> bubble = bubble_ratio_of(*row.result);
      point["bubble_ratio"] = bubble ? nlohmann::ordered_json(*bubble) : nlohmann::ordered_json(nullptr);
      point["peak_memory"] = peak_memory_value(*row.result, unit);
      point["peak_device"] = row.result->peak_device;
      point["peak_stashes"] = row.result->peak_stashes;
    } else {
      point["status"] = "skipped";
      point["reason"] = row.result.status().reason();
    }
    points.push_back(std::move(point));
  }
  nlohmann::ordered_json document = {{"schema", "pipewise.sweep"},
                                     {"version", 1},
                                     {"memory_unit", unit_name(unit)},
                                     {"points", std::move(points)}};
  return document.dump(1) + "\n";
}

}  // namespace pipewise::tools
