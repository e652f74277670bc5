#include "exec/mpi/mpi_world.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "common/ir/error.hpp"
#include "exec/mpi/mpi_call.hpp"

namespace pipewise::exec::mpi {
namespace {

MPI_Comm split(const CommunicatorPlan& plan) {
  MPI_Comm communicator = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(MPI_COMM_WORLD, static_cast<int>(plan.color), static_cast<int>(plan.key),
                           &communicator),
            "MPI_Comm_split");
  check_mpi(MPI_Comm_set_errhandler(communicator, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  return communicator;
}

}  // namespace

MpiWorld::MpiWorld() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (initialised != 0) throw Error("MPI is initialised already");
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
    throw Error("MPI_Init_thread failed");
  }
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw Error("this MPI offers no thread support (MPI_THREAD_SERIALIZED at least is needed: "
                "the pipeline's workers are threads)");
  }
  check_mpi(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  rank_ = static_cast<std::uint32_t>(rank);
  size_ = static_cast<std::uint32_t>(size);
  MPI_Comm local = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local),
            "MPI_Comm_split_type");
  int local_size = 1;
  int local_rank = 0;
  MPI_Comm_size(local, &local_size);
  MPI_Comm_rank(local, &local_rank);
  local_rank_ = static_cast<std::uint32_t>(local_rank);
  MPI_Comm_free(&local);
  local_ranks_ = static_cast<std::uint32_t>(local_size);
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  host_.assign(name, static_cast<std::size_t>(length));
  // Spin only when every rank here has a core: a spinning rank would take the core of the
  // very rank it waits for.
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores != 0 && local_ranks_ <= cores) waiting_.spin = std::chrono::microseconds(50);
}

MpiWorld::~MpiWorld() { MPI_Finalize(); }

void MpiWorld::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; should it, end this process at least
}

GridCommunicators::GridCommunicators(const MpiWorld& world, const RankGrid& grid)
    : grid_(grid), self_(grid.position_of(world.rank())) {
  const RankCommunicators plan = plan_communicators(grid, world.rank());
  pipeline_ = split(plan.pipeline);
  data_parallel_ = split(plan.data_parallel);
}

GridCommunicators::~GridCommunicators() {
  if (pipeline_ != MPI_COMM_NULL) MPI_Comm_free(&pipeline_);
  if (data_parallel_ != MPI_COMM_NULL) MPI_Comm_free(&data_parallel_);
}

}  // namespace pipewise::exec::mpi
