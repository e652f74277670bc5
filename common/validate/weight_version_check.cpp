#include <string>
#include <vector>

#include "common/validate/checks.hpp"

namespace pipewise {

// Walks each device's program in order, counting the optimizer steps of each stage the
// device owns. Ops on a device that does not own their stage are wrong-device issues and
// are not checked here.
void check_weight_versions(const OpTable& table, IssueLog& log) {
  const Schedule& schedule = table.schedule();
  std::vector<std::uint32_t> steps_taken(table.problem().stages(), 0);
  for (std::uint32_t device = 0; device < schedule.programs.size(); ++device) {
    for (const Op& op : schedule.programs[device]) {
      if (!table.in_problem(op) || !table.owns(device, op.stage) || is_fsdp(op.kind)) continue;
      const std::uint32_t version = op.weight_version;
      if (op.kind == OpKind::OptimizerStep) {
        const std::uint32_t earlier_steps = steps_taken[op.stage]++;
        if (version == earlier_steps) continue;
        log.report("weight-version", [&] {
          return table.identify(op) + " replaces version " + std::to_string(version) +
                 " but follows " + std::to_string(earlier_steps) +
                 (earlier_steps == 1 ? " earlier step" : " earlier steps") + " of stage " +
                 std::to_string(op.stage);
        });
      } else if (op.kind == OpKind::Forward) {
        const std::uint32_t newest = steps_taken[op.stage];
        if (version == newest) continue;
        log.report("weight-version", [&] {
          return table.label(op) + " reads version " + std::to_string(version) +
                 " but the newest version of stage " + std::to_string(op.stage) +
                 " at its place is " + std::to_string(newest);
        });
      } else {
        const std::uint32_t forward = table.find(OpKind::Forward, op);
        if (forward == kNoNode) continue;  // a missing-op issue
        const std::uint32_t forward_version = table.op(forward).weight_version;
        if (version == forward_version) continue;
        log.report("weight-version", [&] {
          return table.label(op) + " reads version " + std::to_string(version) +
                 " but its forward read version " + std::to_string(forward_version);
        });
      }
    }
  }
}

}  // namespace pipewise
