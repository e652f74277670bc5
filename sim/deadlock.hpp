#pragma once
// Explains why a simulated run cannot go on: which ops wait for which.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"

namespace pipewise::sim {

// The state of a run that stopped with ops left. `progress` is per (stage, iteration,
// micro-batch) slot, stage-major, with the engine's meaning: 0 nothing ran, 1 F ran,
// 2 I ran (W pending), 3 B or W ran. `cursor[d]` is the position of device d's next op,
// which waits for an input.
struct StuckRun {
  const Schedule& schedule;
  const std::vector<std::size_t>& cursor;
  const std::vector<std::uint8_t>& progress;
};

// One line naming the ops that wait on each other, following producers from device to
// device: "deadlock: 0B0 (device 0) waits for 1B0, which device 1 runs after 1F1; 1F1
// (device 1) waits for 0F1, which device 0 runs after 0B0", or, when a producer is in no
// program, "stuck: 1F3 (device 1) waits for 0F3, which no device will run".
// REQUIRES: some device has ops left.
std::string describe_stuck_run(const StuckRun& run);

}  // namespace pipewise::sim
