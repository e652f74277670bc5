// `pipewise partition`: splits a model's layers into contiguous pipeline stages that
// minimise the slowest stage, optionally under a per-stage memory cap, and writes the
// per-stage costs as a simulator cost file.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <optional>
#include <nlohmann/json.hpp>

#include "common/io/atomic_file.hpp"
#include "common/ir/error.hpp"
#include "common/numeric/checked_arithmetic.hpp"
#include "sim/cost_file.hpp"
#include "common/text/escaped_text.hpp"
#include "common/text/format.hpp"
#include "tools/cli/command.hpp"
#include "tools/model/layer_list.hpp"
#include "tools/cli/model_options.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/report_output.hpp"
#include "common/partition/stage_partition.hpp"
#include "tools/whatif/pipeline_costs.hpp"
#include "tools/cli/command_line.hpp"
#include "tools/cli/option_lists.hpp"
#include "common/text/text_table.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise partition -p S (--layers-file FILE | --model NAME|FILE [model flags])\n"
    "                          [--memory-cap GIB] [--stashes 1f1b|N] [--recompute off|selective|full]\n"
    "                          [--write-costs FILE] [-f table|json] [-o FILE]\n"
    "Splits the layers, in order, into S contiguous non-empty stages so that the slowest stage\n"
    "(forward + backward of one micro-batch) is as fast as possible: exact, by dynamic\n"
    "programming; among equally fast splits the most even one. With --memory-cap every stage\n"
    "must fit: its static bytes (weights, gradients, optimizer state) plus its activations\n"
    "times the micro-batches it holds (--stashes: 1f1b = S - k for stage k, or a number),\n"
    "plus, with --recompute full, the largest layer's activations its backward rebuilds.\n"
    "Layers come from a per-layer list (JSON or CSV, see tools/model/layer_list.hpp: columns name,\n"
    "count, forward_ms, backward_ms, static_bytes, activation_bytes) or a model description\n"
    "at its first micro-batch size. Prints each stage's layers, time and memory, and how the\n"
    "greedy split (filling stages to the mean in order) compares. --write-costs writes the\n"
    "stage times and memory as a cost file for `pipewise simulate --costs FILE` with p·v = S\n"
    "(a model's memory by kind, as recommend counts it; a layer list's static bytes as weights).";

// The layout partition's model flags describe: t and sequence parallelism as fixed (else
// t = 1), cp as fixed (else 1), d as fixed (else 1), the distributed optimizer as fixed (else off), the first
// micro-batch size.
LayerLayout partition_layout(const ModelDescription& model) {
  LayerLayout layout;
  layout.tensor = model.parallelism.tensor_or_default();
  layout.context = model.parallelism.context.value_or(1);
  layout.micro_batch_size = model.batch.micro_batch_sizes.front();
  return layout;
}

// One entry per layer; a transformer's embedding rides on its first layer and its output
// layer and loss on its last, where every split puts them.
std::vector<LayerEntry> layers_from_model(const ModelDescription& model, Recompute recompute) {
  const LayerLayout layout = partition_layout(model);
  const bool distributed = model.training.distributed_optimizer.value_or(false);
  // The distributed optimizer shards over the d·cp ranks that hold the same weights.
  const double replicas =
      distributed ? static_cast<double>(model.parallelism.data.value_or(1)) * model.parallelism.context.value_or(1) : 1;
  const TrainingSpec& training = model.training;
  const auto entry_of = [&](const LayerCost& layer) {
    if (recompute == Recompute::Selective && !layer.selective_activation_bytes && layer.recomputed) {
      throw Error("selective recomputation needs a transformer model");
    }
    LayerEntry entry;
    entry.name = layer.name;
    entry.forward_ms = layer.forward_ms;
    entry.backward_ms = layer.backward_ms;
    entry.static_bytes = layer.parameters * (training.weight_bytes_per_parameter +
                                             training.gradient_bytes_per_parameter +
                                             training.optimizer_state_bytes_per_parameter / replicas);
    entry.activation_bytes = layer.activation_bytes;
    if (recompute == Recompute::Selective && layer.selective_activation_bytes) {
      entry.backward_ms += layer.selective_recompute_ms;
      entry.activation_bytes = *layer.selective_activation_bytes;
    } else if (recompute == Recompute::Full && layer.recomputed) {
      entry.backward_ms += entry.forward_ms;  // the forward runs again during backward
      entry.activation_bytes = layer.checkpoint_bytes;  // only the layer's input is kept
      entry.transient_bytes = layer.activation_bytes;   // and the rest is rebuilt there
    }
    return entry;
  };
  const ResolvedModel resolved = resolve_layers(model, layout);
  std::vector<LayerEntry> entries;
  for (const LayerCost& layer : resolved.layers) entries.push_back(entry_of(layer));
  const auto merge = [](LayerEntry& into, const LayerEntry& extra) {
    into.forward_ms += extra.forward_ms;
    into.backward_ms += extra.backward_ms;
    into.static_bytes += extra.static_bytes;
    into.activation_bytes += extra.activation_bytes;
    into.transient_bytes = std::max(into.transient_bytes, extra.transient_bytes);
  };
  if (resolved.embedding) merge(entries.front(), entry_of(*resolved.embedding));
  if (resolved.head) merge(entries.back(), entry_of(*resolved.head));
  return entries;
}

std::vector<double> stashes_per_stage(const std::string& text, std::uint32_t stages) {
  if (text == "1f1b") {
    std::vector<double> stashes;
    for (std::uint32_t k = 0; k < stages; ++k) stashes.push_back(stages - k);
    return stashes;
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  // A stage cannot hold more micro-batches than a schedule has (m·n <= 2^32): a larger
  // count would only make memory figures past any device's (1e300 gave "inf PiB").
  constexpr double kMostStashes = 4294967296.0;
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value < 0 || value > kMostStashes) {
    throw Error("--stashes must be 1f1b or a number from 0 to 2^32, the most micro-batches a "
                "schedule has (got \"" + text + "\")");
  }
  return std::vector<double>(stages, value);
}

// Refuses layers whose memory no stage could count in bytes (every layer on one stage, at
// the most stashes): a stage's memory would read "inf PiB" or a figure past 2^64 bytes.
void require_countable_memory(const PartitionRequest& request) {
  double most_stashes = 1;
  for (const double stashes : request.stashes) most_stashes = std::max(most_stashes, stashes);
  double total = 0;
  for (const PartitionLayer& layer : request.layers) {
    total += layer.static_bytes + layer.activation_bytes * most_stashes + layer.transient_bytes;
  }
  bytes_from_double(total, "the layers' memory on one stage (static bytes + activation bytes x "
                           "stashes; the layer sizes or --stashes are too large)")
      .status()
      .throw_if_failed();
}

std::string layer_range(const StageSplit& split) {
  if (split.layer_count == 1) return std::to_string(split.first_layer);
  return fmt::format("{}-{}", split.first_layer, split.first_layer + split.layer_count - 1);
}

// The memory of each stage of `splits` as recommend simulates it (pipeline_costs): weights,
// gradients and optimizer state by kind, and what a micro-batch keeps under `recompute`.
void add_model_memory(const ModelDescription& model, Recompute recompute, const std::vector<StageSplit>& splits,
                      sim::CostFileContents& contents) {
  const LayerLayout layout = partition_layout(model);
  PipelineShape shape;
  shape.devices = static_cast<std::uint32_t>(splits.size());
  shape.replicas = model.parallelism.data.value_or(1);
  shape.micro_batch_size = layout.micro_batch_size;
  shape.recompute = recompute;
  shape.tensor = layout.tensor;
  shape.context = layout.context;
  shape.distributed_optimizer = model.training.distributed_optimizer.value_or(false);
  const PipelineCosts costs = pipeline_costs(model, shape, splits).value_or_throw();
  for (std::size_t s = 0; s < splits.size(); ++s) contents.stages[s].memory = costs.config.stages[s].memory;
  contents.recompute = costs.config.memory.recompute;
}

// The cost file: each stage's forward, backward and memory, and the pipeline links of the
// model. A layer list's static bytes count as weights (one version of them: schedules that
// keep several, PipeDream's, copy them all).
std::string cost_file(const std::vector<LayerEntry>& layers, const std::vector<StageSplit>& splits,
                      const ModelDescription* model, Recompute recompute) {
  sim::CostFileContents contents;
  contents.split_stages = static_cast<std::uint32_t>(splits.size());
  for (std::size_t s = 0; s < splits.size(); ++s) {
    double forward = 0;
    double backward = 0;
    double static_bytes = 0;
    double activation_bytes = 0;
    for (std::uint32_t i = splits[s].first_layer; i < splits[s].first_layer + splits[s].layer_count; ++i) {
      forward += layers[i].forward_ms;
      backward += layers[i].backward_ms;
      static_bytes += layers[i].static_bytes;
      activation_bytes += layers[i].activation_bytes;
    }
    sim::StageOverride stage;
    stage.stage = static_cast<std::uint32_t>(s);
    stage.costs.forward = forward;
    stage.costs.backward = backward;
    stage.memory.parameter_bytes = static_bytes;
    stage.memory.gradient_bytes = 0;
    stage.memory.optimizer_state_bytes = 0;
    stage.memory.stash_bytes = activation_bytes;
    contents.stages.push_back(stage);
  }
  if (model) {
    add_model_memory(*model, recompute, splits, contents);
    // One stage's output crosses the network between nodes (the links of the hardware
    // unless the model fixes them), split t ways with sequence parallelism.
    const LayerLayout layout = partition_layout(*model);
    const double whole = resolve_layers(*model, layout).layers.back().output_bytes;
    const double boundary = layout.tensor.size > 1 && layout.tensor.sequence_parallel
                                ? whole / layout.tensor.size
                                : whole;
    const HardwareSpec& hardware = model->device.hardware;
    sim::CommunicationCosts comm;
    comm.latency_ms = model->interconnect.latency_ms.value_or(link_latency_ms(Link::InterNode, hardware));
    comm.bandwidth_gb_per_s =
        model->interconnect.bandwidth_gb_per_s.value_or(link_gb_per_s(Link::InterNode, hardware));
    comm.activation_bytes = boundary;
    comm.gradient_bytes = boundary;
    contents.communication = comm;
  }
  return sim::cost_file_text(contents);
}

// `--format json` (schema pipewise.partition, version 1, in the README): the split, each
// stage's layers, time and memory, and the greedy split's slowest stage.
std::string partition_json(std::size_t layer_count, const PartitionRequest& request,
                           const std::vector<StageSplit>& splits, double greedy_slowest_ms) {
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  double slowest = 0;
  for (std::size_t s = 0; s < splits.size(); ++s) {
    slowest = std::max(slowest, splits[s].time_ms);
    stages.push_back({{"stage", s}, {"first_layer", splits[s].first_layer},
                      {"layer_count", splits[s].layer_count}, {"time_ms", splits[s].time_ms},
                      {"memory_bytes", splits[s].memory_bytes}});
  }
  nlohmann::ordered_json document = {
      {"schema", "pipewise.partition"}, {"version", 1}, {"layers", layer_count},
      {"memory_cap_bytes", request.memory_cap_bytes ? nlohmann::ordered_json(*request.memory_cap_bytes)
                                                    : nlohmann::ordered_json(nullptr)},
      {"slowest_ms", slowest}, {"greedy_slowest_ms", greedy_slowest_ms}, {"stages", stages}};
  return document.dump(2) + "\n";
}

int run_partition(const std::vector<std::string>& args) {
  po::options_description options("options");
  add_option(options, vocabulary::stages,
             {.detail = "here the stages S = p·v the layers are split into, required"});
  // clang-format off
  options.add_options()
      ("layers-file", po::value<std::string>(), "per-layer costs, JSON or CSV")
      ("stashes", po::value<std::string>()->default_value("1f1b"),
       "micro-batches of activations stage k holds: 1f1b (S - k) or a number");
  // clang-format on
  add_option(options, vocabulary::recompute, {.detail = "with a model (default off)"});
  options.add_options()(
      "write-costs", po::value<std::string>(), "write the stage costs as a simulator cost file");
  add_option(options, vocabulary::format, {.detail = "table or json", .default_value = "table"});
  add_option(options, vocabulary::output);
  add_model_options(options);
  po::variables_map values;
  const std::string usage = std::string(kUsage) + "\n\n" + model_presets_help();
  if (parse_or_help(args, options, values, usage.c_str())) return 0;
  if (!values.count("stages")) throw Error("--stages S is required");
  const std::string format = choice_option(values, "format", {"table", "json"});
  const std::uint32_t stages = bounded_option(values, "stages", 1, 1, 65536);
  std::vector<LayerEntry> layers;
  std::optional<ModelDescription> model;
  Recompute recompute = Recompute::None;
  const bool describes_model = values.count("model") || values.count("hidden-size") ||
                               values.count("layer-forward-ms") || values.count("layer-forward-flops");
  if (values.count("layers-file")) {
    if (describes_model) throw Error("give --layers-file or a model, not both");
    if (values.count("recompute")) {
      throw Error("--recompute applies to a model; a layer list gives its costs as they are");
    }
    const std::string path = values["layers-file"].as<std::string>();
    layers = read_layer_list(read_file(path, kMostJsonInputBytes), path);
  } else {
    model = model_from_options(values, nullptr);
    if (print_model_if_asked(values, *model)) return 0;
    if (values.count("recompute")) recompute = recompute_from_name(values["recompute"].as<std::string>());
    if (recompute == Recompute::Block) {
      throw Error("--recompute block: which layers it recomputes depends on the split partition is choosing; "
                  "give off, selective or full");
    }
    layers = layers_from_model(*model, recompute);
  }

  PartitionRequest request;
  request.stages = stages;
  for (const LayerEntry& layer : layers) {
    request.layers.push_back(
        {layer.forward_ms + layer.backward_ms, layer.static_bytes, layer.activation_bytes, layer.transient_bytes});
  }
  request.stashes = stashes_per_stage(values["stashes"].as<std::string>(), stages);
  if (values.count("memory-cap")) {
    const double cap = values["memory-cap"].as<double>();
    if (!std::isfinite(cap) || cap <= 0) throw Error("--memory-cap must be a number of GiB > 0");
    request.memory_cap_bytes = cap * kGiB;
  }
  require_countable_memory(request);
  const std::vector<StageSplit> splits = partition_layers(request);

  double slowest = 0;
  double total = 0;
  bool has_memory = false;
  for (const StageSplit& split : splits) {
    slowest = std::max(slowest, split.time_ms);
    total += split.time_ms;
    has_memory = has_memory || split.memory_bytes > 0;
  }
  std::string report = fmt::format("{} layers into {} stages{}: slowest stage {} (mean {}, {} above it)\n",
                                   layers.size(), stages,
                                   request.memory_cap_bytes
                                       ? " within " + format_bytes(*request.memory_cap_bytes)
                                       : std::string(),
                                   format_duration_ms(slowest), format_duration_ms(total / stages),
                                   format_percent(slowest / (total / stages) - 1));
  using Align = TextTable::Align;
  std::vector<TextTable::Column> columns = {{"stage", Align::Right}, {"layers", Align::Right},
                                            {"count", Align::Right}, {"time", Align::Right}};
  if (has_memory) columns.push_back({"memory", Align::Right});
  TextTable table(columns);
  for (std::size_t s = 0; s < splits.size(); ++s) {
    std::vector<std::string> row = {std::to_string(s), layer_range(splits[s]),
                                    std::to_string(splits[s].layer_count), format_duration_ms(splits[s].time_ms)};
    if (has_memory) row.push_back(format_bytes(splits[s].memory_bytes));
    table.add_row(row);
  }
  report += table.render();
  const std::vector<StageSplit> greedy = greedy_partition(request.layers, stages);
  double greedy_slowest = 0;
  for (const StageSplit& split : greedy) greedy_slowest = std::max(greedy_slowest, split.time_ms);
  std::string greedy_layers;
  for (const StageSplit& split : greedy) greedy_layers += (greedy_layers.empty() ? "" : " | ") + layer_range(split);
  report += fmt::format("greedy split (fill each stage up to the mean, in order): {}; slowest stage {}{}\n",
                        greedy_layers, format_duration_ms(greedy_slowest),
                        greedy_slowest > slowest * (1 + 1e-9)
                            ? " (" + format_percent(greedy_slowest / slowest - 1) + " slower)"
                            : " (as good)");
  OutputSet outputs;
  if (values.count("write-costs")) {
    const std::string path = values["write-costs"].as<std::string>();
    add_option_file(outputs, values, "write-costs",
                    cost_file(layers, splits, model ? &*model : nullptr, recompute));
    report += fmt::format("wrote {}: simulate with pipewise simulate --costs {} --stages P --chunks V "
                          "(P·V = {}) --schedule ...\n", printable(path), printable(path), stages);
  }
  add_report(outputs, values,
             format == "json" ? partition_json(layers.size(), request, splits, greedy_slowest)
                              : std::move(report));
  outputs.commit();
  return 0;
}

}  // namespace

Command partition_command() {
  return {"partition",
          "split layers into pipeline stages minimising the slowest (exact, memory-capped)",
          &run_partition};
}

}  // namespace pipewise::tools
