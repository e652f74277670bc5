#include "tools/model/model_json.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <utility>
#include <nlohmann/json.hpp>

#include "common/ir/error.hpp"
#include "common/json/json_fields.hpp"
#include "common/text/format.hpp"

namespace pipewise::tools {
namespace {

constexpr const char* kSchema = "pipewise.model";
constexpr int kVersion = 1;

// "forward_ms" or "forward_flops" (exactly one); nullopt when neither is there.
std::optional<Work> read_work(JsonFields& fields, const std::string& stem, double scale) {
  const std::string ms_key = stem + "_ms";
  const std::string flops_key = stem + "_flops";
  const auto ms = fields.non_negative(ms_key.c_str());
  const auto flops = fields.non_negative(flops_key.c_str());
  if (ms && flops) {
    throw Error(fields.path_of(ms_key.c_str()) + " and " + flops_key + " are both given");
  }
  const auto scaled = [&](double amount, const std::string& key) {
    // A per-sample scale (1 / measured micro-batch size) may carry a large number past
    // what a double holds: name it rather than pass infinity on.
    if (!std::isfinite(amount * scale)) {
      throw Error(fields.path_of(key.c_str()) + " = " + format_number(amount) +
                  " is too large: per sample it is past the largest number a double holds");
    }
    return amount * scale;
  };
  if (ms) return Work{scaled(*ms, ms_key), false};
  if (flops) return Work{scaled(*flops, flops_key), true};
  return std::nullopt;
}

LayerGroup read_layer_group(const nlohmann::json& value, const std::string& path,
                            double per_sample, double weight_bytes_per_parameter) {
  JsonFields fields(value, path);
  LayerGroup group;
  group.name = fields.string("name").value_or("layer");
  group.count = fields.count("count").value_or(1);
  const auto forward = read_work(fields, "forward", per_sample);
  if (!forward) throw Error(path + " needs forward_ms or forward_flops");
  group.forward = *forward;
  group.backward = read_work(fields, "backward", per_sample)
                       .value_or(Work{2 * forward->amount, forward->in_flops});
  if (!std::isfinite(group.backward.amount)) {  // the default, twice the forward
    throw Error(path + "'s forward is too large: its default backward (2 x forward) is past "
                "the largest number a double holds; give the backward too");
  }
  if (const auto fraction = fields.non_negative("backward_weight_fraction")) {
    if (*fraction > 1) throw Error(fields.path_of("backward_weight_fraction") + " must be <= 1");
    group.backward_weight_fraction = *fraction;
  }
  group.activation_bytes = fields.non_negative("activation_bytes").value_or(0) * per_sample;
  group.output_bytes = fields.non_negative("output_bytes").value_or(0) * per_sample;
  const auto bytes = fields.non_negative("parameter_bytes");
  const auto parameters = fields.non_negative("parameters");
  if (bytes && parameters) throw Error(path + ": give parameter_bytes or parameters, not both");
  group.parameter_bytes = bytes ? *bytes : parameters.value_or(0) * weight_bytes_per_parameter;
  fields.finish();
  return group;
}

// One of `choices` (Megatron-LM's spelling) at `key`, or nullopt when absent.
template <typename Enum>
std::optional<Enum> read_choice(JsonFields& fields, const char* key,
                                std::initializer_list<std::pair<const char*, Enum>> choices) {
  const auto text = fields.string(key);
  if (!text) return std::nullopt;
  std::string known;
  for (const auto& [name, value] : choices) {
    if (*text == name) return value;
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  throw Error(fields.path_of(key) + " must be one of " + known + " (got \"" + *text + "\")");
}

void read_transformer(JsonFields& top, ModelDescription& model) {
  const nlohmann::json* value = top.child("transformer");
  JsonFields fields(*value, "$.transformer");
  const bool from_base = model.transformer.has_value();
  TransformerShape shape = model.transformer.value_or(TransformerShape{});
  const auto required = [&](const char* key, std::uint32_t& target) {
    if (const auto given = fields.count(key)) {
      target = *given;
    } else if (!from_base) {
      throw Error(fields.path_of(key) + " is required");
    }
  };
  required("layers", shape.layers);
  required("hidden", shape.hidden);
  required("sequence", shape.sequence);
  required("heads", shape.heads);
  if (const auto v = fields.count("query_groups")) shape.query_groups = *v;
  if (const auto v = fields.count("ffn_hidden")) shape.ffn_hidden = *v;
  if (const auto v = fields.boolean("swiglu")) shape.gated_mlp = *v;
  if (const auto v = read_choice<Normalization>(fields, "normalization",
                                                {{"LayerNorm", Normalization::LayerNorm},
                                                 {"RMSNorm", Normalization::RMSNorm}})) {
    shape.normalization = *v;
  }
  if (const auto v = fields.count("vocabulary")) shape.vocabulary = *v;
  if (const auto v = fields.count("vocabulary_divisor")) shape.vocabulary_divisor = *v;
  if (const auto v = fields.boolean("tied_embeddings")) shape.tied_embeddings = *v;
  if (const auto v = read_choice<PositionEmbedding>(
          fields, "position_embedding",
          {{"learned_absolute", PositionEmbedding::Learned}, {"rope", PositionEmbedding::Rotary}})) {
    shape.position_embedding = *v;
  }
  if (const auto v = fields.boolean("linear_bias")) shape.linear_bias = *v;
  if (const auto v = fields.boolean("flash_attention")) shape.flash_attention = *v;
  if (const auto v = fields.boolean("causal_attention")) shape.causal_attention = *v;
  fields.finish();
  model.transformer = shape;
  model.layers.clear();
}

void read_layers(JsonFields& top, ModelDescription& model, double per_sample) {
  const nlohmann::json* value = top.child("layers");
  if (!value->is_array() || value->empty()) {
    throw Error("$.layers must be a non-empty array of layer groups");
  }
  model.layers.clear();
  for (std::size_t i = 0; i < value->size(); ++i) {
    model.layers.push_back(read_layer_group((*value)[i], "$.layers[" + std::to_string(i) + "]",
                                            per_sample, model.training.weight_bytes_per_parameter));
  }
  model.transformer.reset();
}

void read_device(JsonFields& top, DeviceSpec& device) {
  const nlohmann::json* value = top.child("device");
  if (!value) return;
  JsonFields fields(*value, "$.device");
  if (const auto count = fields.count("count")) device.count = *count;
  HardwareSpec& hardware = device.hardware;
  if (const auto type = fields.string("type")) {
    const HardwarePreset* preset = find_hardware_preset(*type);
    if (!preset) {
      std::string known;
      for (const HardwarePreset& each : hardware_presets()) known += (known.empty() ? "" : ", ") + each.name;
      throw Error(fields.path_of("type") + " \"" + *type + "\" is not a known device (" + known + ")");
    }
    hardware = preset->spec;
  }
  const bool typed = fields.has("type");
  const auto gib = fields.positive("memory_gib");
  const auto bytes = fields.positive("memory_bytes");
  if (gib && bytes) throw Error("$.device: give memory_gib or memory_bytes, not both");
  // Hardware described field by field without a type is no preset's.
  if (!typed && (fields.has("peak_tflops") || fields.has("memory_gb_per_s") ||
                 fields.has("gemm_half_dimension"))) {
    hardware.name = "custom";
  }
  if (gib) hardware.memory_bytes = *gib * kGiB;
  if (bytes) hardware.memory_bytes = *bytes;
  if (const auto v = fields.positive("peak_tflops")) hardware.peak_tflops = *v;
  if (const auto v = fields.positive("memory_gb_per_s")) hardware.memory_gb_per_s = *v;
  if (const auto v = fields.count("gpus_per_node")) hardware.gpus_per_node = *v;
  if (const auto v = fields.non_negative("gemm_half_dimension")) hardware.gemm_half_dimension = *v;
  const auto efficiency = fields.positive("gemm_efficiency");
  const auto tflops = fields.positive("tflops");
  if (efficiency && tflops) throw Error("$.device: give gemm_efficiency or tflops, not both");
  if (efficiency) {
    if (*efficiency > 1) throw Error(fields.path_of("gemm_efficiency") + " must be at most 1");
    hardware.gemm_efficiency = *efficiency;
  }
  if (tflops) {
    if (*tflops > hardware.peak_tflops) {
      throw Error(fields.path_of("tflops") + " = " + format_number(*tflops) +
                  " exceeds the device's peak of " + format_number(hardware.peak_tflops) +
                  " TFLOP/s (set peak_tflops too)");
    }
    hardware.gemm_efficiency = *tflops / hardware.peak_tflops;
  }
  fields.finish();
}

void read_batch(JsonFields& top, BatchSpec& batch) {
  const nlohmann::json* value = top.child("batch");
  if (!value) return;
  JsonFields fields(*value, "$.batch");
  if (const auto global = fields.large_count("global")) batch.global = *global;
  if (fields.has("micro")) {
    const nlohmann::json& micro = *fields.child("micro");
    batch.micro_batch_sizes.clear();
    const auto add = [&](const nlohmann::json& item, const std::string& path) {
      if (!item.is_number_unsigned() || item.get<std::uint64_t>() == 0 ||
          item.get<std::uint64_t>() > UINT32_MAX) {
        throw Error(path + " must be a whole number >= 1");
      }
      batch.micro_batch_sizes.push_back(item.get<std::uint32_t>());
    };
    if (micro.is_array()) {
      if (micro.empty()) throw Error("$.batch.micro must not be empty");
      for (std::size_t i = 0; i < micro.size(); ++i) {
        add(micro[i], "$.batch.micro[" + std::to_string(i) + "]");
      }
    } else {
      add(micro, "$.batch.micro");
    }
    std::sort(batch.micro_batch_sizes.begin(), batch.micro_batch_sizes.end());
    batch.micro_batch_sizes.erase(
        std::unique(batch.micro_batch_sizes.begin(), batch.micro_batch_sizes.end()),
        batch.micro_batch_sizes.end());
  }
  fields.finish();
}

void read_parallelism(JsonFields& top, ParallelismSpec& parallelism) {
  const nlohmann::json* value = top.child("parallelism");
  if (!value) return;
  JsonFields fields(*value, "$.parallelism");
  if (const auto tensor = fields.count("tensor")) parallelism.tensor = *tensor;
  if (const auto sequence = fields.boolean("sequence_parallel")) parallelism.sequence_parallel = *sequence;
  if (const auto data = fields.count("data")) parallelism.data = *data;
  if (const auto context = fields.count("context")) parallelism.context = *context;
  fields.finish();
}

void read_communication(JsonFields& top, CommunicationSpec& communication) {
  const nlohmann::json* value = top.child("communication");
  if (!value) return;
  JsonFields fields(*value, "$.communication");
  if (const auto v = read_choice<TensorParallelOverlap>(
          fields, "tensor_parallel_overlap",
          {{"none", TensorParallelOverlap::None}, {"backward", TensorParallelOverlap::Backward},
           {"all", TensorParallelOverlap::All}})) {
    communication.tensor_parallel_overlap = *v;
  }
  if (const auto v = fields.boolean("pipeline_overlap")) communication.pipeline_overlap = *v;
  if (const auto v = fields.boolean("scatter_gather")) communication.scatter_gather = *v;
  if (const auto v = fields.boolean("overlap_grad_reduce")) communication.overlap_grad_reduce = *v;
  fields.finish();
}

void read_interconnect(JsonFields& top, ModelDescription& model) {
  const nlohmann::json* value = top.child("interconnect");
  if (!value) return;
  JsonFields fields(*value, "$.interconnect");
  HardwareSpec& hardware = model.device.hardware;
  InterconnectSpec& interconnect = model.interconnect;
  if (const auto v = fields.positive("intra_node_gb_per_s")) hardware.intra_node_gb_per_s = *v;
  if (const auto v = fields.positive("inter_node_gb_per_s")) hardware.inter_node_gb_per_s = *v;
  if (const auto v = fields.non_negative("intra_node_latency_us")) hardware.intra_node_latency_us = *v;
  if (const auto v = fields.non_negative("inter_node_latency_us")) hardware.inter_node_latency_us = *v;
  if (const auto v = fields.non_negative("bandwidth_gb_per_s")) interconnect.bandwidth_gb_per_s = *v;
  if (const auto v = fields.non_negative("latency_us")) interconnect.latency_ms = *v / 1000;
  if (const auto v = fields.non_negative("data_parallel_bandwidth_gb_per_s")) {
    interconnect.data_parallel_bandwidth_gb_per_s = *v;
  }
  if (const auto v = fields.non_negative("data_parallel_latency_us")) {
    interconnect.data_parallel_latency_ms = *v / 1000;
  }
  fields.finish();
}

void read_training(JsonFields& top, TrainingSpec& training) {
  const nlohmann::json* value = top.child("training");
  if (!value) return;
  JsonFields fields(*value, "$.training");
  if (const auto v = fields.positive("weight_bytes_per_parameter")) {
    training.weight_bytes_per_parameter = *v;
  }
  if (const auto v = fields.non_negative("gradient_bytes_per_parameter")) {
    training.gradient_bytes_per_parameter = *v;
  }
  if (const auto v = fields.non_negative("optimizer_state_bytes_per_parameter")) {
    training.optimizer_state_bytes_per_parameter = *v;
  }
  if (const auto v = fields.boolean("distributed_optimizer")) training.distributed_optimizer = *v;
  if (const auto v = fields.non_negative("optimizer_step_ms")) training.optimizer_step_ms = *v;
  fields.finish();
}

}  // namespace

ModelDescription model_from_json(const std::string& text, const std::string& source,
                                 const ModelDescription& base) {
  const nlohmann::json document = parse_json_text(text, source);
  try {
    JsonFields top(document, "$");
    if (const auto schema = top.string("schema"); schema && *schema != kSchema) {
      throw Error("$.schema must be \"" + std::string(kSchema) + "\" (got \"" + *schema + "\")");
    }
    if (const auto version = top.number("version"); version && *version != kVersion) {
      throw Error("$.version " + format_number(*version) + " is not supported (expected 1)");
    }
    ModelDescription model = base;
    if (const auto name = top.string("name")) model.name = *name;
    // Training first: a layer's "parameters" count turns into bytes with its weight size.
    read_training(top, model.training);
    read_device(top, model.device);
    read_batch(top, model.batch);
    read_parallelism(top, model.parallelism);
    read_communication(top, model.communication);
    read_interconnect(top, model);
    const double measured = top.positive("measured_micro_batch_size").value_or(1);
    const bool has_transformer = top.has("transformer");
    const bool has_layers = top.has("layers");
    if (has_transformer && has_layers) throw Error("give $.transformer or $.layers, not both");
    if (has_transformer) read_transformer(top, model);
    if (has_layers) read_layers(top, model, 1.0 / measured);
    if (!has_transformer && !has_layers && !base.transformer && base.layers.empty()) {
      throw Error("the model needs $.transformer or $.layers");
    }
    top.finish();
    model.check();
    return model;
  } catch (const Error& error) {
    throw Error(source + ": " + error.what());
  }
}

std::string model_to_json(const ModelDescription& model) {
  nlohmann::ordered_json out;
  out["schema"] = kSchema;
  out["version"] = kVersion;
  out["name"] = model.name;
  if (model.transformer) {
    const TransformerShape& shape = *model.transformer;
    out["transformer"] = {
        {"layers", shape.layers}, {"hidden", shape.hidden}, {"sequence", shape.sequence},
        {"heads", shape.heads}, {"query_groups", shape.groups()}, {"ffn_hidden", shape.ffn()},
        {"swiglu", shape.gated_mlp},
        {"normalization", shape.normalization == Normalization::RMSNorm ? "RMSNorm" : "LayerNorm"},
        {"vocabulary", shape.vocabulary}, {"vocabulary_divisor", shape.vocabulary_divisor},
        {"tied_embeddings", shape.tied_embeddings},
        {"position_embedding",
         shape.position_embedding == PositionEmbedding::Rotary ? "rope" : "learned_absolute"},
        {"linear_bias", shape.linear_bias}, {"flash_attention", shape.flash_attention},
        {"causal_attention", shape.causal_attention}};
  } else {
    out["measured_micro_batch_size"] = 1;
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const LayerGroup& group : model.layers) {
      nlohmann::ordered_json entry;
      entry["name"] = group.name;
      entry["count"] = group.count;
      entry[group.forward.in_flops ? "forward_flops" : "forward_ms"] = group.forward.amount;
      entry[group.backward.in_flops ? "backward_flops" : "backward_ms"] = group.backward.amount;
      entry["backward_weight_fraction"] = group.backward_weight_fraction;
      entry["activation_bytes"] = group.activation_bytes;
      entry["output_bytes"] = group.output_bytes;
      entry["parameter_bytes"] = group.parameter_bytes;
      layers.push_back(entry);
    }
    out["layers"] = layers;
  }
  const HardwareSpec& hardware = model.device.hardware;
  nlohmann::ordered_json device = {{"count", model.device.count}};
  if (find_hardware_preset(hardware.name)) device["type"] = hardware.name;
  device["memory_bytes"] = hardware.memory_bytes;
  device["peak_tflops"] = hardware.peak_tflops;
  device["gemm_efficiency"] = hardware.gemm_efficiency;
  device["gemm_half_dimension"] = hardware.gemm_half_dimension;
  device["memory_gb_per_s"] = hardware.memory_gb_per_s;
  device["gpus_per_node"] = hardware.gpus_per_node;
  out["device"] = device;
  out["batch"] = {{"global", model.batch.global}, {"micro", model.batch.micro_batch_sizes}};
  nlohmann::ordered_json parallelism = nlohmann::ordered_json::object();
  if (model.parallelism.tensor) parallelism["tensor"] = *model.parallelism.tensor;
  if (model.parallelism.sequence_parallel) parallelism["sequence_parallel"] = *model.parallelism.sequence_parallel;
  if (model.parallelism.data) parallelism["data"] = *model.parallelism.data;
  if (model.parallelism.context) parallelism["context"] = *model.parallelism.context;
  out["parallelism"] = parallelism;
  const CommunicationSpec& communication = model.communication;
  const char* overlap = communication.tensor_parallel_overlap == TensorParallelOverlap::None  ? "none"
                        : communication.tensor_parallel_overlap == TensorParallelOverlap::All ? "all"
                                                                                               : "backward";
  out["communication"] = {{"tensor_parallel_overlap", overlap}};
  if (communication.pipeline_overlap) out["communication"]["pipeline_overlap"] = *communication.pipeline_overlap;
  out["communication"]["scatter_gather"] = communication.scatter_gather;
  out["communication"]["overlap_grad_reduce"] = communication.overlap_grad_reduce;
  nlohmann::ordered_json interconnect = {
      {"intra_node_gb_per_s", hardware.intra_node_gb_per_s},
      {"inter_node_gb_per_s", hardware.inter_node_gb_per_s},
      {"intra_node_latency_us", hardware.intra_node_latency_us},
      {"inter_node_latency_us", hardware.inter_node_latency_us}};
  const InterconnectSpec& links = model.interconnect;
  if (links.bandwidth_gb_per_s) interconnect["bandwidth_gb_per_s"] = *links.bandwidth_gb_per_s;
  if (links.latency_ms) interconnect["latency_us"] = *links.latency_ms * 1000;
  if (links.data_parallel_bandwidth_gb_per_s) {
    interconnect["data_parallel_bandwidth_gb_per_s"] = *links.data_parallel_bandwidth_gb_per_s;
  }
  if (links.data_parallel_latency_ms) {
    interconnect["data_parallel_latency_us"] = *links.data_parallel_latency_ms * 1000;
  }
  out["interconnect"] = interconnect;
  nlohmann::ordered_json training = {
      {"weight_bytes_per_parameter", model.training.weight_bytes_per_parameter},
      {"gradient_bytes_per_parameter", model.training.gradient_bytes_per_parameter},
      {"optimizer_state_bytes_per_parameter", model.training.optimizer_state_bytes_per_parameter}};
  if (model.training.distributed_optimizer) {
    training["distributed_optimizer"] = *model.training.distributed_optimizer;
  }
  training["optimizer_step_ms"] = model.training.optimizer_step_ms;
  out["training"] = training;
  return out.dump(2) + "\n";
}

}  // namespace pipewise::tools
