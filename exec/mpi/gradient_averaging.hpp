#pragma once
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "exec/mpi/polling_wait.hpp"

namespace pipewise::exec::mpi {

// The data-parallel step of a stage's gradient (CpuBackendOptions::reduce_gradient): the
// gradients of the stage's `replicas` copies, one per rank of `data_parallel`, summed with
// MPI_Iallreduce and divided by `replicas`, so that every replica applies the mean over all
// replicas' micro-batches. Fails with one line naming the stage when the all-reduce has not
// completed within `timeout` (a replica that stopped answering).
std::function<void(std::uint32_t stage, std::vector<float>& gradient)> gradient_averaging(
    MPI_Comm data_parallel, std::uint32_t replicas, std::chrono::nanoseconds timeout,
    WaitPolicy waiting);

}  // namespace pipewise::exec::mpi
