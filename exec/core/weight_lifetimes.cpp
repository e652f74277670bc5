#include "exec/core/weight_lifetimes.hpp"

#include <algorithm>
#include <string>

#include "common/ir/error.hpp"
#include "exec/core/op_description.hpp"

namespace pipewise::exec {

std::vector<DeviceWeightLifetimes> plan_weight_lifetimes(const Schedule& schedule) {
  const Problem& problem = schedule.problem;
  const std::uint32_t stages = problem.stages();
  std::vector<DeviceWeightLifetimes> plans(schedule.programs.size());
  std::vector<std::uint32_t> steps(stages);
  std::vector<std::vector<std::size_t>> step_position(stages);
  std::vector<std::vector<std::size_t>> last_read(stages);
  std::vector<std::vector<bool>> read(stages);
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    const auto& program = schedule.programs[device];
    std::fill(steps.begin(), steps.end(), 0);
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      if (op.kind != OpKind::OptimizerStep) continue;
      if (op.weight_version != steps[op.stage]) {
        throw Error("optimizer step " + describe_op(op, problem.microbatches) + " on device " +
                    std::to_string(device) + " replaces version " +
                    std::to_string(op.weight_version) + " but the stage's newest is version " +
                    std::to_string(steps[op.stage]));
      }
      ++steps[op.stage];
    }
    for (std::uint32_t s = 0; s < stages; ++s) {
      step_position[s].assign(steps[s], 0);
      last_read[s].assign(steps[s] + 1, 0);
      read[s].assign(steps[s] + 1, false);
    }
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      if (op.kind == OpKind::OptimizerStep) {
        step_position[op.stage][op.weight_version] = position;
        continue;
      }
      if (is_fsdp(op.kind)) continue;  // reads no weights
      if (op.weight_version > steps[op.stage]) {
        throw Error("op " + describe_op(op, problem.microbatches) + " on device " +
                    std::to_string(device) + " reads a version its stage never reaches (it takes " +
                    std::to_string(steps[op.stage]) + " optimizer steps)");
      }
      last_read[op.stage][op.weight_version] = position;
      read[op.stage][op.weight_version] = true;
    }
    DeviceWeightLifetimes& plan = plans[device];
    plan.keep_previous.assign(program.size(), 0);
    for (std::uint32_t s = 0; s < stages; ++s) {
      for (std::uint32_t k = 0; k < steps[s]; ++k) {
        if (!read[s][k] || last_read[s][k] < step_position[s][k]) continue;
        plan.keep_previous[step_position[s][k]] = 1;
        plan.releases.push_back({last_read[s][k], s, k});
      }
    }
    std::sort(plan.releases.begin(), plan.releases.end(),
              [](const WeightRelease& a, const WeightRelease& b) {
                return a.after_position < b.after_position;
              });
  }
  return plans;
}

}  // namespace pipewise::exec
