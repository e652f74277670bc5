#include "tools/cli/run_over_mpi.hpp"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "common/ir/error.hpp"
#include "common/text/escaped_text.hpp"
#include "exec/mpi/planning/process_faults.hpp"
#include "exec/mpi/planning/rank_grid.hpp"

namespace pipewise::tools {
namespace {

std::unique_ptr<exec::mpi::RankSession> start_session() {
  const exec::mpi::MpiModuleLoad loaded = exec::mpi::load_mpi_module();
  if (loaded.module == nullptr) {
    throw Error("started by an MPI launcher as one of " +
                std::to_string(exec::mpi::launched_world_size()) + " ranks, but " + loaded.error);
  }
  return loaded.module->start();
}

// This rank's part of a multi-process CUDA run: its device and replica of the session's
// grid, and the session's broadcasts to bootstrap NCCL (bounded by `timeout`).
exec::cuda::RankPlacement rank_placement(exec::mpi::RankSession& session,
                                         std::chrono::nanoseconds timeout) {
  const exec::mpi::RankGrid grid = session.grid();
  const exec::mpi::RankPosition position = session.position();
  exec::cuda::RankPlacement placement;
  placement.device = position.device;
  placement.devices = grid.devices;
  placement.replica = position.replica;
  placement.replicas = grid.replicas;
  placement.local_rank = session.local_rank();
  placement.broadcast = [&session, timeout](exec::cuda::RankGroup group, void* bytes, std::size_t size) {
    session.broadcast(group == exec::cuda::RankGroup::Pipeline ? exec::mpi::RankSession::Group::Pipeline
                                                               : exec::mpi::RankSession::Group::DataParallel,
                      bytes, size, timeout);
  };
  return placement;
}

// A CUDA run's description: the session's ranks, then how the GPUs carry the messages and
// rank 0's GPU as the backend reports it.
void describe_gpus(const exec::TrainingBackend& backend, std::uint32_t replicas,
                   exec::RunDescription& description) {
  description.placement.resize(1);
  description.placement.push_back(
      std::string("messages: NCCL send/receive between the ranks' GPUs (NCCL communicators "
                  "bootstrapped over MPI)") +
      (replicas > 1 ? "; gradients: NCCL all-reduce across the " + std::to_string(replicas) + " replicas"
                    : std::string()));
  const exec::RunDescription gpu = backend.describe_run();
  description.placement.insert(description.placement.end(), gpu.placement.begin(), gpu.placement.end());
  description.warnings.insert(description.warnings.end(), gpu.warnings.begin(), gpu.warnings.end());
}

}  // namespace

int run_over_mpi(const boost::program_options::variables_map& values, RunRequest& request,
                 const Schedule& lowered, const exec::MlpModel& model,
                 const exec::SyntheticTask& task, exec::FaultPlan& faults) {
  return run_as_rank("run", request, lowered, model, task, faults, [&](BackendRun& run) {
    return report_run(values, request, lowered, model, run);
  });
}

int run_as_rank(const std::string& command, RunRequest& request, const Schedule& lowered,
                const exec::MlpModel& model, const exec::SyntheticTask& task,
                exec::FaultPlan& faults, const RankZeroWork& on_rank_zero) {
  const std::unique_ptr<exec::mpi::RankSession> session = start_session();
  const std::uint32_t rank = session->rank();
  // Every rank finds the same when the ranks form no grid: rank 0 says it in one line, and
  // all end once it has (no MPI_Abort, whose banner would bury the line).
  const Status grid =
      exec::mpi::rank_grid_for(session->world_size(), lowered.problem.devices, request.replicas).status();
  if (!grid.ok()) {
    if (rank == 0) {
      std::fprintf(stderr, "pipewise %s: error: %s\n", command.c_str(), printable(grid.reason()).c_str());
      std::fflush(stderr);
    }
    try {
      session->meet(request.steps.run.receive_timeout);
    } catch (const std::exception&) {
      // A rank that did not come: it ends on its own with the same error.
    }
    return 1;
  }
  try {
    session->arrange(lowered.problem.devices, request.replicas);
    exec::mpi::ProcessKillingFaults rank_faults(faults);
    if (request.steps.run.faults != nullptr) request.steps.run.faults = &rank_faults;
    const auto timeout = request.steps.run.receive_timeout;
    BackendRun run;
    std::unique_ptr<exec::TrainingBackend> backend;
    if (request.backend == "cuda") {
      request.gpu.rank = rank_placement(*session, timeout);
      run.isolated = profile_alone(request, model, task, lowered.problem.devices);
      backend = make_cuda_backend(request, model, task);
    } else {
      run.isolated = session->profile(model, task, request.optimizer, request.profile, timeout);
      backend = session->make_cpu_backend(model, task, request.optimizer, timeout);
    }
    exec::mpi::GatheredSteps gathered =
        session->run_steps(lowered, *backend, request.steps, backend->step_hooks());
    int status = 0;
    if (rank == 0) {
      run.timed = std::move(gathered.steps);
      run.description = session->describe();
      if (request.backend == "cuda") describe_gpus(*backend, session->grid().replicas, run.description);
      status = on_rank_zero(run);
      std::fflush(stdout);
    }
    session->meet(timeout);
    return status;
  } catch (const std::exception& error) {
    std::fflush(stdout);
    std::fprintf(stderr, "pipewise %s: error: rank %u: %s\n", command.c_str(), rank,
                 printable(error.what()).c_str());
    std::fflush(stderr);
    session->abort(1);
  }
  return 1;  // not reached: abort() ends every rank
}

}  // namespace pipewise::tools
