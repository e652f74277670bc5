#pragma once
// The interface of the MPI module, libpipewise_mpi.so: multi-process runs over MPI, with
// everything they need (Open MPI's libraries), built next to the `pipewise` binary and loaded
// with dlopen only when `pipewise run` finds itself started by an MPI launcher as one of
// several ranks (mpi_module_loader.hpp), so that no other command, and no single-process run,
// pays for loading MPI. Host-only: this header includes no MPI header.
//
// The module exports one C symbol, kMpiModuleEntryName, an MpiModuleEntry returning the table
// below; as with the CUDA module (exec/cuda/module/cuda_module.hpp) the table passes C++ types
// with the layout of the build that made it, so the loader checks the interface version and
// the layout fingerprint before anything else, and pipewise::Error thrown inside the module
// reaches the caller as that type.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>

#include "common/ir/schedule.hpp"
#include "exec/core/execution_profile.hpp"
#include "exec/core/run_description.hpp"
#include "exec/core/timed_steps.hpp"
#include "exec/core/training_backend.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"
#include "exec/mpi/planning/clock_alignment.hpp"
#include "exec/mpi/planning/rank_grid.hpp"

namespace pipewise::exec::mpi {

inline constexpr std::uint32_t kMpiModuleAbiVersion = 2;

// The sizes of the types that cross the interface, folded into one number (FNV-1a).
constexpr std::uint64_t mpi_module_layout() {
  std::uint64_t layout = 14695981039346656037ull;
  for (const std::size_t size :
       {sizeof(MlpModel), sizeof(StageLayout), sizeof(SyntheticTask), sizeof(OptimizerConfig),
        sizeof(ProfileOptions), sizeof(ExecutionProfile), sizeof(StageProfile),
        sizeof(AllReduceProfile), sizeof(Schedule), sizeof(Op), sizeof(RunOptions),
        sizeof(TimedStepOptions), sizeof(TimedSteps), sizeof(TimingRecorder), sizeof(StepHooks),
        sizeof(RunDescription), sizeof(RankGrid), sizeof(ClockOffset), sizeof(ClockMapping),
        sizeof(MemoryAccount)}) {
    layout = (layout ^ size) * 1099511628211ull;
  }
  return layout;
}

inline constexpr const char* kMpiModuleFileName = "libpipewise_mpi.so";
inline constexpr const char* kMpiModuleEntryName = "pipewise_mpi_module";

// What a multi-process run hands back after its timed steps (exec/mpi/distributed_steps.hpp).
struct GatheredSteps {
  // On rank 0: every device of replica 0's pipeline on rank 0's clock, each device's memory
  // peaks, the mean loss of every step over all replicas. Elsewhere: this rank's own steps.
  TimedSteps steps;
  // On rank 0, per world rank: the offset of its clock from rank 0's (ns) measured before the
  // first step and after the last, and how its readings were mapped onto rank 0's clock.
  std::vector<ClockOffset> start_offsets;
  std::vector<ClockOffset> end_offsets;
  std::vector<ClockMapping> clocks;
};

// This process's part of a multi-process run: MPI is initialised when it is made and finalised
// when it is destroyed. Collective calls must be made by every rank in the same order. Every
// wait is bounded; a rank that does not answer makes the others fail with one line.
class RankSession {
 public:
  virtual ~RankSession() = default;
  virtual std::uint32_t rank() const = 0;
  virtual std::uint32_t world_size() const = 0;
  // This rank's index among the ranks on its machine (the GPU a CUDA rank drives).
  virtual std::uint32_t local_rank() const = 0;
  // Collective: lays the ranks out as p = `devices` pipeline devices × d replicas (d =
  // `replicas`, or world size / p when 0; rank_grid_for) and splits their communicators.
  // Throws pipewise::Error when the ranks do not form such a grid.
  virtual void arrange(std::uint32_t devices, std::uint32_t replicas) = 0;
  // REQUIRES: arranged.
  virtual RankGrid grid() const = 0;
  virtual RankPosition position() const = 0;
  // Which of this rank's communicators a broadcast runs on.
  enum class Group : std::uint8_t { Pipeline, DataParallel };
  // Collective over `group`: every rank of it receives the `size` bytes at `bytes` of the
  // group's first rank (device 0 of the pipeline, replica 0 of the data-parallel group); how
  // a backend bootstraps communicators of its own (NCCL's unique id). Throws pipewise::Error
  // when a rank of the group does not take part within `timeout`. REQUIRES: arranged.
  virtual void broadcast(Group group, void* bytes, std::size_t size, std::chrono::nanoseconds timeout) = 0;
  // Collective: the ops and messages timed alone (profile_over_mpi); rank 0's is whole.
  virtual ExecutionProfile profile(const MlpModel& model, const SyntheticTask& task,
                                   const OptimizerConfig& optimizer,
                                   const ProfileOptions& options,
                                   std::chrono::nanoseconds timeout) = 0;
  // A CPU backend for this rank's device of the grid: its messages travel over MPI to the
  // other ranks of its pipeline, its gradients are averaged across its device's replicas
  // (within `timeout`), and it trains on its replica's share of the task's data. The model
  // and task must outlive it. REQUIRES: arranged.
  virtual std::unique_ptr<TrainingBackend> make_cpu_backend(const MlpModel& model,
                                                            const SyntheticTask& task,
                                                            const OptimizerConfig& optimizer,
                                                            std::chrono::nanoseconds timeout) = 0;
  // Collective: the steps of `options` on this rank's device, gathered on rank 0
  // (run_distributed_steps).
  virtual GatheredSteps run_steps(const Schedule& schedule, Backend& backend,
                                  const TimedStepOptions& options, const StepHooks& hooks) = 0;
  // How the ranks sit on the machines (for rank 0's report): placement[0] the ranks and
  // their grid, placement[1] how the CPU backend's messages travel. REQUIRES: arranged.
  virtual RunDescription describe() const = 0;
  // Collective: returns once every rank has called it, or throws pipewise::Error at `timeout`.
  virtual void meet(std::chrono::nanoseconds timeout) = 0;
  // Ends every process of the run (MPI_Abort) with exit status `code`.
  [[noreturn]] virtual void abort(int code) = 0;
};

struct MpiModule {
  // kMpiModuleAbiVersion and mpi_module_layout() of the build that made the module: first in
  // every version, read before anything else.
  std::uint32_t abi_version = 0;
  std::uint64_t layout = 0;
  // Initialises MPI (MPI_THREAD_MULTIPLE) for this process. Throws pipewise::Error when it
  // cannot. One per process.
  std::unique_ptr<RankSession> (*start)() = nullptr;
};

using MpiModuleEntry = const MpiModule* (*)();

}  // namespace pipewise::exec::mpi
