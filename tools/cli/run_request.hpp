#pragma once
// What `pipewise run` asks for and what a backend hands back, shared by the single-process run
// (run_command.cpp) and the multi-process one (run_over_mpi.cpp).
#include <boost/program_options.hpp>
#include <cstdint>
#include <string>

#include "common/ir/schedule.hpp"
#include "exec/core/execution_profile.hpp"
#include "exec/core/run_description.hpp"
#include "exec/core/timed_steps.hpp"
#include "exec/cuda/planning/cuda_backend_options.hpp"
#include "exec/model/mlp_config.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"

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
};

// What the backend-specific part of a run hands back.
struct BackendRun {
  exec::ExecutionProfile isolated;  // each op timed alone, and the transfers
  exec::TimedSteps timed;
  exec::RunDescription description;
};

// The rest of `pipewise run` once the steps have run: the profile the prediction is made
// from, the prediction, the comparison, the timelines (--trace, --svg) and the report on
// stdout. Returns the exit status.
int report_run(const boost::program_options::variables_map& values, const RunRequest& request,
               const Schedule& lowered, const exec::MlpModel& model, const BackendRun& run);

}  // namespace pipewise::tools
