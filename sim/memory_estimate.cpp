#include "sim/memory_estimate.hpp"

#include <string>

#include "common/ir/op.hpp"
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

}  // namespace pipewise::sim
