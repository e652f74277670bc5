#pragma once
// Memory peaks without simulating. Under the simulator's memory model (MemoryConfig in
// cost_model.hpp) a device allocates and frees only at the start and end of its own ops, and
// it runs its program one op at a time, in order; the weight versions it holds follow from
// the programs too (common/ir/weight_versions.hpp). So each device's peak depends on the
// order of its program and the costs' byte sizes, never on when the ops run: one pass over
// the programs gives exactly the peaks simulate() reports, for a fraction of its cost (a
// planner can reject a configuration over its memory cap before simulating it).
#include <cstdint>
#include <vector>

#include "common/ir/schedule.hpp"
#include "sim/cost_model.hpp"

namespace pipewise::sim {

// One device's memory as simulate() reports it (DeviceStats).
struct ProgramMemoryPeak {
  std::uint64_t static_bytes = 0;           // weights × versions held, gradients, optimizer state
  std::uint64_t peak_activation_bytes = 0;  // the most held at once besides static (DeviceStats)
  std::uint64_t peak_bytes = 0;             // static_bytes + peak_activation_bytes
};

// Per device, the peaks of `schedule` under `costs`: equal to simulate(schedule, costs)'s
// DeviceStats (static_bytes, peak_activation_bytes, peak_bytes) for every schedule the
// simulator runs. Sizes past 2^64 bytes saturate at 2^64 − 1 (the simulator refuses them).
// REQUIRES: costs was resolved for schedule.problem; the schedule passes check_structure.
std::vector<ProgramMemoryPeak> program_memory_peaks(const Schedule& schedule, const CostModel& costs);

}  // namespace pipewise::sim
