// `pipewise profile`: profiles a pipeline once on the real backend and writes a simulator
// cost file that other configurations are predicted from (simulate/sweep --costs, run --costs).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "common/io/output_set.hpp"
#include "common/text/escaped_text.hpp"
#include "common/text/format.hpp"
#include "exec/cpu/cpu_profile.hpp"
#include "exec/mpi/module/mpi_module_loader.hpp"
#include "sim/cost_file.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/run_over_mpi.hpp"
#include "tools/cli/run_request.hpp"
#include "tools/cli/schedule_options.hpp"
#include "tools/compare/measured_costs.hpp"
#include "tools/compare/pipeline_profile.hpp"
#include "tools/compare/profile_stability.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kProfileUsage =
    "usage: pipewise profile [--backend cpu|cuda] --schedule NAME --stages P --microbatches M\n"
    "                        [--chunks V] -o FILE [run's model and profiling flags]\n"
    "Profiles a pipeline once and writes a simulator cost file (sim/cost_file.hpp) that\n"
    "`simulate`, `sweep` and `search` read with --costs, and `run --costs` predicts other\n"
    "configurations from. Runs the schedule as `run` does (warm-up, then --profile-steps steps,\n"
    "default 3) and times every layer of the model alone (--profile-repeats). The file holds:\n"
    "  stages: each model stage's F, I, W (B timed as one op minus W, unless the schedule\n"
    "    splits the backward) and optimizer step as they ran inside the pipeline, for this\n"
    "    split of the model (p*v stages); its stashing step (one that keeps the version it\n"
    "    replaces, as PipeDream's do, writing the new one elsewhere): as it ran, or timed alone\n"
    "    and slowed as the pipeline slowed the other kind of step; and the links: transfer\n"
    "    latency (the in-pipeline hand-over) and bandwidth, with this split's activation bytes;\n"
    "  profile: the model, micro-batch size, optimizer and split; the contention factor of each\n"
    "    kind of op (its in-pipeline time summed over the stages / the layers' times alone\n"
    "    summed: how much slower ops run inside the pipeline than alone); and every layer's\n"
    "    F, I, W and optimizer step: its stage's in-pipeline time, shared among the stage's\n"
    "    layers in proportion to their times alone (its stashing step: its step share times\n"
    "    its stage's stashing step over step).\n"
    "What it predicts: any schedule, m and n at the same p*v from the stage costs; another p*v\n"
    "of the same model (e.g. interleaved v = 2 from a 1f1b profile) with `run --costs`,\n"
    "`simulate --costs` and `sweep --costs`, each stage the sum of its layers; `recommend\n"
    "--costs` searches them all. `search` at another p*v, or `run` with another model,\n"
    "micro-batch size or optimizer are refused with one line. Under mpirun (-np p*d: one rank\n"
    "per device and replica, as run lays them out) the pipeline runs across the ranks and the\n"
    "file holds the costs of running that way: messages over MPI (NCCL with --backend cuda,\n"
    "one GPU per rank) and, with d > 1 replicas, the gradient all-reduce (\"data_parallel\").\n"
    "In one process --backend cuda profiles on the GPUs (or SM partitions, --emulate) that\n"
    "run --backend cuda would use.\n"
    "Example: pipewise profile -s 1f1b -p 2 -m 8 -o costs.json";

// Writes the cost file of `run` (the profiled pipeline) and the summary line.
int write_profile(const po::variables_map& values, const RunRequest& request,
                  const Schedule& lowered, const exec::MlpModel& model,
                  const exec::SyntheticTask& task, const BackendRun& run) {
  const exec::ExecutionProfile in_pipeline =
      profile_from_steps(run.isolated, lowered, intervals_of(run.timed.profiled));
  const exec::MlpModel layer_model(request.model, request.model.layers());
  const exec::ExecutionProfile layers_alone =
      profile_alone(request, layer_model, task, lowered.problem.devices);
  ProfileSetting setting;
  setting.backend = request.backend;
  setting.schedule = request.schedule.name;
  setting.microbatch_size = request.task.microbatch_size;
  setting.optimizer = request.optimizer_name;
  setting.split_backward = splits_backward(request.schedule);
  setting.processes = std::max<std::uint32_t>(exec::mpi::launched_world_size(), 1);  // 0 without a launcher
  const sim::CostFileContents contents =
      measured_cost_file(in_pipeline, layers_alone, model, lowered.problem, setting);
  const sim::StageCosts& factor = contents.profile->contention;
  std::vector<double> step_ms;
  for (const exec::TimingRecorder& step : run.timed.profiled) {
    step_ms.push_back(static_cast<double>(step.makespan_ns()) * 1e-6);
  }
  if (const auto warning = profile_spread_warning(step_ms)) {
    std::fprintf(stderr, "pipewise profile: warning: %s\n", warning->c_str());
  }
  const std::string path = values["output"].as<std::string>();
  OutputSet outputs;
  outputs.add(path, sim::cost_file_text(contents), "--output");
  outputs.add_standard_output(
      "profiled " + request.schedule.name + " " + problem_sizes(lowered.problem) + " on " +
          request.backend +
          (setting.processes > 1 ? " over MPI (" + std::to_string(setting.processes) + " ranks)"
                                 : std::string()) +
          ": " + std::to_string(model.stages()) + " stage costs, " +
          std::to_string(request.model.layers()) + " layer costs; contention F x" +
          format_number(factor.forward) + ", I x" + format_number(factor.backward_input) +
          ", W x" + format_number(factor.backward_weight) + ", optimizer x" +
          format_number(factor.optimizer_step) + "\nwrote " + printable(path) + "\n",
      "the summary");
  outputs.commit();
  return 0;
}

int run_profile(const std::vector<std::string>& args) {
  po::options_description options("options");
  add_schedule_options(options);
  add_run_options(options);
  add_option(options, vocabulary::output, {.detail = "here the cost file FILE, required"});
  po::variables_map values;
  if (parse_or_help(args, options, values, kProfileUsage)) return 0;
  if (!values.count("output")) throw Error("-o/--output FILE (the cost file to write) is required");
  for (const char* run_only : {"trace", "svg", "inject-fault"}) {
    if (values.count(run_only)) throw Error(std::string("--") + run_only + " is a flag of run, not of profile");
  }
  RunRequest request = request_from_options(values);
  if (request.steps.profile_steps == 0) throw Error("--profile-steps must be at least 1: the stage costs are measured inside the pipeline");
  request.schedule = schedule_from_options(values, FileCheck::Validated);
  const Schedule lowered = lowered_for_run(request);
  const exec::MlpModel model(request.model, lowered.problem.model_stages());
  if (request.backend == "cpu") require_memory_for_cpu_run(request, lowered, model);
  const exec::SyntheticTask task(request.model.input_width(), request.model.classes(), request.task);
  if (exec::mpi::launched_world_size() > 1) {
    // One pipeline device per rank, messages over MPI, and with p·d ranks d replicas whose
    // gradients are all-reduced: the costs of running this way.
    exec::FaultPlan no_faults;
    return run_as_rank("profile", request, lowered, model, task, no_faults, [&](BackendRun& run) {
      return write_profile(values, request, lowered, model, task, run);
    });
  }
  const BackendRun run = run_in_process(request, lowered, model, task);
  return write_profile(values, request, lowered, model, task, run);
}

}  // namespace

Command profile_command() {
  return {"profile",
          "profile a pipeline once and write a cost file to predict other configurations from",
          &run_profile};
}

}  // namespace pipewise::tools
