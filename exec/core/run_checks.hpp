#pragma once
#include "common/ir/schedule.hpp"

namespace pipewise::exec {

// Throws pipewise::Error naming the first reason the executor cannot run `schedule`: a
// structural fault (check_structure: an invalid problem, programs for another number of
// devices than p, an op outside the problem or on a device that does not own its stage, a
// send or receive with no peer stage or whose peer shares its device), or a multi-device
// schedule with no send or receive ops (run lower_communication first). Deadlocks and
// missing ops are not searched for (validate_schedule does that): a run stops at its
// receive deadline instead.
void check_runnable(const Schedule& schedule);

}  // namespace pipewise::exec
