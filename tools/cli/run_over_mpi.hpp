#pragma once
#include <functional>
#include <string>

#include <boost/program_options.hpp>

#include "common/ir/schedule.hpp"
#include "exec/core/fault_plan.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/synthetic_task.hpp"
#include "exec/mpi/module/mpi_module_loader.hpp"
#include "tools/cli/run_request.hpp"

namespace pipewise::tools {

// `pipewise run` as one rank of a multi-process run, when an MPI launcher started the
// process as one of several (exec::mpi::launched_world_size() > 1): loads the MPI module,
// lays the ranks out as p devices × d replicas, profiles across the ranks, runs this rank's
// device of `lowered` with messages over MPI and gradients averaged across replicas (with
// --backend cuda: on one GPU per rank, messages and the all-reduce by NCCL, from the CUDA
// module), and on rank 0 reports the run of every device as report_run does. `faults` (from --inject-fault)
// hit the ops of this rank's device; a killed worker kills the process (SIGKILL).
//
// Any failure on this rank (its device's op, a deadline, a rank that stopped answering) is
// printed as one line "pipewise run: error: rank R: ..." and ends every rank of the run
// (MPI_Abort, exit status 1): this function then does not return. Returns the exit status
// otherwise (0), once every rank is done and rank 0 has written its files.
int run_over_mpi(const boost::program_options::variables_map& values, RunRequest& request,
                 const Schedule& lowered, const exec::MlpModel& model,
                 const exec::SyntheticTask& task, exec::FaultPlan& faults);

// What rank 0 does with the run of every device once the steps are done (report it, write a
// cost file from it); returns the exit status.
using RankZeroWork = std::function<int(BackendRun& run)>;

// The body of run_over_mpi for any command that runs `lowered` across the ranks (run,
// profile): the same layout, profile, steps and failure handling, then `on_rank_zero` on rank
// 0 while the other ranks wait for it (within the receive timeout). A failure is printed as
// "pipewise COMMAND: error: rank R: ..." and ends every rank.
int run_as_rank(const std::string& command, RunRequest& request, const Schedule& lowered,
                const exec::MlpModel& model, const exec::SyntheticTask& task,
                exec::FaultPlan& faults, const RankZeroWork& on_rank_zero);

}  // namespace pipewise::tools
