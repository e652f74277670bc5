// `pipewise sweep`: simulates a grid of schedules × p × v × m on all cores and reports
// makespan, bubble and peak memory as a table, CSV or JSON, with optional SVG heatmaps.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"
#include "common/resources/resource_limits.hpp"
#include "common/schedules/registry.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/cost_file_input.hpp"
#include "tools/compare/measured_costs.hpp"
#include "tools/cli/model_options.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/recompute_options.hpp"
#include "tools/cli/report_output.hpp"
#include "tools/whatif/parallel_for.hpp"
#include "tools/whatif/pipeline_costs.hpp"
#include "tools/cli/progress_bar.hpp"
#include "tools/cli/range_expression.hpp"
#include "tools/cli/command_line.hpp"
#include "tools/whatif/sweep.hpp"
#include "tools/cli/sweep_heatmap.hpp"
#include "tools/cli/sweep_output.hpp"
#include "common/text/escaped_text.hpp"
#include "common/text/format.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise sweep -p RANGE -m RANGE [-v RANGE] [-s LIST]\n"
    "                      [--forward-ms F --backward-ms B | --costs FILE | --model NAME|FILE ...]\n"
    "                      [-f table|csv|json] [-o FILE] [--svg FILE] [--threads N]\n"
    "Simulates every point of the grid schedules × p × v × m (one training iteration each) on\n"
    "all cores and reports makespan, bubble ratio (idle / p·makespan) and the largest device's\n"
    "peak memory. Points a schedule does not allow (e.g. v > 1 for 1f1b, m < p for\n"
    "interleaved with v > 1) are skipped with the reason. RANGE is a list of items: 8, 2..32,\n"
    "2..32:2 (step 2) or pow2:2..64, e.g. --microbatches 1,2,pow2:4..64.\n"
    "Costs: by default F = --forward-ms, B = --backward-ms per micro-batch of one device's share\n"
    "of the model (each of v chunks takes 1/v), free communication, and memory counted in\n"
    "units A of one micro-batch's activations of a device's share. --costs FILE reads a\n"
    "simulator cost file (pipewise simulate --costs; one `pipewise profile` wrote costs every\n"
    "p*v of its model from its layers); --model derives times, messages and\n"
    "memory in bytes from a model description at its first micro-batch size and its\n"
    "data-parallel size (default 1). A progress bar is drawn on stderr when it is a terminal.\n"
    "Example: pipewise sweep -p pow2:2..16 -m pow2:1..64 -v 1,2 --svg sweep.svg";

// Refuses, before any work, a grid whose rows and output would not fit in memory: each
// point keeps a SweepRow and about a line of output text.
void require_sweep_memory(const SweepGrid& grid) {
  constexpr std::uint64_t kOutputBytesPerPoint = 128;
  const std::uint64_t points = grid.size();
  const std::uint64_t per_point = sizeof(SweepRow) + kOutputBytesPerPoint;
  const std::uint64_t bytes =
      points > UINT64_MAX / per_point ? UINT64_MAX : points * per_point;
  require_available_memory("a sweep of " + format_count(points) + " points", bytes,
                           "its results");
}

// A sweep whose every point was skipped has no result: an empty table with exit 0 would
// read as success. Fails naming the reasons, the most frequent first.
void require_a_simulated_point(const std::vector<SweepRow>& rows) {
  std::map<std::string, std::size_t> reasons;
  for (const SweepRow& row : rows) {
    if (row.result.ok()) return;
    const std::string& reason = row.result.status().reason();
    ++reasons[reason.substr(0, reason.find(" (got "))];
  }
  std::vector<std::pair<std::size_t, std::string>> order;
  for (const auto& [reason, count] : reasons) order.emplace_back(count, reason);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string text = fmt::format("no point of the sweep could be simulated: all {} skipped", rows.size());
  for (const auto& [count, reason] : order) text += fmt::format("; {} because {}", count, reason);
  throw Error(text);
}

// The costs of a measured file (`pipewise profile`) at every (p, v): its model split into
// p·v stages, each stage the sum of its layers away from the profiled split (costs_at_split),
// messages sized for looped placement.
ShapeCostSource measured_shape_costs(const sim::CostConfig& file, const std::string& path) {
  return [file, path](std::uint32_t devices, std::uint32_t chunks) -> Result<PipelineCosts> {
    Problem problem;
    problem.devices = devices;
    problem.chunks = chunks;
    try {
      return fixed_shape_costs(costs_at_split(file, printable(path), problem))(devices, chunks);
    } catch (const Error& error) {
      return Status::failure(error.what());
    }
  };
}

struct CostSource {
  ShapeCostSource costs;
  MemoryUnit unit = MemoryUnit::Activations;
  std::string description;
};

CostSource cost_source(const po::variables_map& values) {
  const bool model = has_model_options(values);
  const bool file = values.count("costs") > 0;
  const bool unit_flags = values.count("forward-ms") || values.count("backward-ms");
  if (model + file + unit_flags > 1) {
    throw Error("choose one cost source: --forward-ms/--backward-ms, --costs FILE or a model");
  }
  const std::optional<std::string> recompute = recompute_text(values);
  if (recompute && !model) throw Error("--recompute needs a model (--model ...)");
  if (model) {
    const ModelDescription description = model_from_options(values, nullptr);
    if (description.batch.micro_batch_sizes.size() != 1 && values.count("micro-batch-size")) {
      throw Error("sweep takes a single --micro-batch-size");
    }
    PipelineShape shape;
    shape.micro_batch_size = description.batch.micro_batch_sizes.front();
    shape.replicas = description.parallelism.data.value_or(1);
    const RecomputeSetting setting = recompute_setting_from_text(recompute.value_or("off"));
    if (setting.recompute == Recompute::Block && setting.layers == 0) {
      throw Error("--recompute block: recommend searches how many layers to recompute; sweep takes off, "
                  "selective, full or block:N");
    }
    shape.recompute = setting.recompute;
    shape.recompute_layers = setting.layers;
    shape.tensor = description.parallelism.tensor_or_default();
    shape.context = description.parallelism.context.value_or(1);
    shape.distributed_optimizer = description.training.distributed_optimizer.value_or(false);
    CostSource source;
    source.unit = MemoryUnit::Bytes;
    source.description = fmt::format("model {}: micro-batch size {}, t = {}{}, d = {}, recomputation {}",
                                     description.name, shape.micro_batch_size, shape.tensor.size,
                                     shape.context > 1 ? fmt::format(", cp = {}", shape.context) : "",
                                     shape.replicas, recompute_label(shape));
    source.costs = [description, shape](std::uint32_t devices, std::uint32_t chunks) {
      PipelineShape point = shape;
      point.devices = devices;
      point.chunks = chunks;
      if (description.transformer) {
        point.split = megatron_layer_split(description.layer_count(), devices, chunks);
      }
      return pipeline_costs(description, point);
    };
    return source;
  }
  sim::CostConfig config;
  std::string description;
  if (file) {
    const std::string path = values["costs"].as<std::string>();
    config = read_cost_file(path);
    description = "costs from " + printable(path);  // a path may hold control characters
  } else {
    const double forward = values.count("forward-ms") ? values["forward-ms"].as<double>() : 1.0;
    const double backward = values.count("backward-ms") ? values["backward-ms"].as<double>() : 2.0;
    config.device_share.forward = forward;
    config.device_share.backward_input = backward / 2;
    config.device_share.backward_weight = backward - backward / 2;
    description = "F = " + format_number(forward) + " ms, B = " + format_number(backward) +
                  " ms per micro-batch of a device's share, free communication";
  }
  CostSource source;
  source.unit = has_no_memory_sizes(config) ? MemoryUnit::Activations : MemoryUnit::Bytes;
  source.costs = config.profile ? measured_shape_costs(config, values["costs"].as<std::string>())
                                : fixed_shape_costs(config);
  source.description = description;
  return source;
}

int run_sweep_command(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string names;
  for (const auto& info : schedule_catalog()) names += (names.empty() ? "" : ", ") + info.name;
  add_option(options, vocabulary::schedules, {.detail = "known: " + names, .default_value = "all"});
  add_option(options, vocabulary::stages, {.kind = ValueKind::Text, .detail = "a RANGE (required)"});
  add_option(options, vocabulary::chunks, {.kind = ValueKind::Text, .detail = "a RANGE (default 1)"});
  add_option(options, vocabulary::microbatches,
             {.kind = ValueKind::Text, .detail = "a RANGE (required)"});
  add_option(options, vocabulary::forward_ms, {.detail = "default 1"});
  add_option(options, vocabulary::backward_ms, {.detail = "default 2; I = W = B/2"});
  add_option(options, vocabulary::costs);
  add_option(options, vocabulary::recompute,
             {.detail = "with a model: off (default), selective, full or block:N (the first N "
                        "layers of each stage)"});
  add_recompute_method_options(options);
  add_option(options, vocabulary::format, {.detail = "table, csv or json", .default_value = "table"});
  add_option(options, vocabulary::output);
  add_option(options, vocabulary::svg, {.detail = "heatmaps of bubble ratio and peak memory"});
  add_option(options, vocabulary::threads);
  add_model_options(options);
  po::variables_map values;
  const std::string usage = std::string(kUsage) + "\n\n" + model_presets_help();
  if (parse_or_help(args, options, values, usage.c_str())) return 0;

  const std::string format = choice_option(values, "format", {"table", "csv", "json"});
  SweepGrid grid;
  grid.schedules = schedule_list(values["schedules"].as<std::string>(), "schedules");
  if (!values.count("stages")) throw Error("--stages RANGE is required");
  if (!values.count("microbatches")) throw Error("--microbatches RANGE is required");
  grid.devices = parse_range_expression(values["stages"].as<std::string>(), "stages", 1, 65536);
  grid.chunks = parse_range_expression(
      values.count("chunks") ? values["chunks"].as<std::string>() : "1", "chunks", 1, 65536);
  grid.microbatches = parse_range_expression(values["microbatches"].as<std::string>(), "microbatches");
  require_sweep_memory(grid);
  const unsigned threads = bounded_option(values, "threads", default_thread_count(), 1, 1024);
  if (values.count("print-model")) {
    print_model_if_asked(values, model_from_options(values, nullptr));
    return 0;
  }
  const CostSource source = cost_source(values);

  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar(grid.size(), stderr);
  std::vector<SweepRow> rows = run_sweep(grid, source.costs, threads, [&](std::size_t done) {
    bar.update(done);
  });
  bar.finish();
  if (values.count("costs")) {
    // A point the cost file does not fit is skipped with a reason naming the file's field
    // ("$.stages[0].stage = 9 is outside 0..1"): name the file too.
    const std::string path = values["costs"].as<std::string>();
    for (SweepRow& row : rows) {
      if (!row.result.ok() && row.result.status().reason().rfind("$.", 0) == 0) {
        row.result = Status::failure(path + ": " + row.result.status().reason());
      }
    }
  }
  require_a_simulated_point(rows);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::string text;
  if (format == "csv") {
    text = sweep_csv(grid, rows, source.unit);
  } else if (format == "json") {
    text = sweep_json(grid, rows, source.unit);
  } else {
    text = "costs: " + source.description + "\n" + sweep_table(grid, rows, source.unit) +
           fmt::format("simulated in {:.2f} s on {} thread{} ({:.0f} points/s)\n", seconds, threads,
                       threads == 1 ? "" : "s", static_cast<double>(rows.size()) / std::max(seconds, 1e-9));
  }
  OutputSet outputs;
  if (values.count("svg")) {
    add_option_file(outputs, values, "svg",
                    sweep_heatmap_svg(grid, rows, source.unit, "costs: " + source.description));
  }
  add_report(outputs, values, std::move(text));
  outputs.commit();
  return 0;
}

}  // namespace

Command sweep_command() {
  return {"sweep",
          "simulate a grid of schedules × p × v × m on all cores (table, CSV, JSON, heatmaps)",
          &run_sweep_command};
}

}  // namespace pipewise::tools
