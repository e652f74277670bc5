#pragma once
// What a CPU run needs in host memory, estimated before anything is allocated, so that
// `pipewise run` refuses a model that cannot fit instead of being killed by the kernel.
#include <cstdint>

#include "common/ir/schedule.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"

namespace pipewise::tools {

// The bytes a CPU-backend run of `schedule` (lowered) with `model` and `task` holds at once:
// for every device, the memory the simulator predicts for it (its stages' parameters,
// gradients, optimizer state and weight versions, and its stashed activations at their peak,
// sized by device_memory_config), plus the task's data set (inputs and labels). All devices
// live in one process, so their shares add up. Low by the transient activation-gradient
// buffers the simulator does not model (a few percent). REQUIRES: model.stages() ==
// schedule.problem.stages().
std::uint64_t estimate_cpu_run_bytes(const Schedule& schedule, const exec::MlpModel& model,
                                     const exec::SyntheticTaskConfig& task,
                                     const exec::OptimizerConfig& optimizer);

}  // namespace pipewise::tools
