// `pipewise simulate`: runs a schedule on the discrete-event simulator and reports its
// makespan, bubble, throughput and memory, with optional trace, SVG and ASCII timelines.
#include <cmath>
#include <optional>
#include <sstream>

#include "common/io/output_set.hpp"
#include "common/ir/error.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/memory_estimate.hpp"
#include "sim/metrics.hpp"
#include "common/timeline/ascii_timeline.hpp"
#include "common/timeline/chrome_trace.hpp"
#include "common/text/format.hpp"
#include "sim/report/csv_report.hpp"
#include "sim/report/json_report.hpp"
#include "common/timeline/svg_timeline.hpp"
#include "sim/report/table_report.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/cost_file_input.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/report_output.hpp"
#include "tools/cli/schedule_options.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise simulate -s NAME -p P -m M [-v V] [-n N] | --schedule-file FILE\n"
    "       [--forward-ms F --backward-ms B --backward-weight-ms W | --costs FILE]\n"
    "       [--latency-us L --bandwidth B --activation-bytes A] [--comm-mode overlapped|blocking]\n"
    "       [--overlap-efficiency E]\n"
    "       [--parameter-bytes P --optimizer sgd|momentum|adam] [--recompute off|full]\n"
    "       [--data-parallel-size D] [--micro-batch-size S] [-f table|json|csv] [-o FILE]\n"
    "       [--trace FILE] [--svg FILE] [--ascii]\n"
    "Simulates the schedule with per-stage costs and reports makespan, bubble, throughput,\n"
    "lower bound and per-device memory. Each time flag names its unit (ms, or us for\n"
    "latencies), bandwidths are in GB/s, sizes in bytes; the cost flags describe one device's\n"
    "share of the model (each of v chunks takes 1/v). Flags other than the compute times\n"
    "override the values of a --costs file.";

// A number as people write it: "2", "0.5", "1e+09".
std::string shown(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// The value of a non-negative real option, if given. Throws "--NAME must be ...".
std::optional<double> real_option(const po::variables_map& values, const std::string& name,
                                  bool allow_zero = true) {
  if (!values.count(name)) return std::nullopt;
  const double value = values[name].as<double>();
  if (!std::isfinite(value) || value < 0 || (!allow_zero && value == 0)) {
    throw Error("--" + name + " must be a finite number " + (allow_zero ? ">= 0" : "> 0") +
                " (got " + shown(value) + ")");
  }
  return value;
}

void add_simulate_options(po::options_description& options) {
  add_option(options, vocabulary::costs);
  add_option(options, vocabulary::forward_ms, {.detail = "default 1"});
  add_option(options, vocabulary::backward_ms, {.detail = "default 2"});
  add_option(options, vocabulary::backward_weight_ms, {.detail = "default B/2"});
  add_option(options, vocabulary::optimizer_step_ms, {.detail = "default 0"});
  add_option(options, vocabulary::latency_us);
  add_option(options, vocabulary::bandwidth);
  // clang-format off
  options.add_options()
      ("activation-bytes", po::value<double>(), "bytes of one micro-batch's stage activation")
      ("gradient-bytes", po::value<double>(), "bytes of its gradient (default: activation bytes)")
      ("comm-mode", po::value<std::string>(), "overlapped (async P2P) or blocking (sender waits)")
      ("overlap-efficiency", po::value<double>(),
       "e in [0, 1]: an overlapped F&B pair (DualPipe) takes max(F, B) + (1 - e) min(F, B); "
       "default 0, the two ops back to back");
  add_option(options, vocabulary::parameter_bytes);
  options.add_options()
      ("optimizer", po::value<std::string>(), "sgd, momentum or adam (optimizer state)")
      ("layers", po::value<double>(), "layers L in one device's share (default 1)");
  add_option(options, vocabulary::layer_activation_bytes, {.detail = "default: --activation-bytes"});
  options.add_options()
      ("working-set-factor", po::value<double>(), "alpha: recomputation rebuilds alpha*L*A_layer");
  add_option(options, vocabulary::recompute,
             {.detail = "here off (the default) or full, which keeps only stage-boundary "
                        "activations; a bare --recompute is full",
              .implicit_value = "full"});
  add_option(options, vocabulary::data_parallel_size, {.detail = "default 1"});
  add_option(options, vocabulary::dp_bandwidth, {.detail = "default: --bandwidth"});
  add_option(options, vocabulary::dp_latency_us, {.detail = "default: --latency-us"});
  options.add_options()
      ("allreduce-mode", po::value<std::string>(),
       "overlapped (with the cool-down) or blocking (at the optimizer step)");
  add_option(options, vocabulary::micro_batch_size,
             {.kind = ValueKind::Number, .detail = "one number, for samples/s"});
  add_option(options, vocabulary::format, {.detail = "table, json or csv", .default_value = "table"});
  add_option(options, vocabulary::output);
  options.add_options()
      ("memory-detail", "with --format json: add memory timelines and activation lifetimes")
      ("trace", po::value<std::string>(), "write a Chrome trace (Perfetto) to FILE");
  add_option(options, vocabulary::svg, {.detail = "an SVG timeline with a memory chart"});
  options.add_options()
      ("ascii", "print an ASCII timeline grid")
      ("ascii-width", po::value<std::int64_t>(), "most columns of the ASCII grid (default 160)");
  // clang-format on
}

// Simulate's recomputation, if given: off (false) or full (true). Selective recomputation
// keeps part of each transformer layer's activations, and simulate's costs know no layers'
// insides.
std::optional<bool> recompute_option(const po::variables_map& values) {
  if (!values.count("recompute")) return std::nullopt;
  const std::string value = choice_option(values, "recompute", {"off", "selective", "full"});
  if (value == "selective") {
    throw Error("--recompute selective needs a transformer's layers, which simulate's costs do not "
                "describe: use off or full here, or a model with sweep, recommend or partition");
  }
  return value == "full";
}

sim::CostConfig cost_config_from_options(const po::variables_map& values) {
  sim::CostConfig config;
  const bool compute_flags = values.count("forward-ms") || values.count("backward-ms") ||
                             values.count("backward-weight-ms") || values.count("optimizer-step-ms");
  if (values.count("costs")) {
    if (compute_flags) throw Error("give either --forward-ms/--backward-ms/--backward-weight-ms/--optimizer-step-ms or --costs, not both");
    config = read_cost_file(values["costs"].as<std::string>());
  }
  sim::ComputeOverride compute;
  compute.forward = real_option(values, "forward-ms");
  compute.backward = real_option(values, "backward-ms");
  compute.backward_weight = real_option(values, "backward-weight-ms");
  compute.optimizer_step = real_option(values, "optimizer-step-ms");
  if (compute.backward_weight && !compute.backward) compute.backward = config.device_share.backward();
  if (compute.backward_weight && *compute.backward_weight > *compute.backward) {
    throw Error("--backward-weight-ms (" + shown(*compute.backward_weight) +
                ") is part of the backward and cannot exceed --backward-ms (" +
                shown(*compute.backward) + ")");
  }
  config.device_share = compute.apply_to(config.device_share, "cost flags").value_or_throw();

  sim::CommunicationCosts& comm = config.communication;
  if (auto value = real_option(values, "latency-us")) comm.latency_ms = *value / 1000;
  if (auto value = real_option(values, "bandwidth")) comm.bandwidth_gb_per_s = *value;
  if (auto value = real_option(values, "activation-bytes")) {
    comm.activation_bytes = *value;
    comm.gradient_bytes = *value;
  }
  if (auto value = real_option(values, "gradient-bytes")) comm.gradient_bytes = *value;
  if (values.count("comm-mode")) {
    comm.mode = sim::comm_mode_from_name(choice_option(values, "comm-mode", {"overlapped", "blocking"}));
  }

  if (auto value = real_option(values, "overlap-efficiency")) {
    if (*value > 1) throw Error("--overlap-efficiency must be in [0, 1] (got " + shown(*value) + ")");
    config.overlap.efficiency = *value;
  }

  sim::MemoryConfig& memory = config.memory;
  if (auto value = real_option(values, "parameter-bytes")) memory.parameter_bytes = *value;
  if (values.count("optimizer")) {
    memory.optimizer =
        sim::optimizer_from_name(choice_option(values, "optimizer", {"sgd", "momentum", "adam"}));
  }
  if (auto value = real_option(values, "layers")) memory.layers = *value;
  if (auto value = real_option(values, "layer-activation-bytes")) {
    memory.activation_bytes_per_layer = *value;
  } else if (memory.activation_bytes_per_layer == 0) {
    memory.activation_bytes_per_layer = comm.activation_bytes;
  }
  if (auto value = real_option(values, "working-set-factor")) memory.working_set_factor = *value;
  if (const auto recompute = recompute_option(values)) memory.recompute = *recompute;

  sim::DataParallelCosts& dp = config.data_parallel;
  dp.replicas = bounded_option(values, "data-parallel-size", dp.replicas, 1, 1 << 20);
  if (!values.count("costs")) {
    dp.bandwidth_gb_per_s = comm.bandwidth_gb_per_s;
    dp.latency_ms = comm.latency_ms;
  }
  if (auto value = real_option(values, "dp-bandwidth")) dp.bandwidth_gb_per_s = *value;
  if (auto value = real_option(values, "dp-latency-us")) dp.latency_ms = *value / 1000;
  if (values.count("allreduce-mode")) {
    dp.overlap_with_cooldown =
        choice_option(values, "allreduce-mode", {"overlapped", "blocking"}) == "overlapped";
  }
  return config;
}

std::string run_title(const sim::Metrics& metrics) {
  const Problem& problem = metrics.problem;
  return metrics.schedule + ": p=" + std::to_string(problem.devices) +
         " v=" + std::to_string(problem.chunks) + " m=" + std::to_string(problem.microbatches) +
         " n=" + std::to_string(problem.iterations) + "  makespan " +
         format_ms(metrics.makespan_ms) + " ms, bubble ratio " +
         (metrics.bubble_ratio ? format_percent(*metrics.bubble_ratio) : "n/a");
}

int run_simulate(const std::vector<std::string>& args) {
  po::options_description options("options");
  add_schedule_options(options);
  add_simulate_options(options);
  po::variables_map values;
  if (parse_or_help(args, options, values, kUsage)) return 0;
  const std::string format = choice_option(values, "format", {"table", "json", "csv"});
  if (values.count("memory-detail") && format != "json") {
    throw Error("--memory-detail needs --format json");
  }
  if (values.count("ascii") && format != "table") {
    throw Error("--ascii prints a grid for the terminal: use it with --format table");
  }
  const std::optional<double> microbatch_size = real_option(values, "micro-batch-size", false);
  const std::uint32_t ascii_width = bounded_option(values, "ascii-width", 160, 8, 100000);
  const sim::CostConfig config = cost_config_from_options(values);

  const Schedule schedule = schedule_from_options(values, FileCheck::Validated);
  sim::OutputRequest outputs_requested;
  outputs_requested.trace = values.count("trace") > 0;
  outputs_requested.svg = values.count("svg") > 0;
  outputs_requested.memory_detail = values.count("memory-detail") > 0;
  outputs_requested.timeline = outputs_requested.trace || outputs_requested.svg ||
                               outputs_requested.memory_detail || values.count("ascii") > 0;
  sim::memory_for_outputs(schedule.name + " " + problem_sizes(schedule.problem),
                          schedule.op_count(), outputs_requested)
      .throw_if_failed();
  const sim::CostModel costs = resolve_costs_from(
      config, schedule.problem, values.count("costs") ? values["costs"].as<std::string>() : "");
  sim::SimulationOptions simulation;
  simulation.record_timeline = outputs_requested.timeline;
  simulation.timeline_name = "simulated " + schedule.name;
  const sim::SimulationResult result = sim::simulate(schedule, costs, simulation);
  const sim::Metrics metrics = sim::compute_metrics(result, costs, microbatch_size);

  OutputSet outputs;
  if (values.count("trace")) add_option_file(outputs, values, "trace", chrome_trace_json({*result.timeline}));
  if (values.count("svg")) {
    SvgOptions svg;
    svg.title = run_title(metrics);
    add_option_file(outputs, values, "svg", timeline_svg({*result.timeline}, svg));
  }
  std::string report;
  if (format == "json") {
    report = sim::metrics_json(metrics, values.count("memory-detail") ? &*result.timeline : nullptr);
  } else if (format == "csv") {
    report = sim::device_metrics_csv(metrics);
  } else {
    report = sim::metrics_table(metrics);
  }
  if (values.count("ascii")) report += "\n" + ascii_timeline(*result.timeline, ascii_width);
  add_report(outputs, values, std::move(report));
  outputs.commit();
  return 0;
}

}  // namespace

Command simulate_command() {
  return {"simulate",
          "simulate a schedule: makespan, bubble, throughput, memory, timelines",
          &run_simulate};
}

}  // namespace pipewise::tools
