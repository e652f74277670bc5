#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/ir/schedule.hpp"
#include "exec/cuda/planning/device_selection.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"

namespace pipewise::exec::cuda {

// The communicators of a rank of a multi-process CUDA run, one NCCL communicator each.
enum class RankGroup : std::uint8_t {
  Pipeline,      // the ranks of this rank's replica, one per pipeline device, ranked by device
  DataParallel,  // the replicas of this rank's pipeline device, ranked by replica
};
std::string_view rank_group_name(RankGroup group);  // "pipeline", "data-parallel"

// Broadcasts `size` bytes at `bytes` from the group's rank 0 to every rank of the group; a
// collective call every rank of the group makes in the same order (the process launcher's
// channel, MPI: how an NCCL communicator's unique id reaches its ranks). Throws
// pipewise::Error when a rank does not take part in time.
using GroupBroadcast = std::function<void(RankGroup group, void* bytes, std::size_t size)>;

// This process's part of a multi-process CUDA run (one process per GPU, launched by mpirun
// or Slurm): the pipeline device it runs, the replica it belongs to, and how its NCCL
// communicators are bootstrapped. Stage-to-stage messages are NCCL sends and receives
// across the pipeline group (NCCL rank = pipeline device); with replicas > 1 every
// optimizer step first averages the stage's gradient across the data-parallel group with
// ncclAllReduce; replica r trains on the micro-batches of the data set a single pipeline
// with m·replicas micro-batches would give it (exec/core/data_parallel_share.hpp).
struct RankPlacement {
  std::uint32_t device = 0;
  std::uint32_t devices = 1;   // p: ranks in the pipeline group
  std::uint32_t replica = 0;
  std::uint32_t replicas = 1;  // d: ranks in the data-parallel group
  std::uint32_t local_rank = 0;  // this rank's index among the ranks on its machine
  GroupBroadcast broadcast;
};

// The GPU a rank drives: --gpus G0,G1,... lists one GPU per local rank (entry local_rank);
// without it, GPU local_rank. Throws pipewise::Error with one line when the rank has no GPU
// of its own: more ranks on the machine than GPUs visible (NCCL refuses two ranks of one
// communicator on one GPU), a --gpus list shorter than the machine's ranks, or --emulate
// (which partitions one GPU inside one process).
int rank_gpu(const DeviceRequest& request, std::uint32_t local_rank, int visible_gpus);

// The same checks as a placement's numbers: device < devices, replica < replicas, and a
// pipeline of `schedule_devices` devices. Throws pipewise::Error naming the mismatch.
void check_rank_placement(const RankPlacement& placement, std::uint32_t schedule_devices);

// How the messages of lowered `schedule` travel when every pipeline device is its own
// process: Route::Nccl between every pair of devices (plan_transfers with one GPU per
// device), peers numbered as NCCL ranks of the pipeline group. Throws pipewise::Error for
// --transport copy (a copy needs both devices in one process) and plan_transfers's errors
// (with a hint that one process can run the schedule with copies).
TransferPlan plan_rank_transfers(const Schedule& schedule, TransportChoice choice);

}  // namespace pipewise::exec::cuda
