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
#include "tools/cli/simulation_cost_options.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/progress_bar.hpp"
#include "tools/cli/report_output.hpp"
#include "tools/cli/schedule_options.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

// Streamed runs of this many ops or more show a progress bar (about 1 s at 60 M ops/s).
constexpr std::uint64_t kOpsWorthAProgressBar = std::uint64_t{1} << 26;

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

void add_simulate_output_options(po::options_description& options) {
  // clang-format off
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
  add_simulation_cost_options(options);
  add_simulate_output_options(options);
  po::variables_map values;
  if (parse_or_help(args, options, values, kUsage)) return 0;
  const std::string format = choice_option(values, "format", {"table", "json", "csv"});
  if (values.count("memory-detail") && format != "json") {
    throw Error("--memory-detail needs --format json");
  }
  if (values.count("ascii") && format != "table") {
    throw Error("--ascii prints a grid for the terminal: use it with --format table");
  }
  const std::optional<double> microbatch_size = positive_real_option(values, "micro-batch-size");
  const std::uint32_t ascii_width = bounded_option(values, "ascii-width", 160, 8, 100000);
  const sim::CostConfig config = simulation_costs_from_options(values);

  sim::OutputRequest outputs_requested;
  outputs_requested.trace = values.count("trace") > 0;
  outputs_requested.svg = values.count("svg") > 0;
  outputs_requested.memory_detail = values.count("memory-detail") > 0;
  outputs_requested.timeline = outputs_requested.trace || outputs_requested.svg ||
                               outputs_requested.memory_detail || values.count("ascii") > 0;
  const std::string costs_file = values.count("costs") ? values["costs"].as<std::string>() : "";
  sim::SimulationOptions simulation;
  simulation.record_timeline = outputs_requested.timeline;
  // Without a timeline no op needs keeping: a generator that streams its schedule is read
  // as the simulator goes (memory in p and the micro-batches in flight, not p·m).
  const std::unique_ptr<ScheduleStream> stream =
      outputs_requested.timeline ? nullptr : schedule_stream_from_options(values);
  std::optional<sim::CostModel> costs;
  std::optional<sim::SimulationResult> simulated;
  if (stream != nullptr) {
    costs = resolve_costs_from(config, stream->problem(), costs_file);
    std::uint64_t ops = 0;
    for (std::uint32_t d = 0; d < stream->problem().devices; ++d) ops += stream->program_size(d);
    // A bar on a terminal for a run of seconds or more (nothing in a pipe or a file).
    ProgressBar bar(ops, stderr);
    if (ops >= kOpsWorthAProgressBar) {
      simulation.on_stream_progress = [&bar](std::uint64_t read) { bar.update(read); };
    }
    simulated = sim::simulate(*stream, *costs, simulation);
    bar.finish();
  } else {
    const Schedule schedule = schedule_from_options(values, FileCheck::Validated);
    sim::memory_for_outputs(schedule.name + " " + problem_sizes(schedule.problem),
                            schedule.op_count(), outputs_requested)
        .throw_if_failed();
    costs = resolve_costs_from(config, schedule.problem, costs_file);
    simulation.timeline_name = "simulated " + schedule.name;
    simulated = sim::simulate(schedule, *costs, simulation);
  }
  const sim::SimulationResult& result = *simulated;
  const sim::Metrics metrics = sim::compute_metrics(result, *costs, microbatch_size);

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
