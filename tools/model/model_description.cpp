#include "tools/model/model_description.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"

namespace pipewise::tools {
namespace {

void require_finite_at_least(double value, double minimum, const std::string& what) {
  if (!std::isfinite(value) || value < minimum) {
    throw Error(what + " must be a finite number >= " + format_number(minimum) + " (got " +
                format_number(value) + ")");
  }
}

void require_positive(double value, const std::string& what) {
  if (!std::isfinite(value) || value <= 0) {
    throw Error(what + " must be a finite number > 0 (got " + format_number(value) + ")");
  }
}

void check_layer_group(const LayerGroup& group, std::size_t index) {
  const std::string where = "layer group " + std::to_string(index) + " (" + group.name + ")";
  if (group.count == 0) throw Error(where + ": count must be at least 1");
  require_finite_at_least(group.forward.amount, 0, where + ": forward");
  require_finite_at_least(group.backward.amount, 0, where + ": backward");
  if (!(group.backward_weight_fraction >= 0 && group.backward_weight_fraction <= 1)) {
    throw Error(where + ": backward_weight_fraction must be between 0 and 1 (got " +
                format_number(group.backward_weight_fraction) + ")");
  }
  require_finite_at_least(group.activation_bytes, 0, where + ": activation_bytes");
  require_finite_at_least(group.output_bytes, 0, where + ": output_bytes");
  require_finite_at_least(group.parameter_bytes, 0, where + ": parameter_bytes");
}

void check_optional_link(const std::optional<double>& value, const std::string& what) {
  if (value) require_finite_at_least(*value, 0, what);
}

// Why t cannot split the transformer, or empty.
std::string tensor_parallel_problem(const TransformerShape& shape, std::uint32_t t) {
  if (t == 0 || shape.heads % t != 0) {
    return "tensor-parallel size " + std::to_string(t) + " does not divide the " +
           std::to_string(shape.heads) + " attention heads";
  }
  if (shape.groups() % t != 0) {
    return "tensor-parallel size " + std::to_string(t) + " does not divide the " +
           std::to_string(shape.groups()) + " query groups";
  }
  return {};
}

double gemms_ms(const std::vector<Gemm>& gemms, const HardwareSpec& hardware) {
  double total = 0;
  for (const Gemm& gemm : gemms) total += gemm_ms(gemm, hardware);
  return total;
}

double collectives_ms(const Collectives& collectives, double bytes, std::uint32_t ranks,
                      const HardwareSpec& hardware) {
  const Link link = ranks <= hardware.gpus_per_node ? Link::IntraNode : Link::InterNode;
  return collectives.all_reduces * all_reduce_ms(bytes, ranks, link, hardware) +
         (collectives.all_gathers + collectives.reduce_scatters) *
             all_gather_ms(bytes, ranks, link, hardware);
}

// A block's forward and backward times with the communication the overlap leaves exposed.
struct BlockTimes {
  double forward_ms = 0;
  double backward_ms = 0;
  double weight_gradient_ms = 0;  // the backward's weight-gradient GEMMs
};

BlockTimes block_times(const BlockCosts& block, const ModelDescription& model, std::uint32_t t) {
  const HardwareSpec& hardware = model.device.hardware;
  const double gemm = gemms_ms(block.gemms, hardware);
  const double forward_comm = collectives_ms(block.forward_collectives, block.collective_bytes, t, hardware);
  const double backward_comm = collectives_ms(block.backward_collectives, block.collective_bytes, t, hardware);
  const TensorParallelOverlap overlap = model.communication.tensor_parallel_overlap;
  const double forward_exposed = overlap == TensorParallelOverlap::All
                                     ? std::max(0.0, forward_comm - gemm)
                                     : forward_comm;
  const double backward_exposed = overlap == TensorParallelOverlap::None
                                      ? backward_comm
                                      : std::max(0.0, backward_comm - gemm);
  BlockTimes times;
  times.forward_ms = gemm + memory_bound_ms(block.forward_bytes, hardware) + forward_exposed;
  times.weight_gradient_ms = gemm;
  times.backward_ms = 2 * gemm + gemms_ms(block.backward_extra_gemms, hardware) +
                      memory_bound_ms(block.backward_bytes, hardware) + backward_exposed;
  return times;
}

// What context parallelism's ring leaves exposed in one layer: each step's K and V (and,
// backward, their gradients) travel while the attention core computes the previous
// step's block, so only what the core's time does not cover shows.
struct RingTimes {
  double forward_exposed_ms = 0;
  double backward_exposed_ms = 0;
};

RingTimes ring_times(const TransformerLayerCosts& costs, double core_forward_ms, std::uint64_t tensor_and_context,
                     const HardwareSpec& hardware) {
  if (costs.ring_steps == 0) return {};
  // Megatron-LM orders ranks tensor, then context, ...: the ring's neighbours sit t apart,
  // inside a node while the t·cp ranks fit in one.
  const Link link = tensor_and_context <= hardware.gpus_per_node ? Link::IntraNode : Link::InterNode;
  const auto ring_ms = [&](double step_bytes) {
    return costs.ring_steps *
           (step_bytes / (link_gb_per_s(link, hardware) * 1e6) + link_latency_ms(link, hardware));
  };
  RingTimes times;
  times.forward_exposed_ms = std::max(0.0, ring_ms(costs.ring_step_bytes) - core_forward_ms);
  times.backward_exposed_ms = std::max(0.0, ring_ms(2 * costs.ring_step_bytes) - 2 * core_forward_ms);
  return times;
}

LayerCost block_layer(std::string name, const BlockCosts& block, const ModelDescription& model,
                      std::uint32_t t) {
  const BlockTimes times = block_times(block, model, t);
  LayerCost layer;
  layer.name = std::move(name);
  layer.forward_ms = times.forward_ms;
  layer.backward_ms = times.backward_ms;
  layer.backward_weight_fraction = times.backward_ms > 0 ? times.weight_gradient_ms / times.backward_ms : 0.5;
  layer.activation_bytes = block.activation_bytes;
  layer.checkpoint_bytes = block.activation_bytes;  // not recomputed: it keeps everything
  layer.recomputed = false;
  layer.parameters = block.parameters;
  return layer;
}

}  // namespace

double Work::milliseconds(double device_tflops) const {
  return in_flops ? amount / (device_tflops * 1e9) : amount;
}

std::uint32_t ModelDescription::layer_count() const {
  if (transformer) return transformer->layers;
  std::uint64_t count = 0;
  for (const LayerGroup& group : layers) count += group.count;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(count, UINT32_MAX));
}

void ModelDescription::check() const {
  if (transformer) {
    transformer->check();
    if (transformer->layers > kMaxLayers) {
      throw Error("the transformer has " + std::to_string(transformer->layers) +
                  " layers, more than the " + std::to_string(kMaxLayers) + " supported");
    }
    if (!layers.empty()) throw Error("give either a transformer shape or layer groups, not both");
    if (parallelism.tensor) {
      if (const std::string problem = tensor_parallel_problem(*transformer, *parallelism.tensor);
          !problem.empty()) {
        throw Error(problem);
      }
    }
  } else {
    if (layers.empty()) throw Error("the model has no layers");
    for (std::size_t i = 0; i < layers.size(); ++i) check_layer_group(layers[i], i);
    std::uint64_t count = 0;
    for (const LayerGroup& group : layers) count += group.count;
    if (count > kMaxLayers) {
      throw Error("the model has " + std::to_string(count) + " layers, more than the " +
                  std::to_string(kMaxLayers) + " supported");
    }
  }
  if (device.count == 0) throw Error("device count must be at least 1");
  device.hardware.check();
  if (batch.global == 0 || batch.global > UINT32_MAX) {
    throw Error("global batch size must be between 1 and 4294967295 (got " +
                std::to_string(batch.global) + ")");
  }
  if (batch.micro_batch_sizes.empty()) throw Error("no micro-batch size given");
  for (const std::uint32_t size : batch.micro_batch_sizes) {
    if (size == 0) throw Error("micro-batch sizes must be at least 1");
    if (size > batch.global) {
      throw Error("micro-batch size " + std::to_string(size) + " exceeds the global batch size " +
                  std::to_string(batch.global));
    }
  }
  const std::uint32_t tensor = parallelism.tensor.value_or(1);
  if (tensor == 0) throw Error("tensor-parallel size must be at least 1");
  if (!transformer && tensor > 1) {
    throw Error("tensor parallelism needs a transformer model (layer groups give one rank's costs)");
  }
  if (device.count % tensor != 0) {
    throw Error("tensor-parallel size " + std::to_string(tensor) + " does not divide the " +
                std::to_string(device.count) + " devices");
  }
  const std::uint32_t context = parallelism.context.value_or(1);
  if (const std::string problem = context_parallel_problem(*this, context); !problem.empty()) {
    throw Error(problem);
  }
  if (device.count % (std::uint64_t{tensor} * context) != 0) {
    throw Error("tensor-parallel size " + std::to_string(tensor) + " × context-parallel size " +
                std::to_string(context) + " does not divide the " + std::to_string(device.count) + " devices");
  }
  if (parallelism.data) {
    if (*parallelism.data == 0) throw Error("data-parallel size must be at least 1");
    if (device.count % (std::uint64_t{tensor} * context * *parallelism.data) != 0) {
      throw Error("tensor-parallel size " + std::to_string(tensor) +
                  (context > 1 ? " × context-parallel size " + std::to_string(context) : std::string()) +
                  " × data-parallel size " + std::to_string(*parallelism.data) + " does not divide the " +
                  std::to_string(device.count) + " devices");
    }
  }
  check_optional_link(interconnect.bandwidth_gb_per_s, "interconnect bandwidth");
  check_optional_link(interconnect.latency_ms, "interconnect latency");
  check_optional_link(interconnect.data_parallel_bandwidth_gb_per_s, "data-parallel bandwidth");
  check_optional_link(interconnect.data_parallel_latency_ms, "data-parallel latency");
  require_positive(training.weight_bytes_per_parameter, "weight bytes per parameter");
  require_finite_at_least(training.gradient_bytes_per_parameter, 0, "gradient bytes per parameter");
  require_finite_at_least(training.optimizer_state_bytes_per_parameter, 0,
                          "optimizer state bytes per parameter");
  require_finite_at_least(training.optimizer_step_ms, 0, "optimizer step time");
}

ResolvedModel resolve_layers(const ModelDescription& model, const LayerLayout& layout) {
  ResolvedModel resolved;
  const std::uint32_t t = layout.tensor.size;
  if (model.transformer) {
    const TransformerShape& shape = *model.transformer;
    const HardwareSpec& hardware = model.device.hardware;
    const std::uint32_t cp = layout.context;
    const TransformerLayerCosts costs =
        transformer_layer_costs(shape, layout.tensor, layout.micro_batch_size, cp);
    LayerCost layer = block_layer("transformer", costs.block, model, t);
    const double core_ms = gemms_ms(costs.core_gemms, hardware);
    const RingTimes ring = ring_times(costs, core_ms, std::uint64_t{t} * cp, hardware);
    layer.forward_ms += ring.forward_exposed_ms;
    layer.backward_ms += ring.backward_exposed_ms;
    layer.selective_activation_bytes = costs.selective_activation_bytes;
    layer.selective_recompute_ms =
        core_ms + memory_bound_ms(costs.core_forward_bytes, hardware) + ring.forward_exposed_ms;
    layer.checkpoint_bytes = costs.checkpoint_bytes;
    layer.recomputed = true;
    layer.output_bytes = costs.output_bytes;
    resolved.layers.assign(shape.layers, layer);
    resolved.embedding =
        block_layer("embedding", embedding_costs(shape, layout.tensor, layout.micro_batch_size, cp), model, t);
    resolved.head = block_layer(
        "output",
        output_head_costs(shape, layout.tensor, layout.micro_batch_size,
                          !(shape.tied_embeddings && layout.output_shares_embedding), cp),
        model, t);
    return resolved;
  }
  const double tflops = model.device.hardware.achieved_tflops();
  const double samples = layout.micro_batch_size;
  for (const LayerGroup& group : model.layers) {
    LayerCost layer;
    layer.name = group.name;
    layer.forward_ms = samples * group.forward.milliseconds(tflops);
    layer.backward_ms = samples * group.backward.milliseconds(tflops);
    layer.backward_weight_fraction = group.backward_weight_fraction;
    layer.activation_bytes = samples * group.activation_bytes;
    // A layer's input is the previous layer's output; full recomputation keeps it, taken
    // as large as the layer's own output (exact for uniform models).
    layer.checkpoint_bytes = samples * group.output_bytes;
    layer.output_bytes = samples * group.output_bytes;
    layer.parameters = group.parameter_bytes / model.training.weight_bytes_per_parameter;
    resolved.layers.insert(resolved.layers.end(), group.count, layer);
  }
  return resolved;
}

double total_parameters(const ModelDescription& model) {
  if (model.transformer) return transformer_parameters(*model.transformer);
  double parameters = 0;
  for (const LayerGroup& group : model.layers) {
    parameters += group.count * group.parameter_bytes / model.training.weight_bytes_per_parameter;
  }
  return parameters;
}

std::string context_parallel_problem(const ModelDescription& model, std::uint32_t context) {
  if (context == 0) return "context-parallel size must be at least 1";
  if (context == 1) return {};
  const auto size = [&] { return "context-parallel size " + std::to_string(context); };
  if (!model.transformer) return size() + " needs a transformer model (layer groups give one rank's costs)";
  if (!model.transformer->flash_attention) {
    return size() + " needs flash attention (Megatron-LM runs context parallelism only in Transformer Engine's "
                    "fused attention)";
  }
  if (model.transformer->sequence % (2 * std::uint64_t{context}) != 0) {
    return size() + ": the sequence length " + std::to_string(model.transformer->sequence) +
           " is not a multiple of 2·cp = " + std::to_string(2 * std::uint64_t{context});
  }
  return {};
}

std::vector<std::uint32_t> context_parallel_sizes(const ModelDescription& model) {
  if (model.parallelism.context) return {*model.parallelism.context};
  std::vector<std::uint32_t> sizes{1};
  if (!model.transformer) return sizes;
  for (std::uint32_t cp = 2; cp <= model.device.count && model.transformer->sequence / cp >= kLeastContextTokens;
       cp *= 2) {
    if (model.device.count % cp == 0 && context_parallel_problem(model, cp).empty()) sizes.push_back(cp);
  }
  return sizes;
}

std::vector<std::uint32_t> tensor_parallel_sizes(const ModelDescription& model) {
  if (model.parallelism.tensor) return {*model.parallelism.tensor};
  if (!model.transformer) return {1};
  std::vector<std::uint32_t> sizes;
  const std::uint32_t per_node = model.device.hardware.gpus_per_node;
  for (std::uint32_t t = 1; t <= per_node; ++t) {
    if (per_node % t != 0 || model.device.count % t != 0) continue;
    if (tensor_parallel_problem(*model.transformer, t).empty()) sizes.push_back(t);
  }
  return sizes;
}

}  // namespace pipewise::tools
