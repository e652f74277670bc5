#pragma once
#include <chrono>

#include "exec/core/execution_profile.hpp"
#include "exec/mpi/mpi_world.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"

namespace pipewise::exec::mpi {

// The ops and messages of a multi-process run timed alone, collectively over the world, in
// three turns while the other ranks wait (sleeping, so the timed ones have the machine):
//  1. rank 0 times every stage's F, I, W, B and optimizer step (profile_cpu_execution: the
//     ranks are taken to run on alike cores);
//  2. the ranks of devices 0 and 1 of replica 0 time messages of each size between them over
//     MPI (half a ping-pong, the sender's copy into the message included), and fit the
//     transfer's latency and bandwidth (profile_transfers);
//  3. with d > 1 replicas, the ranks of device 0 time MPI_Iallreduce of each stage's gradient
//     size, and of 64 KiB, across their data-parallel group and fit latency + bytes · ms_per_byte
//     (ExecutionProfile::data_parallel, rank 0's medians).
// Returns the profile on rank 0 (an empty one elsewhere). Throws pipewise::Error when a rank
// does not take its turn within `timeout` after the previous turn ended (rank 0's own turn
// may take up to 30 minutes).
ExecutionProfile profile_over_mpi(const MpiWorld& world, const GridCommunicators& grid,
                                  const MlpModel& model, const SyntheticTask& task,
                                  const OptimizerConfig& optimizer, const ProfileOptions& options,
                                  std::chrono::nanoseconds timeout);

}  // namespace pipewise::exec::mpi
