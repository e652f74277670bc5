#include "exec/core/run_checks.hpp"

#include <string>

#include "common/ir/dependencies.hpp"
#include "common/ir/error.hpp"
#include "exec/core/op_description.hpp"

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
  const Problem& problem = schedule.problem;
  problem.check();
  if (schedule.programs.size() != problem.devices) {
    throw Error("schedule has " + std::to_string(schedule.programs.size()) +
                " device programs but p = " + std::to_string(problem.devices));
  }
  const std::uint32_t m = problem.microbatches;
  for (std::uint32_t device = 0; device < problem.devices; ++device) {
    for (const Op& op : schedule.programs[device]) {
      const auto where = [&] {
        return "op " + describe_op(op, m) + " on device " + std::to_string(device);
      };
      if (static_cast<int>(op.kind) >= kOpKindCount) throw Error(where() + " has an unknown kind");
      if (op.stage >= problem.stages()) {
        throw Error(where() + " names a stage outside the problem's " +
                    std::to_string(problem.stages()));
      }
      if (problem.device_of_stage(op.stage) != device) {
        throw Error(where() + " belongs to device " +
                    std::to_string(problem.device_of_stage(op.stage)) + " by the placement");
      }
      if (op.kind == OpKind::OptimizerStep) continue;
      if (op.microbatch >= m || op.iteration >= problem.iterations) {
        throw Error(where() + " names a micro-batch or iteration outside the problem");
      }
      if (!is_communication(op.kind)) continue;
      const bool towards_next = op.kind == OpKind::SendActivation || op.kind == OpKind::RecvGrad;
      if (towards_next ? op.stage + 1u >= problem.stages() : op.stage == 0) {
        throw Error(where() + " has no peer stage");
      }
      if (problem.device_of_stage(peer_stage(op)) == device) {
        throw Error(where() + " communicates with a stage on its own device");
      }
    }
  }
  if (!schedule.is_lowered() && spans_devices(problem)) {
    throw Error("schedule has no send or receive ops but its stages span " +
                std::to_string(problem.devices) + " devices: lower it first (lower_communication)");
  }
}

}  // namespace pipewise::exec
