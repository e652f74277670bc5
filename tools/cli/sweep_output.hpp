#pragma once
// Writing a sweep's rows as a table for people, CSV or JSON for programs.
#include <optional>
#include <string>
#include <vector>

#include "tools/whatif/sweep.hpp"

namespace pipewise::tools {

// What the sweep's memory numbers mean.
enum class MemoryUnit {
  Bytes,        // peak device memory in bytes, from real sizes
  Activations,  // peak activation memory in units A of one micro-batch's stash of one
                // device's share of the model (the papers' unit: 1F1B holds p·A on device 0)
};

// A point's bubble ratio, or nullopt when it is undefined: with a makespan of 0 (no op of
// the point takes any time) idle / (p · makespan) has no value, and the outputs show "n/a"
// in the table, an empty CSV cell and null in JSON, never a number.
std::optional<double> bubble_ratio_of(const PointMetrics& result);

// The number the outputs show as a row's peak memory, in `unit`.
double peak_memory_value(const PointMetrics& result, MemoryUnit unit);

// One line per simulated point (schedule, p, v, m, makespan, bubble, peak memory and its
// device), then one line per rule that made points be skipped (the reason without its
// "(got ...)" details), with their count.
std::string sweep_table(const SweepGrid& grid, const std::vector<SweepRow>& rows, MemoryUnit unit);

// A header, then one line per point, skipped ones included: schedule, p, v, m, status
// ("ok" or "skipped"), makespan_ms, bubble_ratio, peak_memory, memory_unit, peak_device,
// peak_stashes, reason (empty for simulated points, numbers empty for skipped ones).
std::string sweep_csv(const SweepGrid& grid, const std::vector<SweepRow>& rows, MemoryUnit unit);

// {"schema": "pipewise.sweep", "version": 1, "memory_unit": "bytes" | "activations",
//  "points": [{"schedule", "p", "v", "m", "status", then either "makespan_ms",
//  "bubble_ratio", "peak_memory", "peak_device", "peak_stashes" or "reason"}, ...]}
std::string sweep_json(const SweepGrid& grid, const std::vector<SweepRow>& rows, MemoryUnit unit);

}  // namespace pipewise::tools
