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
//
// With options.rank set, one rank of a multi-process run (one GPU per rank): collective over
// the ranks, through options.rank->broadcast and NCCL communicators of its own. The rank of
// device 0 of replica 0 times every stage on its GPU (the ranks are taken to drive alike
// GPUs) while the others wait; devices 0 and 1 of replica 0 time NCCL messages of each size
// between their processes (half a ping-pong on the host clock); with several replicas, device
// 0's ranks time ncclAllReduce of each stage's gradient size and of 64 KiB and fit latency +
// bytes · ms_per_byte (ExecutionProfile::data_parallel). The profile is whole on device 0 of
// replica 0 and partial elsewhere. `pipeline_devices` must be the ranks' pipeline.
ExecutionProfile profile_cuda_execution(const MlpModel& model, const SyntheticTask& task,
                                        const OptimizerConfig& optimizer,
                                        const CudaBackendOptions& options,
                                        std::uint32_t pipeline_devices,
                                        const ProfileOptions& profile = {});

}  // namespace pipewise::exec::cuda
