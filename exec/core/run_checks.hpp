#pragma once
#include "common/ir/schedule.hpp"

namespace pipewise::exec {

// Throws pipewise::Error naming the first reason the executor cannot run `schedule`: an
// invalid problem; programs for a different number of devices than p; an op of a stage
// that the placement puts on another device; a micro-batch or iteration outside the
// problem; a send or receive with no peer stage, or whose peer stage is on the same device;
// a multi-device schedule with no send or receive ops (run lower_communication first).
// Deadlocks and missing ops are not searched for (validate_schedule does that): a run
// stops at its receive deadline instead.
void check_runnable(const Schedule& schedule);

}  // namespace pipewise::exec
