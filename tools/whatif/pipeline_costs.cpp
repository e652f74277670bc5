#include "tools/whatif/pipeline_costs.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::tools {
std::string_view recompute_name(Recompute recompute) {
  switch (recompute) {
    case Recompute::None: return "off";
    case Recompute::Selective: return "selective";
    case Recompute::Full: return "full";
    case Recompute::Block: return "block";
  }
  return "off";
}

std::string recompute_label(const PipelineShape& shape) {
  std::string label(recompute_name(shape.recompute));
  if (shape.recompute == Recompute::Block) label += ":" + std::to_string(shape.recompute_layers);
  return label;
}

Recompute recompute_from_name(std::string_view name) {
  if (name == "off" || name == "none") return Recompute::None;
  if (name == "selective") return Recompute::Selective;
  if (name == "full") return Recompute::Full;
  if (name == "block") return Recompute::Block;
  throw Error("unknown recomputation \"" + std::string(name) +
              "\" (expected off, selective, full or block)");
}

RecomputeSetting recompute_setting_from_text(std::string_view text) {
  constexpr std::string_view kBlock = "block:";
  if (text.substr(0, kBlock.size()) != kBlock) return {recompute_from_name(text), 0};
  const std::optional<std::uint32_t> layers = recomputed_layers_from_text(text.substr(kBlock.size()));
  if (!layers) {
    throw Error("bad recomputation \"" + std::string(text) + "\": block:N takes a whole number of layers N from 1 to " +
                std::to_string(kMostRecomputedLayers));
  }
  return {Recompute::Block, *layers};
}

std::optional<std::uint32_t> recomputed_layers_from_text(std::string_view digits) {
  std::uint32_t layers = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), layers);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || layers == 0 ||
      layers > kMostRecomputedLayers) {
    return std::nullopt;
  }
  return layers;
}

std::string_view split_name(LayerSplit split) {
  switch (split) {
    case LayerSplit::Even:
      return "even";
    case LayerSplit::Balanced:
      return "balanced";
    case LayerSplit::EmbeddingAndLossAsLayers:
      return "embedding-and-loss-as-layers";
  }
  return "even";
}

bool splits_counting_embedding_and_loss(std::uint64_t layers, std::uint64_t stages) {
  return stages >= 2 && (layers + 2) % stages == 0 && (layers + 2) / stages >= 2;
}

LayerSplit megatron_layer_split(std::uint64_t layers, std::uint32_t devices, std::uint32_t chunks) {
  const std::uint64_t stages = std::uint64_t{devices} * chunks;
  if (layers % stages == 0) return LayerSplit::Even;
  if (chunks == 1 && devices >= 2) return LayerSplit::Balanced;
  if (chunks > 1 && splits_counting_embedding_and_loss(layers, stages)) return LayerSplit::EmbeddingAndLossAsLayers;
  return LayerSplit::Even;
}

namespace {

// One micro-batch's forward + backward of `layer` under `recompute`, the time the splits
// balance. Block recomputation adds the same N forwards to every stage that holds N
// layers or more, so splits balance as without it.
double step_ms(const LayerCost& layer, Recompute recompute) {
  double time = layer.forward_ms + layer.backward_ms;
  if (recompute == Recompute::Selective) time += layer.selective_recompute_ms;
  if (recompute == Recompute::Full && layer.recomputed) time += layer.forward_ms;
  return time;
}

// Megatron-LM's even split: L / S layers per stage.
Result<std::vector<StageSplit>> even_split(std::uint32_t layers, std::uint32_t stages) {
  if (layers % stages != 0) {
    return Status::failure("p·v = " + std::to_string(stages) + " does not divide the " +
                           std::to_string(layers) + " layers (an even split)");
  }
  std::vector<StageSplit> splits(stages);
  for (std::uint32_t s = 0; s < stages; ++s) splits[s] = {s * (layers / stages), layers / stages, 0, 0};
  return splits;
}

// Megatron-LM's split with the embedding and the loss counted as layers: (L + 2) / S slots
// per stage, the first and the last stage one layer fewer.
Result<std::vector<StageSplit>> embedding_and_loss_split(std::uint32_t layers, std::uint32_t stages) {
  const std::uint64_t slots = std::uint64_t{layers} + 2;
  if (!splits_counting_embedding_and_loss(layers, stages)) {
    return Status::failure("p·v = " + std::to_string(stages) + " does not divide the " + std::to_string(layers) +
                           " layers with the embedding and the loss counted as layers (" +
                           std::to_string(slots) + " slots, at least two per stage)");
  }
  const auto per_stage = static_cast<std::uint32_t>(slots / stages);
  std::vector<StageSplit> splits(stages);
  std::uint32_t next = 0;
  for (std::uint32_t s = 0; s < stages; ++s) {
    const std::uint32_t count = s == 0 || s + 1 == stages ? per_stage - 1 : per_stage;
    splits[s] = {next, count, 0, 0};
    next += count;
  }
  return splits;
}

// The first stage holds `first` layers, the last `last`, the p − 2 others L' / (p − 2)
// each, minimising the slowest stage (uniform layers of `layer_ms`, plus `first_extra_ms`
// and `last_extra_ms` for the embedding and the loss); among equals the one closest to
// even.
Result<std::vector<StageSplit>> balanced_split(std::uint32_t layers, std::uint32_t stages,
                                               double layer_ms, double first_extra_ms,
                                               double last_extra_ms) {
  if (stages < 2) return Status::failure("a balanced split needs p >= 2");
  const std::uint32_t middle_stages = stages - 2;
  double best_slowest = std::numeric_limits<double>::infinity();
  std::uint64_t best_spread = ~std::uint64_t{0};
  std::uint32_t best_first = 0;
  std::uint32_t best_last = 0;
  std::uint32_t best_middle = 0;
  for (std::uint32_t first = 1; first < layers; ++first) {
    for (std::uint32_t last = 1; first + last <= layers; ++last) {
      const std::uint32_t rest = layers - first - last;
      if (middle_stages == 0 ? rest != 0 : (rest == 0 || rest % middle_stages != 0)) continue;
      const std::uint32_t middle = middle_stages ? rest / middle_stages : 0;
      double slowest = std::max(first * layer_ms + first_extra_ms, last * layer_ms + last_extra_ms);
      if (middle_stages) slowest = std::max(slowest, middle * layer_ms);
      const double even = static_cast<double>(layers) / stages;
      const auto spread = static_cast<std::uint64_t>(std::fabs(first - even) + std::fabs(last - even));
      if (slowest < best_slowest * (1 - 1e-12) ||
          (slowest <= best_slowest * (1 + 1e-12) && spread < best_spread)) {
        best_slowest = slowest;
        best_spread = spread;
        best_first = first;
        best_last = last;
        best_middle = middle;
      }
    }
  }
  if (best_first == 0) {
    return Status::failure("no balanced split of " + std::to_string(layers) + " layers into " +
                           std::to_string(stages) + " stages");
  }
  std::vector<StageSplit> splits(stages);
  std::uint32_t next = 0;
  for (std::uint32_t s = 0; s < stages; ++s) {
    const std::uint32_t count = s == 0 ? best_first : s + 1 == stages ? best_last : best_middle;
    splits[s] = {next, count, 0, 0};
    next += count;
  }
  return splits;
}

Result<std::vector<StageSplit>> split_layers(const ModelDescription& model, const ResolvedModel& resolved,
                                             const PipelineShape& shape, std::uint32_t stages) {
  const std::vector<LayerCost>& layers = resolved.layers;
  if (!model.transformer) {
    PartitionRequest request;
    request.stages = stages;
    for (const LayerCost& layer : layers) request.layers.push_back({step_ms(layer, shape.recompute), 0, 0});
    return partition_layers(request);
  }
  const auto count = static_cast<std::uint32_t>(layers.size());
  if (shape.split == LayerSplit::Even) {
    if (shape.chunks > 1 && count % stages != 0 && !splits_counting_embedding_and_loss(count, stages)) {
      // Neither of the splits Megatron-LM interleaves with fits.
      return Status::failure("p·v = " + std::to_string(stages) + " divides neither the " + std::to_string(count) +
                             " layers (an even split) nor " + std::to_string(count + 2) +
                             " (the embedding and the loss counted as layers)");
    }
    return even_split(count, stages);
  }
  if (shape.split == LayerSplit::EmbeddingAndLossAsLayers) return embedding_and_loss_split(count, stages);
  if (shape.chunks > 1) return Status::failure("a balanced split needs v = 1");
  return balanced_split(count, stages, step_ms(layers.front(), shape.recompute),
                        step_ms(*resolved.embedding, shape.recompute),
                        step_ms(*resolved.head, shape.recompute));
}

// `splits` when they hold every layer once, in order, one non-empty run per stage.
Result<std::vector<StageSplit>> given_split(const std::vector<StageSplit>& splits, std::size_t layers,
                                            std::uint32_t stages) {
  if (splits.size() != stages) {
    return Status::failure(std::to_string(splits.size()) + " stage splits for p·v = " + std::to_string(stages) +
                           " stages");
  }
  std::uint64_t next = 0;
  for (const StageSplit& split : splits) {
    if (split.first_layer != next || split.layer_count == 0) {
      return Status::failure("stage splits must cover the layers in order, each stage non-empty");
    }
    next += split.layer_count;
  }
  if (next != layers) {
    return Status::failure("stage splits cover " + std::to_string(next) + " of the " + std::to_string(layers) +
                           " layers");
  }
  return splits;
}

// Sums of a stage's blocks for one micro-batch.
struct StageTotals {
  double forward_ms = 0;
  double backward_ms = 0;
  double backward_weight_ms = 0;
  double rerun_ms = 0;             // what full recomputation reruns
  double parameters = 0;
  double kept_bytes = 0;           // per micro-batch under the recomputation
  double working_set_bytes = 0;
  double output_bytes = 0;

  void add(const LayerCost& layer, Recompute recompute) {
    forward_ms += layer.forward_ms;
    backward_ms += layer.backward_ms;
    backward_weight_ms += layer.backward_ms * layer.backward_weight_fraction;
    parameters += layer.parameters;
    switch (recompute) {
      case Recompute::None:
        kept_bytes += layer.activation_bytes;
        break;
      case Recompute::Selective:
        kept_bytes += layer.selective_activation_bytes.value_or(layer.activation_bytes);
        backward_ms += layer.selective_recompute_ms;
        break;
      case Recompute::Full:
      case Recompute::Block:  // resolved per layer by layer_recompute before it gets here
        kept_bytes += layer.checkpoint_bytes;
        if (layer.recomputed) {
          rerun_ms += layer.forward_ms;
          working_set_bytes = std::max(working_set_bytes, layer.activation_bytes);
        }
        break;
    }
  }
};

// How the `index`-th layer of a stage is recomputed: block recomputation reruns the first
// recompute_layers of each stage (Megatron-LM checkpoints them in each model chunk's
// transformer block) and keeps the rest.
Recompute layer_recompute(const PipelineShape& shape, std::uint32_t index) {
  if (shape.recompute != Recompute::Block) return shape.recompute;
  return index < shape.recompute_layers ? Recompute::Full : Recompute::None;
}

Status check_shape(const ModelDescription& model, const ResolvedModel& resolved,
                   const PipelineShape& shape) {
  const std::uint64_t stage_count = std::uint64_t{shape.devices} * shape.chunks;
  if (stage_count == 0 || stage_count > resolved.layers.size()) {
    return Status::failure("p·v = " + std::to_string(stage_count) + " stages cannot hold " +
                           std::to_string(resolved.layers.size()) +
                           " layers (at most one stage per layer)");
  }
  if (shape.recompute == Recompute::Selective && !model.transformer) {
    return Status::failure("selective recomputation needs a transformer model (layer \"" +
                           resolved.layers.front().name + "\" is not one)");
  }
  if (shape.recompute == Recompute::Block && shape.recompute_layers == 0) {
    return Status::failure("block recomputation needs at least one layer to recompute per stage");
  }
  return {};
}

}  // namespace

namespace {

// pipeline_costs, with the stages' layers `given` or (null) derived from shape.split.
Result<PipelineCosts> costs_of_layout(const ModelDescription& model, const PipelineShape& shape,
                                      const std::vector<StageSplit>* given) {
  const std::uint32_t t = shape.tensor.size;
  if (!model.transformer && t > 1) {
    return Status::failure("tensor parallelism needs a transformer model");
  }
  if (model.transformer && (t == 0 || model.transformer->heads % t != 0 ||
                            model.transformer->groups() % t != 0)) {
    return Status::failure("t = " + std::to_string(t) +
                           " does not divide the attention heads and query groups");
  }
  if (const std::string problem = context_parallel_problem(model, shape.context); !problem.empty()) {
    return Status::failure(problem);
  }
  const std::uint32_t cp = shape.context;
  const std::uint32_t stage_count = shape.devices * shape.chunks;
  LayerLayout layout;
  layout.tensor = shape.tensor;
  layout.context = cp;
  layout.micro_batch_size = shape.micro_batch_size;
  layout.output_shares_embedding = stage_count == 1;
  const ResolvedModel resolved = resolve_layers(model, layout);
  if (Status status = check_shape(model, resolved, shape); !status.ok()) return status;
  Result<std::vector<StageSplit>> splits = given ? given_split(*given, resolved.layers.size(), stage_count)
                                                 : split_layers(model, resolved, shape, stage_count);
  if (!splits.ok()) return splits.status();

  const HardwareSpec& hardware = model.device.hardware;
  const CommunicationSpec& communication = model.communication;
  const TrainingSpec& training = model.training;
  PipelineCosts costs;
  costs.stages = std::move(*splits);
  sim::CostConfig& config = costs.config;

  // Messages between stages: one micro-batch's hidden state, split t ways across the
  // tensor-parallel ranks' links with sequence parallelism or scatter/gather; with
  // scatter/gather the receivers all-gather it over NVLink before using it.
  const bool split_messages = t > 1 && (shape.tensor.sequence_parallel || communication.scatter_gather);
  const bool gather_messages = t > 1 && !shape.tensor.sequence_parallel && communication.scatter_gather;
  const std::uint64_t pipeline_span = std::uint64_t{t} * cp * shape.replicas * shape.devices;
  const Link pipeline_link = pipeline_span <= hardware.gpus_per_node ? Link::IntraNode : Link::InterNode;
  const double whole_message = resolved.layers.back().output_bytes;
  costs.message_bytes = split_messages ? whole_message / t : whole_message;
  const double gather_ms =
      gather_messages && shape.devices > 1 ? all_gather_ms(whole_message, t, Link::IntraNode, hardware) : 0;

  // The ranks that hold the same weights: the d replicas, each sequence split over cp.
  const std::uint32_t weight_sharers = shape.replicas * cp;
  const double optimizer_sharding = shape.distributed_optimizer ? weight_sharers : 1.0;
  for (std::uint32_t stage = 0; stage < stage_count; ++stage) {
    const StageSplit& split = costs.stages[stage];
    StageTotals totals;
    // The embedding and the head are outside the transformer block that block
    // recomputation checkpoints; they keep everything under every recomputation.
    const Recompute ends = shape.recompute == Recompute::Block ? Recompute::Full : shape.recompute;
    if (stage == 0 && resolved.embedding) totals.add(*resolved.embedding, ends);
    for (std::uint32_t i = 0; i < split.layer_count; ++i) {
      totals.add(resolved.layers[split.first_layer + i], layer_recompute(shape, i));
    }
    if (stage + 1 == stage_count && resolved.head) totals.add(*resolved.head, ends);
    if (stage > 0) totals.forward_ms += gather_ms;
    if (stage + 1 < stage_count) totals.backward_ms += gather_ms;

    sim::StageOverride entry;
    entry.stage = stage;
    entry.costs.forward = totals.forward_ms;
    entry.costs.backward_weight = totals.backward_weight_ms;
    entry.costs.backward_input = totals.backward_ms - totals.backward_weight_ms;
    entry.costs.recompute_forward = totals.rerun_ms;
    StageMemoryBreakdown& memory = costs.memory.emplace_back();
    memory.parameters = totals.parameters;
    memory.weight_bytes = totals.parameters * training.weight_bytes_per_parameter;
    memory.gradient_bytes = totals.parameters * training.gradient_bytes_per_parameter;
    memory.optimizer_state_bytes =
        totals.parameters * training.optimizer_state_bytes_per_parameter / optimizer_sharding;
    memory.kept_bytes = totals.kept_bytes;
    memory.working_set_bytes = totals.working_set_bytes;
    if (model.transformer && training.optimizer_step_ms == 0) {
      entry.costs.optimizer_step =
          memory_bound_ms(totals.parameters * kAdamBytesPerParameter / optimizer_sharding, hardware);
    }
    entry.memory.parameter_bytes = memory.weight_bytes;
    entry.memory.gradient_bytes = memory.gradient_bytes;
    entry.memory.optimizer_state_bytes = memory.optimizer_state_bytes;
    entry.memory.stash_bytes = memory.kept_bytes;
    entry.memory.checkpoint_bytes = memory.kept_bytes;
    entry.memory.working_set_bytes = memory.working_set_bytes;
    config.stages.push_back(entry);
  }
  config.device_share.optimizer_step = training.optimizer_step_ms;
  config.memory.recompute = shape.recompute == Recompute::Full || shape.recompute == Recompute::Block;
  config.memory.optimizer = sim::Optimizer::Adam;

  sim::CommunicationCosts& comm = config.communication;
  comm.latency_ms = model.interconnect.latency_ms.value_or(link_latency_ms(pipeline_link, hardware));
  comm.bandwidth_gb_per_s =
      model.interconnect.bandwidth_gb_per_s.value_or(link_gb_per_s(pipeline_link, hardware));
  comm.activation_bytes = costs.message_bytes;
  comm.gradient_bytes = costs.message_bytes;
  comm.mode = communication.pipeline_overlapped(shape.chunks) ? sim::CommMode::Overlapped : sim::CommMode::Blocking;

  // The data-parallel ring of one stage's ranks: t·cp·d consecutive ranks (Megatron-LM
  // orders tensor, context, data, then pipeline ranks), inside a node when they fit in one;
  // it reduces over the d·cp ranks that share weights, t ranks apart: a node holds
  // gpus_per_node / t of them, whose network cards the ring crosses the network through.
  const Link data_link = std::uint64_t{t} * weight_sharers <= hardware.gpus_per_node ? Link::IntraNode
                                                                                       : Link::InterNode;
  const std::uint32_t sharers_per_node = std::min(weight_sharers, std::max(hardware.gpus_per_node / t, 1u));
  sim::DataParallelCosts& dp = config.data_parallel;
  dp.replicas = weight_sharers;
  dp.latency_ms = model.interconnect.data_parallel_latency_ms.value_or(link_latency_ms(data_link, hardware));
  dp.bandwidth_gb_per_s = model.interconnect.data_parallel_bandwidth_gb_per_s.value_or(
      ring_gb_per_s(data_link, sharers_per_node, hardware));
  dp.sharded = shape.distributed_optimizer;
  dp.overlap_with_cooldown = communication.overlap_grad_reduce;
  return costs;
}

}  // namespace

Result<PipelineCosts> pipeline_costs(const ModelDescription& model, const PipelineShape& shape) {
  return costs_of_layout(model, shape, nullptr);
}

Result<PipelineCosts> pipeline_costs(const ModelDescription& model, const PipelineShape& shape,
                                     const std::vector<StageSplit>& splits) {
  return costs_of_layout(model, shape, &splits);
}

}  // namespace pipewise::tools
