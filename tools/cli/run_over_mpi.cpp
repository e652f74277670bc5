#include "tools/cli/run_over_mpi.hpp"

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "common/ir/error.hpp"
#include "common/text/escaped_text.hpp"
#include "exec/mpi/planning/process_faults.hpp"

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
  if (request.backend != "cpu") {
    throw Error("--backend " + request.backend +
                " runs in one process: multi-process runs are CPU-only so far (run it without "
                "mpirun)");
  }
  const std::unique_ptr<exec::mpi::RankSession> session = start_session();
  const std::uint32_t rank = session->rank();
  try {
    session->arrange(lowered.problem.devices, request.replicas);
    exec::mpi::ProcessKillingFaults rank_faults(faults);
    if (request.steps.run.faults != nullptr) request.steps.run.faults = &rank_faults;
    const auto timeout = request.steps.run.receive_timeout;
    BackendRun run;
    run.isolated = session->profile(model, task, request.optimizer, request.profile, timeout);
    const std::unique_ptr<exec::TrainingBackend> backend =
        session->make_cpu_backend(model, task, request.optimizer, timeout);
    exec::mpi::GatheredSteps gathered =
        session->run_steps(lowered, *backend, request.steps, backend->step_hooks());
    int status = 0;
    if (rank == 0) {
      run.timed = std::move(gathered.steps);
      run.description = session->describe();
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
