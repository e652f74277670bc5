#pragma once
// What `pipewise run` asks for and what a backend hands back, shared by the single-process run
// (run_command.cpp) and the multi-process one (run_over_mpi.cpp).
#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/core/execution_profile.hpp"
#include "exec/core/run_description.hpp"
#include "exec/core/timed_steps.hpp"
#include "exec/cuda/planning/cuda_backend_options.hpp"
#include "exec/model/mlp_config.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"
#include "sim/cost_model.hpp"

namespace pipewise::tools {

// What the command line asks for, checked before anything runs.
struct RunRequest {
  std::string backend;  // "cpu" or "cuda"
  std::string format;   // "table", "json" or "csv"
  std::string optimizer_name;
  exec::MlpConfig model;
  exec::SyntheticTaskConfig task;
  exec::OptimizerConfig optimizer;
  exec::ProfileOptions profile;  // of the ops timed alone
  exec::TimedStepOptions steps;  // warm-up, profiling and timed steps
  Schedule schedule;       // as generated or read (not lowered)
  exec::cuda::CudaBackendOptions gpu;  // --backend cuda only
  // Data-parallel replicas (--data-parallel-size; multi-process runs only); 0: ranks / p.
  std::uint32_t replicas = 0;
  // --costs FILE: the prediction's timing costs come from this cost file (read whole before
  // anything runs) instead of this run's own profile.
  std::string costs_path;
  std::optional<sim::CostConfig> costs;
};

// What the backend-specific part of a run hands back.
struct BackendRun {
  exec::ExecutionProfile isolated;  // each op timed alone, and the transfers
  exec::TimedSteps timed;
  exec::RunDescription description;
};

// Adds run's flags but the schedule's (add_schedule_options): backend, model, optimizer,
// steps, profiling, outputs, faults, CUDA. `pipewise profile` takes them too.
void add_run_options(boost::program_options::options_description& options);

// The request those flags make, checked, with a --costs file read; the schedule is left to
// the caller (schedule_from_options or schedules_from_options). Throws pipewise::Error naming
// the bad flag or file.
RunRequest request_from_options(const boost::program_options::variables_map& values);

// `request.schedule` lowered to sends and receives (lower_communication) as the run executes
// it: for --backend cuda across processes or with --transport nccl, where every message
// between devices is an NCCL call, with receives posted ahead where NCCL's groups need it
// (exec/cuda/planning/receives_ahead.hpp).
// Throws pipewise::Error when NCCL cannot run the schedule even so.
Schedule lowered_for_run(const RunRequest& request);

// Whether `schedule` runs I and W as separate ops (zero-bubble schedules) instead of B.
bool splits_backward(const Schedule& schedule);

// Refuses, with the estimate, a CPU run whose model, optimizer state, activations and data
// cannot fit in this machine's memory, before any of it is allocated.
void require_memory_for_cpu_run(const RunRequest& request, const Schedule& lowered,
                                const exec::MlpModel& model);

// Every op of every step in `steps`, as intervals.
std::vector<exec::StepIntervals> intervals_of(const std::vector<exec::TimingRecorder>& steps);

// The ops of `model` timed alone on the request's backend (CPU, or the GPUs or SM
// partitions a CUDA run over `pipeline_devices` devices would use), in the simulator's units.
// Throws pipewise::Error with one line when the CUDA backend is asked for and this build
// has no CUDA module, it cannot be loaded, or there is no device.
exec::ExecutionProfile profile_alone(const RunRequest& request, const exec::MlpModel& model,
                                     const exec::SyntheticTask& task,
                                     std::uint32_t pipeline_devices);

// The CUDA backend `request` asks for (request.gpu: every device in this process, or with
// gpu.rank set one rank's device of a multi-process run), made by the CUDA module. Throws
// pipewise::Error with one line when this build has no CUDA module, it cannot be loaded, or
// there is no device.
std::unique_ptr<exec::TrainingBackend> make_cuda_backend(const RunRequest& request,
                                                         const exec::MlpModel& model,
                                                         const exec::SyntheticTask& task);

// The ops of `lowered` timed alone, then its warm-up, profiling and timed steps, in this
// process on the request's backend. Throws pipewise::Error for a data-parallel request (that
// needs mpirun) or a run that fails.
BackendRun run_in_process(const RunRequest& request, const Schedule& lowered,
                          const exec::MlpModel& model, const exec::SyntheticTask& task);

// The rest of `pipewise run` once the steps have run: the profile the prediction is made
// from, the prediction, the comparison, the timelines (--trace, --svg) and the report on
// stdout. Returns the exit status.
int report_run(const boost::program_options::variables_map& values, const RunRequest& request,
               const Schedule& lowered, const exec::MlpModel& model, const BackendRun& run);

}  // namespace pipewise::tools
