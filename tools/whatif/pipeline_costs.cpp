#include "tools/whatif/pipeline_costs.hpp"

#include <algorithm>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::tools {

std::string_view recompute_name(Recompute recompute) {
  switch (recompute) {
    case Recompute::None: return "off";
    case Recompute::Selective: return "selective";
    case Recompute::Full: return "full";
  }
  return "off";
}

Recompute recompute_from_name(std::string_view name) {
  if (name == "off" || name == "none") return Recompute::None;
  if (name == "selective") return Recompute::Selective;
  if (name == "full") return Recompute::Full;
  throw Error("unknown recomputation \"" + std::string(name) +
              "\" (expected off, selective or full)");
}

namespace {

// What one stage of layers [first, first + count) costs for one micro-batch of b samples.
struct StageTotals {
  double forward_ms = 0;
  double backward_input_ms = 0;
  double backward_weight_ms = 0;
  double stash_bytes = 0;           // stashed per micro-batch under `recompute`
  double largest_layer_stash = 0;   // one layer's full activations (the recompute working set)
  double checkpoint_bytes = 0;      // every layer's input, kept under full recomputation
  double output_bytes = 0;          // the stage's output message
  double parameter_bytes = 0;
};

StageTotals stage_totals(const std::vector<LayerCost>& layers, const StageSplit& split,
                         double samples, Recompute recompute) {
  StageTotals totals;
  for (std::uint32_t i = split.first_layer; i < split.first_layer + split.layer_count; ++i) {
    const LayerCost& layer = layers[i];
    const double weight_ms = layer.backward_ms * layer.backward_weight_fraction;
    totals.forward_ms += samples * layer.forward_ms;
    totals.backward_weight_ms += samples * weight_ms;
    totals.backward_input_ms += samples * (layer.backward_ms - weight_ms);
    double stash = layer.activation_bytes;
    if (recompute == Recompute::Selective) {
      stash = *layer.selective_activation_bytes;
      totals.backward_input_ms += samples * layer.selective_recompute_ms;
    }
    totals.stash_bytes += samples * stash;
    totals.largest_layer_stash = std::max(totals.largest_layer_stash, samples * layer.activation_bytes);
    // A layer's input is the previous layer's output; the first layer's input is the
    // previous stage's output, of the same size for uniform models.
    totals.checkpoint_bytes += samples * layer.output_bytes;
    totals.output_bytes = samples * layer.output_bytes;
    totals.parameter_bytes += layer.parameter_bytes;
  }
  return totals;
}

}  // namespace

Result<PipelineCosts> pipeline_costs(const ModelDescription& model,
                                     const std::vector<LayerCost>& layers,
                                     const PipelineShape& shape) {
  const std::uint64_t stage_count = std::uint64_t{shape.devices} * shape.chunks;
  if (stage_count == 0 || stage_count > layers.size()) {
    return Status::failure("p·v = " + std::to_string(stage_count) + " stages cannot hold " +
                           std::to_string(layers.size()) +
                           " layers (at most one stage per layer)");
  }
  if (shape.recompute == Recompute::Selective) {
    for (const LayerCost& layer : layers) {
      if (!layer.selective_activation_bytes) {
        return Status::failure("selective recomputation needs a transformer model (layer \"" +
                               layer.name + "\" is not one)");
      }
    }
  }
  const double samples = shape.micro_batch_size;
  PartitionRequest request;
  request.stages = static_cast<std::uint32_t>(stage_count);
  for (const LayerCost& layer : layers) {
    double time = layer.forward_ms + layer.backward_ms;
    if (shape.recompute == Recompute::Selective) time += layer.selective_recompute_ms;
    request.layers.push_back({samples * time, 0, 0});
  }
  PipelineCosts costs;
  costs.stages = partition_layers(request);

  sim::CostConfig& config = costs.config;
  StageTotals largest;  // the per-stage maxima that the uniform memory model charges
  for (std::uint32_t stage = 0; stage < stage_count; ++stage) {
    const StageTotals totals = stage_totals(layers, costs.stages[stage], samples, shape.recompute);
    sim::StageOverride entry;
    entry.stage = stage;
    entry.costs.forward = totals.forward_ms;
    entry.costs.backward_input = totals.backward_input_ms;
    entry.costs.backward_weight = totals.backward_weight_ms;
    config.stages.push_back(entry);
    largest.stash_bytes = std::max(largest.stash_bytes, totals.stash_bytes);
    largest.largest_layer_stash = std::max(largest.largest_layer_stash, totals.largest_layer_stash);
    largest.checkpoint_bytes = std::max(largest.checkpoint_bytes, totals.checkpoint_bytes);
    largest.output_bytes = std::max(largest.output_bytes, totals.output_bytes);
    largest.parameter_bytes = std::max(largest.parameter_bytes, totals.parameter_bytes);
  }
  config.device_share.optimizer_step = model.training.optimizer_step_ms;

  config.communication.latency_ms = model.interconnect.latency_ms;
  config.communication.bandwidth_gb_per_s = model.interconnect.bandwidth_gb_per_s;
  config.communication.activation_bytes = largest.output_bytes;
  config.communication.gradient_bytes = largest.output_bytes;

  config.data_parallel.replicas = shape.replicas;
  config.data_parallel.latency_ms = model.interconnect.data_parallel_latency_ms;
  config.data_parallel.bandwidth_gb_per_s = model.interconnect.data_parallel_bandwidth_gb_per_s;

  // One device's share is v chunk-stages; the simulator divides it by v again.
  const double chunks = shape.chunks;
  const TrainingSpec& training = model.training;
  sim::MemoryConfig& memory = config.memory;
  memory.parameter_bytes = chunks * largest.parameter_bytes;
  const double parameters = memory.parameter_bytes / training.weight_bytes_per_parameter;
  const double optimizer_sharding = training.distributed_optimizer ? shape.replicas : 1.0;
  memory.optimizer = sim::Optimizer::Adam;
  memory.optimizer_state_bytes =
      parameters * training.optimizer_state_bytes_per_parameter / optimizer_sharding;
  memory.layers = chunks;  // one "layer" unit per chunk-stage, of the largest stage's stash
  memory.activation_bytes_per_layer = largest.stash_bytes;
  memory.recompute = shape.recompute == Recompute::Full;
  if (memory.recompute) {
    // Megatron-LM's full recomputation rebuilds one layer at a time during backward.
    memory.working_set_factor =
        largest.stash_bytes > 0 ? largest.largest_layer_stash / largest.stash_bytes : 1.0;
    costs.extra_checkpoint_bytes = std::max(0.0, largest.checkpoint_bytes - largest.output_bytes);
  }
  return costs;
}

}  // namespace pipewise::tools
