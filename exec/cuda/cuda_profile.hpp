#pragma once
#include <cstdint>

#include "exec/cuda/planning/cuda_backend_options.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"
#include "exec/core/execution_profile.hpp"

namespace pipewise::exec::cuda {

// Measured costs of the model on the GPU lanes a CUDA run with `options` and
// `pipeline_devices` devices would use, in the simulator's units: the ExecutionProfile of
// exec/core/execution_profile.hpp, so that the simulator predicts a GPU run from GPU costs exactly as it
// predicts a CPU run from CPU costs.
//
// Every stage's F, I, W, B and optimizer step runs on the first device's lane (its SM
// partition when emulated; all partitions are equal), timed by CUDA events around each op
// on the lane's stream (the median of `profile.repeats` after `profile.warmup`). Transfers
// are timed from the first lane to the second by the route a run would use (an
// event-ordered copy, NCCL between GPUs, or the NCCL loopback), from the receiver's events
// around the copy; with one device the transfer profile is empty. Throws pipewise::Error
// when no GPU is visible, the devices cannot be chosen, or the options are invalid.
ExecutionProfile profile_cuda_execution(const MlpModel& model, const SyntheticTask& task,
                                        const OptimizerConfig& optimizer,
                                        const CudaBackendOptions& options,
                                        std::uint32_t pipeline_devices,
                                        const ProfileOptions& profile = {});

}  // namespace pipewise::exec::cuda
