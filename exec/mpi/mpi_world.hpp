#pragma once
#include <mpi.h>

#include <cstdint>
#include <string>

#include "exec/mpi/planning/rank_grid.hpp"
#include "exec/mpi/polling_wait.hpp"

namespace pipewise::exec::mpi {

// MPI for the life of this object, in one process of a run launched by mpirun (or srun): it
// initialises MPI with MPI_THREAD_MULTIPLE (the pipeline's worker threads call MPI, not the
// main thread), makes errors on the world communicator return codes instead of aborting,
// and finalises MPI when destroyed. One per process.
class MpiWorld {
 public:
  // Throws pipewise::Error when MPI cannot be initialised, was already, or offers less than
  // MPI_THREAD_SERIALIZED.
  MpiWorld();
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  std::uint32_t rank() const { return rank_; }
  std::uint32_t size() const { return size_; }
  // Ranks on this machine (MPI_COMM_TYPE_SHARED), this rank's index among them, this
  // machine's name.
  std::uint32_t local_ranks() const { return local_ranks_; }
  std::uint32_t local_rank() const { return local_rank_; }
  const std::string& host() const { return host_; }
  // How this process waits for MPI: spins first when every rank on the machine has a core.
  WaitPolicy waiting() const { return waiting_; }
  // Ends every process of the run (MPI_Abort on the world) with exit status `code`.
  [[noreturn]] void abort(int code) const;

 private:
  std::uint32_t rank_ = 0;
  std::uint32_t size_ = 1;
  std::uint32_t local_ranks_ = 1;
  std::uint32_t local_rank_ = 0;
  std::string host_;
  WaitPolicy waiting_;
};

// The communicators of one rank of a grid (plan_communicators): its replica's pipeline and
// its device's data-parallel group, split from the world. Collective: every rank of the world
// constructs its own at the same point.
class GridCommunicators {
 public:
  // Throws pipewise::Error when a split fails.
  GridCommunicators(const MpiWorld& world, const RankGrid& grid);
  ~GridCommunicators();
  GridCommunicators(const GridCommunicators&) = delete;
  GridCommunicators& operator=(const GridCommunicators&) = delete;

  const RankGrid& grid() const { return grid_; }
  RankPosition self() const { return self_; }
  MPI_Comm pipeline() const { return pipeline_; }
  MPI_Comm data_parallel() const { return data_parallel_; }

 private:
  RankGrid grid_;
  RankPosition self_;
  MPI_Comm pipeline_ = MPI_COMM_NULL;
  MPI_Comm data_parallel_ = MPI_COMM_NULL;
};

}  // namespace pipewise::exec::mpi
