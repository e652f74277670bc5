// `pipewise run`: trains a real MLP with a schedule on the executor and sets the measured
// step beside the simulator's prediction of it, made from the same model's profiled costs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/io/atomic_file.hpp"
#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/resources/resource_limits.hpp"
#include "exec/core/fault_plan.hpp"
#include "exec/core/fault_spec.hpp"
#include "tools/compare/cost_from_profile.hpp"
#include "tools/compare/measured_costs.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/cpu/cpu_profile.hpp"
#include "exec/cuda/planning/receives_ahead.hpp"
#include "tools/compare/measured_vs_predicted.hpp"
#include "tools/compare/pipeline_profile.hpp"
#include "tools/compare/predicted_run.hpp"
#include "tools/compare/run_report.hpp"
#include "tools/compare/run_memory_estimate.hpp"
#include "exec/core/step_timeline.hpp"
#include "exec/core/timed_steps.hpp"
#include "exec/core/training_backend.hpp"
#include "common/timeline/chrome_trace.hpp"
#include "common/timeline/svg_timeline.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/cost_file_input.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/run_over_mpi.hpp"
#include "tools/cli/run_request.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/report_output.hpp"
#include "tools/cli/schedule_options.hpp"
#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"
#include "common/text/text_table.hpp"
#include "exec/cuda/module/cuda_module_loader.hpp"
#include "exec/cuda/planning/cuda_backend_options.hpp"
#include "exec/cuda/planning/device_selection.hpp"
#include "exec/cuda/planning/math_mode.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"


namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise run [--backend cpu|cuda] --schedule NAME[,NAME...] --stages P\n"
    "                    --microbatches M [--chunks V] [--iterations N] | --schedule-file FILE\n"
    "       [--costs FILE]\n"
    "       [--model WIDTHS] [--microbatch-size B] [--optimizer sgd|momentum|adam]\n"
    "       [--learning-rate LR] [--steps K] [--warmup-steps W] [--profile-steps P]\n"
    "       [--profile-repeats R] [--trace FILE] [--svg FILE] [--format table|json|csv]\n"
    "       [--seed S] [--receive-deadline-ms MS] [--check-messages] [--inject-fault SPEC]...\n"
    "       cuda only: [--emulate P | --gpus LIST] [--transport auto|copy|nccl]\n"
    "       [--math fp32|tf32|bf16]\n"
    "Trains an MLP (layer widths WIDTHS, split into p*v stages by parameter count, p for\n"
    "dualpipe, whose two copies hold each stage twice) on a\n"
    "synthetic task with the schedule, on the chosen backend, and compares the run with the\n"
    "simulator's prediction. First every stage's F, B, I, W and optimizer step and the\n"
    "transfer time per byte are timed alone (medians of R repeats). Then the schedule runs (a\n"
    "step is one run of its n iterations): W warm-up steps, then P profiling steps, whose op\n"
    "durations and message hand-overs (per stage and kind, the median over the steps of each\n"
    "step's mean: as they run beside the other devices) make the cost model, alternating with\n"
    "K timed steps, timing every op. The simulator predicts the step from that cost model,\n"
    "with each device's memory sized from the real model. The report sets measured and\n"
    "predicted side by side: step time (median of the timed steps), bubble ratio, per-device\n"
    "busy time, bubble and peak memory, and the distribution of per-op duration and start-time\n"
    "errors. Times are in ms.\n"
    "The CPU backend runs one worker thread per device, pinned to a core of its own when there\n"
    "are enough: with more devices than cores the timings measure contention. The CUDA backend\n"
    "is the module libpipewise_cuda.so beside the pipewise binary (or $PIPEWISE_CUDA_MODULE),\n"
    "loaded only by --backend cuda: it exits 1 with one line when the module or the CUDA\n"
    "libraries cannot be loaded, or the process sees no GPU.\n"
    "Under mpirun (-np p*d) each rank runs one pipeline device of one of d replicas: with\n"
    "--backend cpu messages travel over MPI and gradients are averaged by MPI_Allreduce; with\n"
    "--backend cuda each rank drives one GPU (the machine's k-th rank GPU k, or the k-th of\n"
    "--gpus), messages are NCCL sends and receives and gradients NCCL's all-reduce, the NCCL\n"
    "communicators bootstrapped over MPI.\n"
    "--inject-fault KIND@DEVICE:OP[:ARG] (repeatable; KIND throw, delay (ARG ms), kill, drop,\n"
    "corrupt or fail-send; OP as in 1F0, 0SEND_F2) injects a fault into every step of the\n"
    "schedule (not the ops timed alone): a fault that fails the run fails its first step, and\n"
    "pipewise exits 1 with one line naming the device, the op and the cause, writing no file.\n"
    "corrupt turns --check-messages on, so the corrupted message is caught by its checksum.\n"
    "--format csv prints a header line and one row of the headline figures: schedule, backend,\n"
    "stages, chunks, microbatches, iterations, measured_step_ms, predicted_step_ms,\n"
    "step_time_error ((measured - predicted) / predicted), measured_bubble_ratio,\n"
    "predicted_bubble_ratio, op_duration_error_median (a figure that cannot be computed is\n"
    "left empty); --format json the whole report (docs/run-report-json.md).\n"
    "--schedule LIST (e.g. naive,gpipe,1f1b,interleaved) runs each schedule in turn on the same\n"
    "model, data and --costs file (each profiles itself without one), -v applying to those that\n"
    "take chunks, and ends with one comparison table, a row per schedule: measured and predicted\n"
    "step time, bubble, peak memory per device, final loss (--format table or csv; no --trace,\n"
    "--svg or --inject-fault).\n"
    "--costs FILE predicts from a cost file instead of this run's own profile (no profiling\n"
    "steps unless --profile-steps asks): one written by `pipewise profile` must be of the same\n"
    "model, micro-batch size and optimizer; at its own split (p*v) its measured stage costs\n"
    "are used as they are, at another each stage costs the sum of its layers' costs (each\n"
    "layer's share of its profiled stage's in-pipeline time). Any other cost file must give\n"
    "every model stage's forward time.\n"
    "Example: pipewise run --schedule 1f1b --stages 2 --microbatches 8 --svg run.svg";

constexpr std::uint32_t kMaxWidth = 1u << 16;

}  // namespace

void add_run_options(po::options_description& options) {
  // clang-format off
  options.add_options()
      ("backend", po::value<std::string>()->default_value("cpu"),
       "cpu (worker threads, OpenBLAS) or cuda (GPUs; needs a build with CUDA)")
      ("model", po::value<std::string>(),
       "MLP layer widths, input first and classes last, e.g. 100,1024,1024,10 (default: the "
       "4-block MLP 100,1024,1024,2048,2048,1024,1024,512,10)")
      ("microbatch-size", po::value<std::int64_t>(), "samples per micro-batch (default 32)")
      ("optimizer", po::value<std::string>()->default_value("sgd"), "sgd, momentum (0.9) or adam")
      ("learning-rate", po::value<double>(), "learning rate (default 0.01; adam 0.001)")
      ("steps", po::value<std::int64_t>(), "timed training steps K (default 5)")
      ("warmup-steps", po::value<std::int64_t>(), "untimed steps W before them (default 2)")
      ("profile-steps", po::value<std::int64_t>(),
       "steps of the pipeline, alternating with the timed ones, whose op durations and message "
       "hand-overs the prediction is made from; 0: from each op and transfer timed alone "
       "(default 3)")
      ("profile-repeats", po::value<std::int64_t>(),
       "timed repeats of each op timed alone and each transfer size; the median is used "
       "(default 15)")
      ("seed", po::value<std::int64_t>(), "seeds the initial weights and the data (default 1)")
      ("format", po::value<std::string>()->default_value("table"),
       "table, json (the whole report) or csv (a header and one row of the headline figures)")
      ("trace", po::value<std::string>(),
       "write a Chrome trace (Perfetto) with the measured and predicted runs to FILE")
      ("svg", po::value<std::string>(), "write the measured and predicted timelines as SVG to FILE")
      ("receive-deadline-ms", po::value<std::int64_t>(),
       "how long a receive waits for its message before the run fails (a deadlock or a lost "
       "message; default 60000)")
      ("check-messages", "checksum every transferred buffer; a mismatch fails the run")
      ("data-parallel-size", po::value<std::int64_t>(),
       "replicas d of the pipeline, each training on micro-batches of its own, gradients "
       "averaged every step (MPI_Allreduce, or NCCL's with --backend cuda): under mpirun with "
       "p*d ranks (default: ranks / p)")
      ("inject-fault", po::value<std::vector<std::string>>(),
       "KIND@DEVICE:OP[:ARG]: inject a fault into the steps of the schedule (repeatable); KIND "
       "throw, delay (ARG milliseconds), kill (the worker dies), drop, corrupt or fail-send "
       "(of the message of send op OP); OP in PyTorch's notation, e.g. 1F0, 0SEND_F2")
      ("emulate", po::value<std::int64_t>(), "cuda: run the P devices in SM partitions of one GPU")
      ("gpus", po::value<std::string>(), "cuda: GPUs of the devices, e.g. 0,1,2,3")
      ("transport", po::value<std::string>(), "cuda: auto, copy or nccl (default auto)")
      ("math", po::value<std::string>(), "cuda: GEMM math fp32, tf32 or bf16 (default fp32)");
  // clang-format on
}

namespace {

std::vector<std::uint32_t> widths_option(const po::variables_map& values) {
  if (!values.count("model")) return exec::MlpConfig{}.widths;
  std::vector<std::uint32_t> widths;
  for (const std::string& item : comma_separated(values["model"].as<std::string>(), "model")) {
    std::size_t used = 0;
    long long width = 0;
    try {
      width = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || width < 1 || width > kMaxWidth) {
      throw Error("--model: \"" + item + "\" is not a layer width (an integer from 1 to " +
                  std::to_string(kMaxWidth) + ")");
    }
    widths.push_back(static_cast<std::uint32_t>(width));
  }
  return widths;
}

exec::OptimizerConfig optimizer_option(const po::variables_map& values, const std::string& name) {
  const bool adam = name == "adam";
  float learning_rate = adam ? 0.001f : 0.01f;
  if (values.count("learning-rate")) {
    const double value = values["learning-rate"].as<double>();
    if (!std::isfinite(value) || value <= 0) {
      throw Error("--learning-rate must be a finite number > 0 (got " + format_given(value) + ")");
    }
    learning_rate = static_cast<float>(value);
  }
  if (adam) return exec::OptimizerConfig::adam(learning_rate);
  return exec::OptimizerConfig::sgd(learning_rate, name == "momentum" ? 0.9f : 0.0f);
}

}  // namespace

Schedule lowered_for_run(const RunRequest& request) {
  Schedule lowered = lower_communication(request.schedule);
  // Bidirectional schedules are the CUDA backend's to refuse, with its own line.
  const bool nccl_only = exec::mpi::launched_world_size() > 1 ||
                         request.gpu.transport == exec::cuda::TransportChoice::Nccl;
  if (request.backend != "cuda" || !nccl_only || lowered.problem.bidirectional()) return lowered;
  return exec::cuda::post_receives_ahead(lowered);
}

bool splits_backward(const Schedule& schedule) {
  for (const auto& program : schedule.programs) {
    for (const Op& op : program) {
      if (op.kind == OpKind::BackwardInput) return true;
    }
  }
  return false;
}

namespace {

// Times the steps of `lowered` on `backend`, whose ops were timed alone in `isolated`.
BackendRun time_steps(const RunRequest& request, const Schedule& lowered,
                      exec::TrainingBackend& backend, exec::ExecutionProfile isolated) {
  BackendRun run;
  run.isolated = std::move(isolated);
  run.timed = exec::run_timed_steps(lowered, backend, request.steps, backend.step_hooks());
  run.description = backend.describe_run();
  return run;
}

BackendRun run_on_cpu(const RunRequest& request, const Schedule& lowered, const exec::MlpModel& model,
                      const exec::SyntheticTask& task) {
  exec::ExecutionProfile isolated = profile_alone(request, model, task, lowered.problem.devices);
  exec::CpuBackend backend(model, task, request.optimizer);
  return time_steps(request, lowered, backend, std::move(isolated));
}

exec::cuda::CudaBackendOptions cuda_options(const po::variables_map& values) {
  exec::cuda::CudaBackendOptions options;
  if (values.count("gpus")) options.devices.gpus = exec::cuda::parse_gpu_list(values["gpus"].as<std::string>());
  options.devices.emulate = bounded_option(values, "emulate", 0, 1, 65536);
  if (values.count("transport")) {
    options.transport = exec::cuda::transport_choice_from_name(values["transport"].as<std::string>());
  }
  if (values.count("math")) options.math = exec::cuda::math_mode_from_name(values["math"].as<std::string>());
  return options;
}

// The CUDA module, loaded (dlopen) unless it already is. Throws pipewise::Error with one
// line when this build has none, or it or the CUDA libraries it needs cannot be loaded.
const exec::cuda::CudaModule& cuda_module() {
  const exec::cuda::CudaModuleLoad loaded = exec::cuda::load_cuda_module();
  if (loaded.module == nullptr) throw Error("--backend cuda: " + loaded.error);
  return *loaded.module;
}

}  // namespace

exec::ExecutionProfile profile_alone(const RunRequest& request, const exec::MlpModel& model,
                                     const exec::SyntheticTask& task,
                                     std::uint32_t pipeline_devices) {
  if (request.backend != "cuda") {
    return exec::profile_cpu_execution(model, task, request.optimizer, request.profile);
  }
  const exec::cuda::CudaModule& module = cuda_module();
  const exec::cuda::DeviceCount count = module.device_count();
  if (count.count == 0) throw Error("no CUDA device: " + std::string(count.reason));
  return module.profile_execution(model, task, request.optimizer, request.gpu, pipeline_devices,
                                  request.profile);
}

std::unique_ptr<exec::TrainingBackend> make_cuda_backend(const RunRequest& request,
                                                         const exec::MlpModel& model,
                                                         const exec::SyntheticTask& task) {
  return cuda_module().make_backend(model, task, request.optimizer, request.gpu);
}

namespace {

BackendRun run_on_cuda(const RunRequest& request, const Schedule& lowered, const exec::MlpModel& model,
                       const exec::SyntheticTask& task) {
  exec::ExecutionProfile isolated = profile_alone(request, model, task, lowered.problem.devices);
  const std::unique_ptr<exec::TrainingBackend> backend = make_cuda_backend(request, model, task);
  return time_steps(request, lowered, *backend, std::move(isolated));
}

}  // namespace

RunRequest request_from_options(const po::variables_map& values) {
  RunRequest request;
  request.backend = choice_option(values, "backend", {"cpu", "cuda"});
  request.format = choice_option(values, "format", {"table", "json", "csv"});
  request.optimizer_name = choice_option(values, "optimizer", {"sgd", "momentum", "adam"});
  for (const char* cuda_only : {"emulate", "gpus", "transport", "math"}) {
    if (values.count(cuda_only) && request.backend != "cuda") {
      throw Error(std::string("--") + cuda_only + " needs --backend cuda");
    }
  }
  if (request.backend == "cuda") request.gpu = cuda_options(values);
  request.model.widths = widths_option(values);
  request.model.seed = bounded_option(values, "seed", 1, 0, 0xFFFFFFFFLL);
  request.model.check();
  request.task.microbatch_size = bounded_option(values, "microbatch-size", 32, 1, 1 << 16);
  request.task.seed = request.model.seed;
  request.optimizer = optimizer_option(values, request.optimizer_name);
  request.profile.repeats = bounded_option(values, "profile-repeats", 15, 1, 100000);
  request.steps.warmup_steps = bounded_option(values, "warmup-steps", 2, 0, 100000);
  if (values.count("costs")) {
    request.costs_path = values["costs"].as<std::string>();
    request.costs = read_cost_file(request.costs_path);
  }
  request.steps.profile_steps =
      bounded_option(values, "profile-steps", request.costs ? 0 : 3, 0, 100000);
  request.steps.timed_steps = bounded_option(values, "steps", 5, 1, 100000);
  request.steps.run.receive_timeout = std::chrono::milliseconds(
      bounded_option(values, "receive-deadline-ms", 60000, 1, 86'400'000));
  request.steps.run.verify_checksums = values.count("check-messages") > 0;
  request.replicas = bounded_option(values, "data-parallel-size", 0, 1, 1 << 20);
  return request;
}

namespace {

// Adds the --inject-fault faults to `faults` and makes `run` use them: every step of
// `lowered` meets them. A corrupting fault turns checksums on, so it is caught.
void inject_faults(const po::variables_map& values, const Schedule& lowered, exec::FaultPlan& faults,
                   exec::RunOptions& run) {
  if (!values.count("inject-fault")) return;
  for (const std::string& spec : values["inject-fault"].as<std::vector<std::string>>()) {
    try {
      exec::add_fault_from_text(faults, spec, lowered);
    } catch (const Error& error) {
      throw Error("--inject-fault \"" + spec + "\": " + error.what());
    }
  }
  run.faults = &faults;
  run.verify_checksums = run.verify_checksums || faults.corrupts_messages();
}

}  // namespace

// Refuses, with the estimate, a CPU run whose model, optimizer state, activations and data
// cannot fit in this machine's memory, before any of it is allocated.
void require_memory_for_cpu_run(const RunRequest& request, const Schedule& lowered,
                                const exec::MlpModel& model) {
  const Problem& problem = lowered.problem;
  require_available_memory(
      request.schedule.name + " " + problem_sizes(problem) + " with micro-batches of " +
          std::to_string(request.task.microbatch_size) + " samples",
      estimate_cpu_run_bytes(lowered, model, request.task, request.optimizer),
      "its model's parameters, gradients, optimizer state and weight versions, its stashed "
      "activations and its data, on " + std::to_string(problem.devices) + " device(s)");
}

std::vector<exec::StepIntervals> intervals_of(const std::vector<exec::TimingRecorder>& steps) {
  std::vector<exec::StepIntervals> intervals;
  for (const exec::TimingRecorder& step : steps) intervals.push_back(step.intervals());
  return intervals;
}

namespace {

// The simulator's prediction of `lowered` from `profile`, with each device's memory share
// sized from `model`.
PredictedRun predict(const RunRequest& request, const Schedule& lowered, const exec::MlpModel& model,
                     const exec::ExecutionProfile& profile) {
  const Problem& problem = lowered.problem;
  std::vector<sim::MemoryConfig> memory;
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    memory.push_back(
        device_memory_config(model, problem, d, request.task.microbatch_size, request.optimizer));
  }
  const bool split = splits_backward(request.schedule);
  const sim::CostConfig measured_here = cost_config_from_profile(profile, model, problem, split);
  if (request.costs) {
    sim::CostConfig costs = costs_for_run(*request.costs, request.costs_path, model, problem,
                                          request.task.microbatch_size, request.optimizer_name);
    // The all-reduce: a file's, measured across its replicas, holds per link for any number
    // of them, so it is applied to this run's replicas; without one, this run's own.
    const std::uint32_t replicas = std::max(profile.data_parallel.replicas, 1u);
    if (costs.data_parallel.replicas > 1) {
      costs.data_parallel.replicas = replicas;
    } else {
      costs.data_parallel = measured_here.data_parallel;
    }
    return predict_run(lowered, costs, memory);
  }
  return predict_run(lowered, measured_here, memory);
}

RunReport report_of(const RunRequest& request, const exec::MlpModel& model, const BackendRun& run) {
  RunReport report;
  report.backend = request.backend;
  report.schedule = request.schedule.name;
  report.problem = request.schedule.problem;
  report.widths = request.model.widths;
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    report.parameters += model.stage(s).parameter_count;
    report.stage_layers.push_back({model.stage(s).first_layer, model.stage(s).layers()});
  }
  report.microbatch_size = request.task.microbatch_size;
  report.optimizer = request.optimizer_name;
  report.isolated_profile = run.isolated;
  report.profile_repeats = request.profile.repeats;
  report.profile_steps = request.steps.profile_steps;
  report.warmup_steps = request.steps.warmup_steps;
  report.timed_steps = request.steps.timed_steps;
  report.placement = run.description.placement;
  report.pinned = run.description.dedicated;
  report.warnings = run.description.warnings;
  report.first_loss = run.timed.mean_losses.front();
  report.last_loss = run.timed.mean_losses.back();
  return report;
}

// `value` for a CSV cell: six significant digits (beyond the noise of a measured time),
// empty when it is not finite (a relative error against a prediction of 0).
std::string csv_number(double value) { return std::isfinite(value) ? format_number(value) : ""; }

// The headline figures of `report` as CSV, for scripts that collect runs (gpu_check.sh): a
// header line, then one row; the columns are listed in kUsage.
std::string run_report_csv(const RunReport& report) {
  const RunComparison& comparison = report.comparison;
  const Problem& problem = report.problem;
  return "schedule,backend,stages,chunks,microbatches,iterations,measured_step_ms,"
         "predicted_step_ms,step_time_error,measured_bubble_ratio,predicted_bubble_ratio,"
         "op_duration_error_median\n" +
         csv_field(report.schedule) + "," + csv_field(report.backend) + "," +
         std::to_string(problem.devices) + "," + std::to_string(problem.chunks) + "," +
         std::to_string(problem.microbatches) + "," + std::to_string(problem.iterations) + "," +
         csv_number(comparison.step_time_ms.measured) + "," +
         csv_number(comparison.step_time_ms.predicted) + "," +
         csv_number(relative_error(comparison.step_time_ms)) + "," +
         csv_number(comparison.bubble_ratio.measured) + "," +
         csv_number(comparison.bubble_ratio.predicted) + "," +
         csv_number(comparison.op_duration_error.median) + "\n";
}

std::string run_title(const RunReport& report) {
  const Problem& problem = report.problem;
  return report.schedule + " on " + report.backend + ": " + problem_sizes(problem) +
         "  measured (median step) vs predicted";
}

// The report of `run` and the prediction it was compared with.
struct ComparedRun {
  RunReport report;
  PredictedRun prediction;
};

ComparedRun compared_run(const RunRequest& request, const Schedule& lowered,
                         const exec::MlpModel& model, const BackendRun& run) {
  ComparedRun compared{report_of(request, model, run), {}};
  RunReport& report = compared.report;
  const std::vector<exec::StepIntervals> profiled = intervals_of(run.timed.profiled);
  report.profile = profiled.empty() ? run.isolated : profile_from_steps(run.isolated, lowered, profiled);
  compared.prediction = predict(request, lowered, model, report.profile);
  report.comparison =
      compare_run(lowered, intervals_of(run.timed.steps), run.timed.memory, compared.prediction);
  return compared;
}

}  // namespace

// The steps of `lowered` on one process, on the request's backend.
BackendRun run_in_process(const RunRequest& request, const Schedule& lowered,
                          const exec::MlpModel& model, const exec::SyntheticTask& task) {
  if (request.replicas > 1) {
    throw Error("--data-parallel-size " + std::to_string(request.replicas) +
                " runs one process per device and replica: launch p*d = " +
                std::to_string(lowered.problem.devices * request.replicas) +
                " ranks with mpirun");
  }
  return request.backend == "cuda" ? run_on_cuda(request, lowered, model, task)
                                   : run_on_cpu(request, lowered, model, task);
}

namespace {

// "a / b / c": one figure per device.
std::string per_device_bytes(const RunComparison& comparison, bool measured) {
  std::string text;
  for (const DeviceComparison& device : comparison.devices) {
    text += (text.empty() ? "" : " / ") +
            format_bytes(measured ? device.peak_bytes.measured : device.peak_bytes.predicted);
  }
  return text;
}

// The side-by-side table of a --schedule LIST run: one row per schedule.
std::string comparison_table(const std::vector<RunReport>& reports) {
  using Align = TextTable::Align;
  TextTable table({{"schedule", Align::Left},
                   {"p", Align::Right},
                   {"v", Align::Right},
                   {"m", Align::Right},
                   {"step ms measured", Align::Right},
                   {"predicted", Align::Right},
                   {"error", Align::Right},
                   {"bubble measured", Align::Right},
                   {"predicted", Align::Right},
                   {"peak memory per device measured", Align::Right},
                   {"predicted", Align::Right},
                   {"final loss", Align::Right}});
  for (const RunReport& report : reports) {
    const RunComparison& comparison = report.comparison;
    table.add_row({report.schedule, std::to_string(report.problem.devices),
                   std::to_string(report.problem.chunks), std::to_string(report.problem.microbatches),
                   format_number(comparison.step_time_ms.measured),
                   format_number(comparison.step_time_ms.predicted),
                   format_signed_percent(relative_error(comparison.step_time_ms)),
                   format_percent(comparison.bubble_ratio.measured),
                   format_percent(comparison.bubble_ratio.predicted),
                   per_device_bytes(comparison, true), per_device_bytes(comparison, false),
                   format_number(report.last_loss)});
  }
  const RunReport& first = reports.front();
  return std::to_string(reports.size()) + " schedules on " + first.backend + ", " +
         std::to_string(first.problem.devices) + " devices, " +
         std::to_string(first.problem.microbatches) +
         " micro-batches: measured (median step) vs predicted, times in ms\n" + table.render();
}

// `pipewise run --schedule LIST`: every schedule in turn, then one table (or CSV rows).
int run_schedule_list(const po::variables_map& values, RunRequest& request,
                      const std::vector<Schedule>& schedules) {
  for (const char* single : {"trace", "svg", "inject-fault"}) {
    if (values.count(single)) {
      throw Error(std::string("--") + single + " needs one schedule (--schedule lists " +
                  std::to_string(schedules.size()) + ")");
    }
  }
  if (request.format == "json") throw Error("--format json describes one run: give one schedule, or --format table or csv");
  if (exec::mpi::launched_world_size() > 1) {
    throw Error("--schedule with a list runs in one process: run each schedule with mpirun on its own");
  }
  std::vector<RunReport> reports;
  std::string csv;
  for (const Schedule& schedule : schedules) {
    request.schedule = schedule;
    const Schedule lowered = lowered_for_run(request);
    const exec::MlpModel model(request.model, lowered.problem.model_stages());
    if (request.backend == "cpu") require_memory_for_cpu_run(request, lowered, model);
    const exec::SyntheticTask task(request.model.input_width(), request.model.classes(), request.task);
    const BackendRun run = run_in_process(request, lowered, model, task);
    reports.push_back(compared_run(request, lowered, model, run).report);
    const std::string rows = run_report_csv(reports.back());
    csv += reports.size() == 1 ? rows : rows.substr(rows.find('\n') + 1);
  }
  OutputSet outputs;
  outputs.add_standard_output(request.format == "csv" ? csv : comparison_table(reports), "the report");
  outputs.commit();
  return 0;
}

int run_run(const std::vector<std::string>& args) {
  po::options_description options("options");
  add_schedule_options(options);
  add_run_options(options);
  add_option(options, vocabulary::costs,
             {.detail = "predict from it instead of this run's own profile (pipewise profile "
                        "writes one)"});
  po::variables_map values;
  if (parse_or_help(args, options, values, kUsage)) return 0;
  RunRequest request = request_from_options(values);
  const std::vector<Schedule> schedules = schedules_from_options(values, FileCheck::Validated);
  if (schedules.size() > 1) return run_schedule_list(values, request, schedules);
  request.schedule = schedules.front();

  const Schedule lowered = lowered_for_run(request);
  exec::FaultPlan faults;
  inject_faults(values, lowered, faults, request.steps.run);
  const exec::MlpModel model(request.model, lowered.problem.model_stages());
  if (request.backend == "cpu") require_memory_for_cpu_run(request, lowered, model);
  const exec::SyntheticTask task(request.model.input_width(), request.model.classes(), request.task);
  if (exec::mpi::launched_world_size() > 1) {
    return run_over_mpi(values, request, lowered, model, task, faults);
  }
  const BackendRun run = run_in_process(request, lowered, model, task);
  return report_run(values, request, lowered, model, run);
}

}  // namespace

int report_run(const po::variables_map& values, const RunRequest& request,
               const Schedule& lowered, const exec::MlpModel& model, const BackendRun& run) {
  const ComparedRun compared = compared_run(request, lowered, model, run);
  const RunReport& report = compared.report;
  const PredictedRun& prediction = compared.prediction;

  OutputSet outputs;
  if (values.count("trace") || values.count("svg")) {
    const std::vector<Timeline> timelines = {
        exec::step_timeline(run.timed.steps[report.comparison.median_step]),
        *prediction.result.timeline};
    if (values.count("trace")) add_option_file(outputs, values, "trace", chrome_trace_json(timelines));
    if (values.count("svg")) {
      SvgOptions svg;
      svg.title = run_title(report);
      add_option_file(outputs, values, "svg", timeline_svg(timelines, svg));
    }
  }
  outputs.add_standard_output(request.format == "json"  ? run_report_json(report)
                              : request.format == "csv" ? run_report_csv(report)
                                                        : run_report_text(report),
                              "the report");
  outputs.commit();
  return 0;
}

Command run_command() {
  return {"run",
          "train a real model with a schedule and compare the run with the prediction",
          &run_run};
}

}  // namespace pipewise::tools
