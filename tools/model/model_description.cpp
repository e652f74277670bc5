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
    if (transformer->heads % parallelism.tensor.size != 0) {
      throw Error("tensor-parallel size " + std::to_string(parallelism.tensor.size) +
                  " does not divide the " + std::to_string(transformer->heads) +
                  " attention heads");
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
  require_positive(device.memory_bytes, "device memory");
  require_positive(device.tflops, "device throughput (TFLOP/s)");
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
  const std::uint32_t tensor = parallelism.tensor.size;
  if (tensor == 0) throw Error("tensor-parallel size must be at least 1");
  if (device.count % tensor != 0) {
    throw Error("tensor-parallel size " + std::to_string(tensor) + " does not divide the " +
                std::to_string(device.count) + " devices");
  }
  if (parallelism.data) {
    if (*parallelism.data == 0) throw Error("data-parallel size must be at least 1");
    if (device.count % (std::uint64_t{tensor} * *parallelism.data) != 0) {
      throw Error("tensor-parallel size " + std::to_string(tensor) + " × data-parallel size " +
                  std::to_string(*parallelism.data) + " does not divide the " +
                  std::to_string(device.count) + " devices");
    }
  }
  require_finite_at_least(interconnect.bandwidth_gb_per_s, 0, "interconnect bandwidth");
  require_finite_at_least(interconnect.latency_ms, 0, "interconnect latency");
  require_finite_at_least(interconnect.data_parallel_bandwidth_gb_per_s, 0,
                          "data-parallel bandwidth");
  require_finite_at_least(interconnect.data_parallel_latency_ms, 0, "data-parallel latency");
  require_positive(training.weight_bytes_per_parameter, "weight bytes per parameter");
  require_finite_at_least(training.optimizer_state_bytes_per_parameter, 0,
                          "optimizer state bytes per parameter");
  require_finite_at_least(training.optimizer_step_ms, 0, "optimizer step time");
}

std::vector<LayerCost> resolve_layers(const ModelDescription& model) {
  std::vector<LayerCost> resolved;
  const double tflops = model.device.tflops;
  if (model.transformer) {
    const TransformerLayerCosts costs =
        transformer_layer_costs(*model.transformer, model.parallelism.tensor);
    LayerCost layer;
    layer.name = "transformer";
    layer.forward_ms = Work{costs.forward_flops, true}.milliseconds(tflops);
    layer.backward_ms = Work{costs.backward_flops, true}.milliseconds(tflops);
    layer.activation_bytes = costs.activation_bytes;
    layer.selective_activation_bytes = costs.selective_activation_bytes;
    layer.selective_recompute_ms = Work{costs.attention_core_flops, true}.milliseconds(tflops);
    layer.output_bytes = costs.boundary_bytes;
    layer.parameter_bytes = costs.parameters * model.training.weight_bytes_per_parameter;
    resolved.assign(model.transformer->layers, layer);
    return resolved;
  }
  for (const LayerGroup& group : model.layers) {
    LayerCost layer;
    layer.name = group.name;
    layer.forward_ms = group.forward.milliseconds(tflops);
    layer.backward_ms = group.backward.milliseconds(tflops);
    layer.backward_weight_fraction = group.backward_weight_fraction;
    layer.activation_bytes = group.activation_bytes;
    layer.output_bytes = group.output_bytes;
    layer.parameter_bytes = group.parameter_bytes;
    resolved.insert(resolved.end(), group.count, layer);
  }
  return resolved;
}

double total_parameters(const ModelDescription& model) {
  double bytes = 0;
  for (const LayerCost& layer : resolve_layers(model)) bytes += layer.parameter_bytes;
  return bytes / model.training.weight_bytes_per_parameter * model.parallelism.tensor.size;
}

}  // namespace pipewise::tools
