#pragma once
#include <chrono>

#include "exec/cpu/cpu_backend.hpp"
#include "exec/mpi/mpi_world.hpp"

namespace pipewise::exec::mpi {

// The options that make a CpuBackend one rank of a multi-process run laid out by `grid`: its
// messages travel over MPI to the other ranks of its replica's pipeline (MpiTransport), its
// stages' gradients are averaged across its device's replicas at every optimizer step (within
// `allreduce_timeout`), it trains on its replica's share of the data, and its worker is not
// pinned (the launcher binds ranks). The backend runs only this rank's device
// (run_devices); the communicators must outlive it.
CpuBackendOptions rank_backend_options(const MpiWorld& world, const GridCommunicators& grid,
                                       std::chrono::nanoseconds allreduce_timeout);

}  // namespace pipewise::exec::mpi
