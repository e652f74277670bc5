#include "exec/core/run_checks.hpp"

#include <string>

#include "common/ir/error.hpp"
#include "common/validate/placement.hpp"

namespace pipewise::exec {
namespace {

bool spans_devices(const Problem& problem) {
  for (std::uint32_t s = 0; s + 1 < problem.stages(); ++s) {
    if (problem.device_of_stage(s) != problem.device_of_stage(s + 1)) return true;
  }
  return false;
}

}  // namespace

void check_runnable(const Schedule& schedule) {
  check_structure(schedule).throw_if_failed();
  if (!schedule.is_lowered() && spans_devices(schedule.problem)) {
    throw Error("schedule has no send or receive ops but its stages span " +
                std::to_string(schedule.problem.devices) +
                " devices: lower it first (lower_communication)");
  }
}

}  // namespace pipewise::exec
