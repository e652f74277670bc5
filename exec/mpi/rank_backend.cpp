#include "exec/mpi/rank_backend.hpp"

#include <memory>

#include "exec/mpi/gradient_averaging.hpp"
#include "exec/mpi/mpi_transport.hpp"

namespace pipewise::exec::mpi {

CpuBackendOptions rank_backend_options(const MpiWorld& world, const GridCommunicators& grid,
                                       std::chrono::nanoseconds allreduce_timeout) {
  const WaitPolicy waiting = world.waiting();
  CpuBackendOptions options;
  options.pin_workers = false;
  options.data_parallel = {grid.self().replica, grid.grid().replicas};
  const MPI_Comm pipeline = grid.pipeline();
  options.make_transport = [pipeline, waiting](const Problem& problem, const RunOptions& run) {
    return std::make_unique<MpiTransport>(pipeline, problem, run.verify_checksums, waiting,
                                          run.receive_timeout);
  };
  options.reduce_gradient =
      gradient_averaging(grid.data_parallel(), grid.grid().replicas, allreduce_timeout, waiting);
  return options;
}

}  // namespace pipewise::exec::mpi
