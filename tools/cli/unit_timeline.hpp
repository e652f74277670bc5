#pragma once
#include <string>

#include "common/ir/schedule.hpp"

namespace pipewise::tools {

// The schedule's timeline grid with unit costs as the papers draw them (F = 1 slot,
// B = 2, I = W = 1, optimizer steps free, communication free), simulated by the event
// engine. Throws pipewise::Error when the schedule cannot run (e.g. it deadlocks).
std::string unit_timeline_grid(const Schedule& schedule);

}  // namespace pipewise::tools
