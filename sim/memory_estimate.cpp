#include "sim/memory_estimate.hpp"

#include <string>
#include <vector>

#include "common/ir/op.hpp"
#include "common/numeric/checked_arithmetic.hpp"
#include "common/timeline/chrome_trace.hpp"
#include "common/timeline/svg_timeline.hpp"
#include "common/resources/resource_limits.hpp"
#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"

namespace pipewise::sim {

MemoryEstimate estimate_simulation_memory(std::string_view name, const Problem& problem) {
  const ScheduleInfo& info = find_schedule(name);
  problem.check();
  const std::uint64_t slots =
      std::uint64_t{problem.stages()} * problem.iterations * problem.microbatches;
  MemoryEstimate estimate;
  estimate.ops = max_op_count(info, problem);
  estimate.bytes = estimate.ops * sizeof(Op) + slots * kSimulatorBytesPerSlot;
  return estimate;
}

Status memory_to_simulate(std::string_view name, const Problem& problem) {
  const MemoryEstimate estimate = estimate_simulation_memory(name, problem);
  if (estimate.bytes < kAlwaysAffordableBytes) return {};  // no message to build: a sweep's hot path
  return memory_available_for(find_schedule(name).name + " " + problem_sizes(problem),
                              estimate.bytes, "its " + format_count(estimate.ops) + " ops");
}

void require_memory_to_simulate(std::string_view name, const Problem& problem) {
  memory_to_simulate(name, problem).throw_if_failed();
}

Status work_to_simulate_streamed(std::string_view name, const Problem& problem) {
  const MemoryEstimate estimate = estimate_simulation_memory(name, problem);
  if (estimate.ops <= kMostStreamedOps) return {};
  return Status::failure(find_schedule(name).name + " " + problem_sizes(problem) + " has " +
                         format_count(estimate.ops) + " ops (" + std::to_string(estimate.ops) +
                         "), more than the 2^34 (" + std::to_string(kMostStreamedOps) +
                         ") a streamed simulation takes (about 6 minutes at 50 M ops/s)");
}

std::uint64_t estimate_output_memory(std::uint64_t ops, const OutputRequest& outputs) {
  const std::uint64_t per_op = (outputs.timeline ? kTimelineBytesPerOp : 0) +
                               (outputs.trace ? kChromeTraceBytesPerOp : 0) +
                               (outputs.svg ? kSvgTimelineBytesPerOp : 0) +
                               (outputs.memory_detail ? kMemoryDetailBytesPerOp : 0) +
                               (outputs.schedule_json ? kScheduleJsonBytesPerOp : 0);
  return checked_multiply(ops, per_op).value_or(kMostCountableBytes);
}

Status memory_for_outputs(std::string_view what, std::uint64_t ops, const OutputRequest& outputs) {
  const std::uint64_t bytes = estimate_output_memory(ops, outputs);
  if (bytes < kAlwaysAffordableBytes) return {};
  std::vector<std::string> parts;
  if (outputs.timeline) parts.emplace_back("the timeline");
  if (outputs.trace) parts.emplace_back("the trace");
  if (outputs.svg) parts.emplace_back("the SVG");
  if (outputs.memory_detail) parts.emplace_back("the memory detail");
  if (outputs.schedule_json) parts.emplace_back("the JSON");
  std::string named;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    named += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  }
  return memory_available_for(what, bytes, named + " of its " + format_count(ops) + " ops");
}

}  // namespace pipewise::sim
