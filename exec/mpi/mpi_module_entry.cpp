// The entry of the MPI module, libpipewise_mpi.so (exec/mpi/module/mpi_module.hpp): its one
// exported symbol starts this process's RankSession.
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/ir/error.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/mpi/distributed_profile.hpp"
#include "exec/mpi/distributed_steps.hpp"
#include "exec/mpi/module/mpi_module.hpp"
#include "exec/mpi/mpi_exchange.hpp"
#include "exec/mpi/mpi_world.hpp"
#include "exec/mpi/rank_backend.hpp"

namespace pipewise::exec::mpi {
namespace {

class MpiRankSession final : public RankSession {
 public:
  std::uint32_t rank() const override { return world_.rank(); }
  std::uint32_t world_size() const override { return world_.size(); }
  std::uint32_t local_rank() const override { return world_.local_rank(); }

  void arrange(std::uint32_t devices, std::uint32_t replicas) override {
    const RankGrid grid = rank_grid_for(world_.size(), devices, replicas).value_or_throw();
    grid_.reset();
    grid_.emplace(world_, grid);
  }
  RankGrid grid() const override { return arranged().grid(); }
  RankPosition position() const override { return arranged().self(); }

  void broadcast(Group group, void* bytes, std::size_t size, std::chrono::nanoseconds timeout) override {
    const GridCommunicators& grid = arranged();
    const bool pipeline = group == Group::Pipeline;
    broadcast_bytes(bytes, size, pipeline ? grid.pipeline() : grid.data_parallel(),
                    std::chrono::steady_clock::now() + timeout, world_.waiting(),
                    std::string("a broadcast over the ") + (pipeline ? "pipeline" : "data-parallel") +
                        " group");
  }

  ExecutionProfile profile(const MlpModel& model, const SyntheticTask& task,
                           const OptimizerConfig& optimizer, const ProfileOptions& options,
                           std::chrono::nanoseconds timeout) override {
    return profile_over_mpi(world_, arranged(), model, task, optimizer, options, timeout);
  }

  std::unique_ptr<TrainingBackend> make_cpu_backend(const MlpModel& model,
                                                    const SyntheticTask& task,
                                                    const OptimizerConfig& optimizer,
                                                    std::chrono::nanoseconds timeout) override {
    const CpuBackendOptions options = rank_backend_options(world_, arranged(), timeout);
    return std::make_unique<CpuBackend>(model, task, optimizer, options);
  }

  GatheredSteps run_steps(const Schedule& schedule, Backend& backend,
                          const TimedStepOptions& options, const StepHooks& hooks) override {
    DistributedSteps run = run_distributed_steps(world_, arranged(), schedule, backend, options, hooks);
    return {std::move(run.steps), std::move(run.start_offsets), std::move(run.end_offsets),
            std::move(run.clocks)};
  }

  RunDescription describe() const override {
    const RankGrid grid = arranged().grid();
    RunDescription description;
    description.placement.push_back(
        std::to_string(world_.size()) + " MPI ranks, one process per device: p = " +
        std::to_string(grid.devices) + " device(s) x d = " + std::to_string(grid.replicas) +
        " data-parallel replica(s); rank 0 on " + world_.host() + " with " +
        std::to_string(world_.local_ranks()) + " rank(s) on that machine");
    const unsigned cores = std::thread::hardware_concurrency();
    description.placement.push_back(
        std::string("messages: MPI point-to-point, ") +
        (world_.waiting().spin.count() > 0 ? "receives spin 50 us before they sleep"
                                           : "receives sleep between polls (more ranks than cores)"));
    if (cores != 0 && world_.local_ranks() > cores) {
      description.warnings.push_back(std::to_string(world_.local_ranks()) + " ranks share " +
                                     std::to_string(cores) +
                                     " cores on rank 0's machine: the timings measure contention");
    }
    description.dedicated = cores != 0 && world_.local_ranks() <= cores;
    return description;
  }

  void meet(std::chrono::nanoseconds timeout) override {
    mpi::meet(MPI_COMM_WORLD, std::chrono::steady_clock::now() + timeout, "the end of the run");
  }

  [[noreturn]] void abort(int code) override { world_.abort(code); }

 private:
  const GridCommunicators& arranged() const {
    if (!grid_) throw Error("the ranks have not been arranged into a grid");
    return *grid_;
  }

  MpiWorld world_;
  std::optional<GridCommunicators> grid_;
};

std::unique_ptr<RankSession> start() { return std::make_unique<MpiRankSession>(); }

constexpr MpiModule kModule{kMpiModuleAbiVersion, mpi_module_layout(), &start};

}  // namespace
}  // namespace pipewise::exec::mpi

extern "C" __attribute__((visibility("default"))) const pipewise::exec::mpi::MpiModule*
pipewise_mpi_module() {
  return &pipewise::exec::mpi::kModule;
}
