#pragma once
#include "exec/core/execution_profile.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"

namespace pipewise::exec {

// Times every stage's F, I, W, B and optimizer step on the calling thread with
// single-threaded OpenBLAS (as one CPU-backend worker runs them), and message transfers
// between two threads over the in-process transport. Throws pipewise::Error for invalid
// options (zero repeats, a zero transfer size) or a task that does not fit the model.
ExecutionProfile profile_cpu_execution(const MlpModel& model, const SyntheticTask& task,
                                       const OptimizerConfig& optimizer,
                                       const ProfileOptions& options = {});

}  // namespace pipewise::exec
