// `pipewise simulate`: runs a schedule on the discrete-event simulator and reports its
// makespan, bubble, throughput and memory, with optional trace, SVG and ASCII timelines.
#include <cmath>
#include <iostream>
#include <optional>
#include <sstream>

#include "common/io/atomic_file.hpp"
#include "common/ir/error.hpp"
#include "sim/cost_file.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/metrics.hpp"
#include "common/timeline/ascii_timeline.hpp"
#include "common/timeline/chrome_trace.hpp"
#include "common/text/format.hpp"
#include "sim/report/csv_report.hpp"
#include "sim/report/json_report.hpp"
#include "common/timeline/svg_timeline.hpp"
#include "sim/report/table_report.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/schedule_options.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise simulate --schedule NAME --stages P --microbatches M [--chunks V]\n"
    "                         [--iterations N] | --schedule-file FILE\n"
    "       [--cost-f X --cost-b Y --cost-w Z | --costs FILE] [--comm-latency L --bandwidth B\n"
    "       --activation-bytes A] [--comm-mode overlapped|blocking] [--param-bytes P\n"
    "       --optimizer sgd|momentum|adam] [--recompute] [--data-parallel D]\n"
    "       [--microbatch-size S] [--format table|json|csv] [--trace FILE] [--svg FILE] [--ascii]\n"
    "Simulates the schedule with per-stage costs and reports makespan, bubble, throughput,\n"
    "lower bound and per-device memory. Times are in ms, bandwidths in GB/s, sizes in bytes;\n"
    "the cost flags describe one device's share of the model (each of v chunks takes 1/v).\n"
    "Flags other than --cost-* override the values of a --costs file.";

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
  // clang-format off
  options.add_options()
      ("costs", po::value<std::string>(), "JSON cost file (schema in sim/cost_file.hpp)")
      ("cost-f", po::value<double>(), "forward time of one micro-batch, ms (default 1)")
      ("cost-b", po::value<double>(), "full backward time B = I + W, ms (default 2)")
      ("cost-w", po::value<double>(), "weight-gradient part W of B, ms (default B/2)")
      ("cost-step", po::value<double>(), "optimizer step time, ms (default 0)")
      ("comm-latency", po::value<double>(), "latency of one stage-to-stage message, ms")
      ("bandwidth", po::value<double>(), "stage-to-stage link bandwidth, GB/s (0 = unlimited)")
      ("activation-bytes", po::value<double>(), "bytes of one micro-batch's stage activation")
      ("gradient-bytes", po::value<double>(), "bytes of its gradient (default: activation bytes)")
      ("comm-mode", po::value<std::string>(), "overlapped (async P2P) or blocking (sender waits)")
      ("param-bytes", po::value<double>(), "parameter bytes of one device's share of the model")
      ("optimizer", po::value<std::string>(), "sgd, momentum or adam (optimizer state)")
      ("layers", po::value<double>(), "layers L in one device's share (default 1)")
      ("layer-activation-bytes", po::value<double>(),
       "activation bytes stashed per layer and micro-batch (default: activation bytes)")
      ("working-set-factor", po::value<double>(), "alpha: recomputation rebuilds alpha*L*A_layer")
      ("recompute", "activation recomputation: keep only stage-boundary activations")
      ("data-parallel", po::value<std::int64_t>(), "data-parallel replicas d (default 1)")
      ("dp-bandwidth", po::value<double>(), "all-reduce bandwidth, GB/s (default: --bandwidth)")
      ("dp-latency", po::value<double>(), "all-reduce per-step latency, ms (default: --comm-latency)")
      ("allreduce-mode", po::value<std::string>(),
       "overlapped (with the cool-down) or blocking (at the optimizer step)")
      ("microbatch-size", po::value<double>(), "samples per micro-batch, for samples/s")
      ("format", po::value<std::string>()->default_value("table"), "table, json or csv")
      ("memory-detail", "with --format json: add memory timelines and activation lifetimes")
      ("trace", po::value<std::string>(), "write a Chrome trace (Perfetto) to FILE")
      ("svg", po::value<std::string>(), "write an SVG timeline with a memory chart to FILE")
      ("ascii", "print an ASCII timeline grid")
      ("ascii-width", po::value<std::int64_t>(), "most columns of the ASCII grid (default 160)");
  // clang-format on
}

sim::CostConfig cost_config_from_options(const po::variables_map& values) {
  sim::CostConfig config;
  const bool compute_flags = values.count("cost-f") || values.count("cost-b") ||
                             values.count("cost-w") || values.count("cost-step");
  if (values.count("costs")) {
    if (compute_flags) throw Error("give either --cost-f/--cost-b/--cost-w/--cost-step or --costs, not both");
    const std::string path = values["costs"].as<std::string>();
    const std::string text = read_file(path);
    try {
      config = sim::parse_cost_config(text);
    } catch (const Error& error) {
      throw Error(path + ": " + error.what());
    }
  }
  sim::ComputeOverride compute;
  compute.forward = real_option(values, "cost-f");
  compute.backward = real_option(values, "cost-b");
  compute.backward_weight = real_option(values, "cost-w");
  compute.optimizer_step = real_option(values, "cost-step");
  if (compute.backward_weight && !compute.backward) compute.backward = config.device_share.backward();
  if (compute.backward_weight && *compute.backward_weight > *compute.backward) {
    throw Error("--cost-w (" + shown(*compute.backward_weight) +
                ") is part of the backward and cannot exceed --cost-b (" +
                shown(*compute.backward) + ")");
  }
  config.device_share = compute.apply_to(config.device_share, "cost flags").value_or_throw();

  sim::CommunicationCosts& comm = config.communication;
  if (auto value = real_option(values, "comm-latency")) comm.latency_ms = *value;
  if (auto value = real_option(values, "bandwidth")) comm.bandwidth_gb_per_s = *value;
  if (auto value = real_option(values, "activation-bytes")) {
    comm.activation_bytes = *value;
    comm.gradient_bytes = *value;
  }
  if (auto value = real_option(values, "gradient-bytes")) comm.gradient_bytes = *value;
  if (values.count("comm-mode")) {
    comm.mode = sim::comm_mode_from_name(choice_option(values, "comm-mode", {"overlapped", "blocking"}));
  }

  sim::MemoryConfig& memory = config.memory;
  if (auto value = real_option(values, "param-bytes")) memory.parameter_bytes = *value;
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
  if (values.count("recompute")) memory.recompute = true;

  sim::DataParallelCosts& dp = config.data_parallel;
  dp.replicas = bounded_option(values, "data-parallel", dp.replicas, 1, 1 << 20);
  if (!values.count("costs")) {
    dp.bandwidth_gb_per_s = comm.bandwidth_gb_per_s;
    dp.latency_ms = comm.latency_ms;
  }
  if (auto value = real_option(values, "dp-bandwidth")) dp.bandwidth_gb_per_s = *value;
  if (auto value = real_option(values, "dp-latency")) dp.latency_ms = *value;
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
         format_percent(metrics.bubble_ratio);
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
  const std::optional<double> microbatch_size = real_option(values, "microbatch-size", false);
  const std::uint32_t ascii_width = bounded_option(values, "ascii-width", 160, 8, 100000);
  const sim::CostConfig config = cost_config_from_options(values);

  const Schedule schedule = schedule_from_options(values);
  const sim::CostModel costs = sim::resolve_costs(config, schedule.problem);
  sim::SimulationOptions simulation;
  simulation.record_timeline = values.count("trace") || values.count("svg") ||
                               values.count("ascii") || values.count("memory-detail");
  simulation.timeline_name = "simulated " + schedule.name;
  const sim::SimulationResult result = sim::simulate(schedule, costs, simulation);
  const sim::Metrics metrics = sim::compute_metrics(result, costs, microbatch_size);

  if (values.count("trace")) {
    write_file_atomically(values["trace"].as<std::string>(),
                          chrome_trace_json({*result.timeline}));
  }
  if (values.count("svg")) {
    SvgOptions svg;
    svg.title = run_title(metrics);
    write_file_atomically(values["svg"].as<std::string>(),
                          timeline_svg({*result.timeline}, svg));
  }
  if (format == "json") {
    std::cout << sim::metrics_json(metrics, values.count("memory-detail") ? &*result.timeline
                                                                          : nullptr);
  } else if (format == "csv") {
    std::cout << sim::device_metrics_csv(metrics);
  } else {
    std::cout << sim::metrics_table(metrics);
  }
  if (values.count("ascii")) std::cout << "\n" << ascii_timeline(*result.timeline, ascii_width);
  return 0;
}

}  // namespace

Command simulate_command() {
  return {"simulate",
          "simulate a schedule: makespan, bubble, throughput, memory, timelines",
          &run_simulate};
}

}  // namespace pipewise::tools
