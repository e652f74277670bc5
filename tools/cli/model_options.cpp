#include "tools/cli/model_options.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <iostream>
#include <optional>
#include <string>

#include "common/io/atomic_file.hpp"
#include "common/ir/error.hpp"
#include "tools/model/hardware.hpp"
#include "tools/model/model_json.hpp"
#include "tools/model/model_presets.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/range_expression.hpp"
#include "common/text/format.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

// Every option this file adds except --model and --print-model, for has_model_options.
const char* const kModelFlags[] = {
    "num-layers", "hidden-size", "seq-length", "num-attention-heads",
    "num-query-groups", "ffn-hidden-size", "swiglu", "normalization", "vocab-size",
    "make-vocab-size-divisible-by", "untie-embeddings-and-output-weights",
    "position-embedding-type", "disable-bias-linear", "use-flash-attn",
    "device-type", "peak-tflops", "gemm-efficiency", "gpus-per-node", "intra-node-bandwidth",
    "inter-node-bandwidth", "gradient-bytes-per-parameter", "tensor-parallel-overlap",
    "overlap-p2p-communication", "no-overlap-p2p-communication", "no-scatter-gather-tensors-in-pipeline",
    "overlap-grad-reduce",
    "layer-forward-ms", "layer-backward-ms", "layer-forward-flops", "layer-backward-flops",
    "layer-activation-bytes", "layer-output-bytes", "layer-parameter-bytes",
    "measured-micro-batch-size", "devices", "memory-cap", "device-tflops",
    "global-batch-size", "micro-batch-size", "data-parallel-size",
    "tensor-model-parallel-size", "sequence-parallel", "no-sequence-parallel",
    "context-parallel-size", "bandwidth", "latency-us", "dp-bandwidth", "dp-latency-us",
    "weight-bytes-per-parameter", "optimizer-state-bytes-per-parameter",
    "use-distributed-optimizer", "no-distributed-optimizer", "optimizer-step-ms"};

std::optional<double> real(const po::variables_map& values, const char* name, bool positive) {
  if (!values.count(name)) return std::nullopt;
  const double value = values[name].as<double>();
  if (!std::isfinite(value) || value < 0 || (positive && value == 0)) {
    throw Error(std::string("--") + name + " must be a finite number " +
                (positive ? "> 0" : ">= 0") + " (got " + format_given(value) + ")");
  }
  return value;
}

std::optional<std::uint32_t> whole(const po::variables_map& values, const char* name) {
  if (!values.count(name)) return std::nullopt;
  const std::int64_t value = values[name].as<std::int64_t>();
  if (value < 1 || value > std::int64_t{UINT32_MAX}) {
    throw Error(std::string("--") + name + " must be a whole number >= 1 (got " +
                std::to_string(value) + ")");
  }
  return static_cast<std::uint32_t>(value);
}

ModelDescription base_model(const po::variables_map& values, const ModelDescription* fallback) {
  if (values.count("model")) {
    const std::string name = values["model"].as<std::string>();
    if (const ModelPreset* preset = find_model_preset(name)) return preset->model;
    if (name.find('/') == std::string::npos && name.find('.') == std::string::npos) {
      std::string known;
      for (const ModelPreset& preset : model_presets()) {
        known += (known.empty() ? "" : ", ") + preset.name;
      }
      throw Error("--model " + name + " is neither a preset (" + known + ") nor a JSON file path");
    }
    return model_from_json(read_file(name, kMostJsonInputBytes), name);
  }
  const bool layer_flags = values.count("layer-forward-ms") || values.count("layer-forward-flops");
  if (layer_flags || values.count("hidden-size")) return ModelDescription{};
  if (fallback) return *fallback;
  throw Error("no model given: use --model NAME|FILE or describe the layers with flags");
}

// The flags that change a transformer's shape beyond its four sizes.
const char* const kShapeDetailFlags[] = {
    "num-query-groups", "ffn-hidden-size", "swiglu", "normalization", "vocab-size",
    "make-vocab-size-divisible-by", "untie-embeddings-and-output-weights",
    "position-embedding-type", "disable-bias-linear", "use-flash-attn"};

void apply_transformer_flags(const po::variables_map& values, ModelDescription& model) {
  const bool shape_flag = values.count("hidden-size") || values.count("seq-length") ||
                          values.count("num-attention-heads");
  bool detail_flag = false;
  for (const char* flag : kShapeDetailFlags) detail_flag = detail_flag || values.count(flag);
  if (!shape_flag && !detail_flag && !(model.transformer && values.count("num-layers"))) return;
  if (!model.transformer) {
    if (!shape_flag) {
      throw Error("transformer flags such as --ffn-hidden-size need a transformer (--model or "
                  "--hidden-size ...)");
    }
    for (const char* required : {"num-layers", "hidden-size", "seq-length", "num-attention-heads"}) {
      if (!values.count(required)) {
        throw Error(std::string("a transformer described by flags needs --") + required);
      }
    }
    model.transformer = TransformerShape{};
    model.layers.clear();
  }
  TransformerShape& shape = *model.transformer;
  if (const auto v = whole(values, "num-layers")) shape.layers = *v;
  if (const auto v = whole(values, "hidden-size")) shape.hidden = *v;
  if (const auto v = whole(values, "seq-length")) shape.sequence = *v;
  if (const auto v = whole(values, "num-attention-heads")) shape.heads = *v;
  if (const auto v = whole(values, "num-query-groups")) shape.query_groups = *v;
  if (const auto v = whole(values, "ffn-hidden-size")) shape.ffn_hidden = *v;
  if (values.count("swiglu")) shape.gated_mlp = true;
  if (values.count("normalization")) {
    const std::string name = values["normalization"].as<std::string>();
    if (name == "LayerNorm") {
      shape.normalization = Normalization::LayerNorm;
    } else if (name == "RMSNorm") {
      shape.normalization = Normalization::RMSNorm;
    } else {
      throw Error("--normalization must be LayerNorm or RMSNorm (got \"" + name + "\")");
    }
  }
  if (const auto v = whole(values, "vocab-size")) shape.vocabulary = *v;
  if (const auto v = whole(values, "make-vocab-size-divisible-by")) shape.vocabulary_divisor = *v;
  if (values.count("untie-embeddings-and-output-weights")) shape.tied_embeddings = false;
  if (values.count("position-embedding-type")) {
    const std::string name = values["position-embedding-type"].as<std::string>();
    if (name == "learned_absolute") {
      shape.position_embedding = PositionEmbedding::Learned;
    } else if (name == "rope") {
      shape.position_embedding = PositionEmbedding::Rotary;
    } else {
      throw Error("--position-embedding-type must be learned_absolute or rope (got \"" + name + "\")");
    }
  }
  if (values.count("disable-bias-linear")) shape.linear_bias = false;
  if (values.count("use-flash-attn")) shape.flash_attention = true;
}

void apply_device_flags(const po::variables_map& values, ModelDescription& model) {
  HardwareSpec& hardware = model.device.hardware;
  if (values.count("device-type")) hardware = hardware_preset(values["device-type"].as<std::string>());
  if (const auto v = whole(values, "devices")) model.device.count = *v;
  if (const auto v = real(values, "memory-cap", true)) hardware.memory_bytes = *v * kGiB;
  if (const auto v = real(values, "peak-tflops", true)) hardware.peak_tflops = *v;
  if (values.count("gemm-efficiency") && values.count("device-tflops")) {
    throw Error("--gemm-efficiency and --device-tflops both set the achieved throughput: give one");
  }
  if (const auto v = real(values, "gemm-efficiency", true)) {
    if (*v > 1) throw Error("--gemm-efficiency must be at most 1 (got " + format_number(*v) + ")");
    hardware.gemm_efficiency = *v;
  }
  if (const auto v = real(values, "device-tflops", true)) {
    if (*v > hardware.peak_tflops) {
      throw Error("--device-tflops " + format_number(*v) + " exceeds the device's peak of " +
                  format_number(hardware.peak_tflops) + " TFLOP/s (set --peak-tflops too)");
    }
    hardware.gemm_efficiency = *v / hardware.peak_tflops;
  }
  if (const auto v = whole(values, "gpus-per-node")) hardware.gpus_per_node = *v;
  if (const auto v = real(values, "intra-node-bandwidth", true)) hardware.intra_node_gb_per_s = *v;
  if (const auto v = real(values, "inter-node-bandwidth", true)) hardware.inter_node_gb_per_s = *v;
}

void apply_communication_flags(const po::variables_map& values, ModelDescription& model) {
  CommunicationSpec& communication = model.communication;
  if (values.count("tensor-parallel-overlap")) {
    const std::string name = values["tensor-parallel-overlap"].as<std::string>();
    if (name == "none") {
      communication.tensor_parallel_overlap = TensorParallelOverlap::None;
    } else if (name == "backward") {
      communication.tensor_parallel_overlap = TensorParallelOverlap::Backward;
    } else if (name == "all") {
      communication.tensor_parallel_overlap = TensorParallelOverlap::All;
    } else {
      throw Error("--tensor-parallel-overlap must be none, backward or all (got \"" + name + "\")");
    }
  }
  if (values.count("overlap-p2p-communication") && values.count("no-overlap-p2p-communication")) {
    throw Error("--overlap-p2p-communication and --no-overlap-p2p-communication contradict each other");
  }
  if (values.count("overlap-p2p-communication")) communication.pipeline_overlap = true;
  if (values.count("no-overlap-p2p-communication")) communication.pipeline_overlap = false;
  if (values.count("no-scatter-gather-tensors-in-pipeline")) communication.scatter_gather = false;
  if (values.count("overlap-grad-reduce")) communication.overlap_grad_reduce = true;
}

void apply_layer_flags(const po::variables_map& values, ModelDescription& model) {
  const bool flops = values.count("layer-forward-flops") > 0;
  const bool any = flops || values.count("layer-forward-ms") || values.count("layer-backward-ms") ||
                   values.count("layer-backward-flops") || values.count("layer-activation-bytes") ||
                   values.count("layer-output-bytes") || values.count("layer-parameter-bytes");
  if (!any) {
    if (values.count("num-layers") && !model.transformer) {
      if (model.layers.size() != 1) {
        throw Error("--num-layers cannot resize a model with " + std::to_string(model.layers.size()) +
                    " different layer groups");
      }
      model.layers.front().count = *whole(values, "num-layers");
    }
    return;
  }
  if (values.count("hidden-size")) {
    throw Error("give either a transformer shape (--hidden-size ...) or --layer-* costs, not both");
  }
  if (flops == (values.count("layer-forward-ms") > 0)) {
    throw Error("uniform layers need exactly one of --layer-forward-ms and --layer-forward-flops");
  }
  if (!values.count("num-layers")) throw Error("uniform layers need --num-layers");
  const double per_sample = 1.0 / real(values, "measured-micro-batch-size", true).value_or(1);
  LayerGroup group;
  group.name = "layer";
  group.count = *whole(values, "num-layers");
  const char* forward_flag = flops ? "layer-forward-flops" : "layer-forward-ms";
  const char* backward_flag = flops ? "layer-backward-flops" : "layer-backward-ms";
  const char* other_backward = flops ? "layer-backward-ms" : "layer-backward-flops";
  if (values.count(other_backward)) {
    throw Error(std::string("--") + other_backward + " does not match --" + forward_flag +
                ": give both in ms or both in FLOPs");
  }
  // A value derived from the flags (the default backward, twice the forward; a value per
  // sample) that no double holds is refused naming the flags, never passed on as infinity.
  const auto derived = [&](double value, const std::string& from) {
    if (!std::isfinite(value)) {
      throw Error(from + " is too large: " +
                  (per_sample > 1 ? "per sample (divided by --measured-micro-batch-size) it is"
                                  : "it is") +
                  " past the largest number a double holds");
    }
    return value;
  };
  const std::string forward_name = std::string("--") + forward_flag;
  const double forward = *real(values, forward_flag, false);
  group.forward = {derived(forward * per_sample, forward_name), flops};
  const std::optional<double> backward = real(values, backward_flag, false);
  group.backward = {derived(backward.value_or(2 * forward) * per_sample,
                            backward ? std::string("--") + backward_flag
                                     : "the default backward, 2 x " + forward_name),
                    flops};
  group.activation_bytes = derived(
      real(values, "layer-activation-bytes", false).value_or(0) * per_sample, "--layer-activation-bytes");
  group.output_bytes =
      derived(real(values, "layer-output-bytes", false).value_or(0) * per_sample, "--layer-output-bytes");
  group.parameter_bytes = real(values, "layer-parameter-bytes", false).value_or(0);
  model.transformer.reset();
  model.layers = {group};
}

// A --global-batch-size without --micro-batch-size: the model's (preset's or file's)
// candidate micro-batch sizes that fit in it; an error when none does.
void keep_micro_batches_within_global(BatchSpec& batch) {
  std::vector<std::uint32_t> fitting;
  for (const std::uint32_t size : batch.micro_batch_sizes) {
    if (size <= batch.global) fitting.push_back(size);
  }
  if (fitting.empty()) {
    throw Error(fmt::format(
        "none of the model's micro-batch sizes ({}) fits in --global-batch-size {}: give "
        "--micro-batch-size",
        fmt::join(batch.micro_batch_sizes, ", "), batch.global));
  }
  batch.micro_batch_sizes = std::move(fitting);
}

}  // namespace

std::string model_presets_help() {
  std::string text = "Model presets (--model NAME):";
  for (const ModelPreset& preset : model_presets()) {
    text += fmt::format("\n  {:<11} {}", preset.name, preset.summary);
  }
  return text;
}

void add_model_options(po::options_description& options) {
  // clang-format off
  options.add_options()
      ("model", po::value<std::string>(),
       "model description: a preset name (listed above) or a JSON file (README.md: model descriptions)")
      ("print-model", "print the model description (after the flags below) as JSON and exit")
      ("num-layers", po::value<std::int64_t>(), "layers L (Megatron --num-layers)")
      ("hidden-size", po::value<std::int64_t>(), "transformer hidden size h")
      ("seq-length", po::value<std::int64_t>(), "transformer sequence length s, tokens per sample")
      ("num-attention-heads", po::value<std::int64_t>(), "transformer attention heads a")
      ("num-query-groups", po::value<std::int64_t>(),
       "key/value heads g of grouped-query attention (default: a)")
      ("ffn-hidden-size", po::value<std::int64_t>(), "MLP hidden size f (default 4h, or 8h/3 with --swiglu)")
      ("swiglu", "gated MLP (SwiGLU): fc1 produces 2f")
      ("normalization", po::value<std::string>(), "LayerNorm (default) or RMSNorm")
      ("vocab-size", po::value<std::int64_t>(), "vocabulary size V before padding (default 50257)")
      ("make-vocab-size-divisible-by", po::value<std::int64_t>(),
       "V is padded to a multiple of this times t (default 128)")
      ("untie-embeddings-and-output-weights", "the output layer has its own weights")
      ("position-embedding-type", po::value<std::string>(), "learned_absolute (default) or rope")
      ("disable-bias-linear", "linear layers without biases")
      ("use-flash-attn", "fused attention: no s^2 scores kept or written")
      ("layer-forward-ms", po::value<double>(),
       "uniform layers instead of a transformer: forward time of one layer, ms per micro-batch "
       "of --measured-micro-batch-size samples")
      ("layer-forward-flops", po::value<double>(), "... or its forward FLOPs")
      ("layer-backward-ms", po::value<double>(), "backward time of one layer (default 2 x forward)")
      ("layer-backward-flops", po::value<double>(), "... or its backward FLOPs");
  add_option(options, vocabulary::layer_activation_bytes);
  options.add_options()
      ("layer-output-bytes", po::value<double>(), "bytes of one layer's output per micro-batch")
      ("layer-parameter-bytes", po::value<double>(), "weight bytes of one layer")
      ("measured-micro-batch-size", po::value<double>(),
       "micro-batch size the --layer-* values were measured at (default 1); other sizes scale "
       "them linearly")
      ("devices", po::value<std::int64_t>(), "devices in the job, p x d x t")
      ("device-type", po::value<std::string>(), "a100-40gb, a100-80gb, h100-sxm (default) or h200")
      ("memory-cap", po::value<double>(), "memory of one device, GiB (the cap no device may exceed)")
      ("peak-tflops", po::value<double>(), "dense 16-bit peak of one device, TFLOP/s")
      ("gemm-efficiency", po::value<double>(),
       "fraction of the peak the largest GEMMs reach (the device type's calibration)")
      ("device-tflops", po::value<double>(),
       "achieved throughput of the largest GEMMs, TFLOP/s (sets --gemm-efficiency)")
      ("gpus-per-node", po::value<std::int64_t>(), "devices sharing NVLink (default 8)")
      ("intra-node-bandwidth", po::value<double>(), "NVLink per device and direction, GB/s")
      ("inter-node-bandwidth", po::value<double>(), "network per device and direction, GB/s")
      ("global-batch-size", po::value<std::int64_t>(), "samples per training step");
  add_option(options, vocabulary::micro_batch_size,
             {.detail = "the sizes to consider, a LIST such as 1,2,4 or pow2:1..16"});
  add_option(options, vocabulary::data_parallel_size, {.detail = "default: searched"});
  options.add_options()
      ("tensor-model-parallel-size", po::value<std::int64_t>(), "tensor-parallel size t")
      ("context-parallel-size", po::value<std::int64_t>(),
       "context-parallel size cp: each sequence split over cp ranks (default: searched where each "
       "rank keeps 2048 tokens or more, with flash attention)")
      ("sequence-parallel", "shard activations over the tensor-parallel group (default: searched)")
      ("no-sequence-parallel", "tensor parallelism without sequence parallelism");
  options.add_options()
      ("tensor-parallel-overlap", po::value<std::string>(),
       "none, backward (default: the backward's collectives hide behind its weight-gradient "
       "GEMMs) or all (--tp-comm-overlap)")
      ("overlap-p2p-communication", "pipeline messages overlap compute, whatever v (default: "
       "as Megatron-LM, overlapped with v > 1, blocking with v = 1)")
      ("no-overlap-p2p-communication", "pipeline messages block, whatever v")
      ("no-scatter-gather-tensors-in-pipeline",
       "without sequence parallelism, every tensor-parallel rank sends the whole message")
      ("overlap-grad-reduce", "reduce data-parallel gradients during the backward");
  add_option(options, vocabulary::bandwidth);
  add_option(options, vocabulary::latency_us);
  add_option(options, vocabulary::dp_bandwidth);
  add_option(options, vocabulary::dp_latency_us);
  options.add_options()
      ("weight-bytes-per-parameter", po::value<double>(), "bytes of one weight (2 for bf16)")
      ("gradient-bytes-per-parameter", po::value<double>(),
       "bytes of one gradient (4: Megatron-LM keeps fp32 gradients)")
      ("optimizer-state-bytes-per-parameter", po::value<double>(),
       "optimizer state per parameter (12 for mixed-precision Adam)")
      ("use-distributed-optimizer",
       "shard the optimizer state over the data-parallel replicas (default: searched)")
      ("no-distributed-optimizer", "keep the whole optimizer state on every replica");
  add_option(options, vocabulary::optimizer_step_ms);
  // clang-format on
}

bool has_model_options(const po::variables_map& values) {
  if (values.count("model")) return true;
  for (const char* flag : kModelFlags) {
    if (values.count(flag)) return true;
  }
  return false;
}

std::optional<std::string> given_model_flag(const po::variables_map& values,
                                            std::initializer_list<std::string_view> allowed) {
  const auto is_allowed = [&](std::string_view flag) {
    return std::find(allowed.begin(), allowed.end(), flag) != allowed.end();
  };
  for (const char* flag : {"model", "print-model"}) {
    if (values.count(flag) && !is_allowed(flag)) return flag;
  }
  for (const char* flag : kModelFlags) {
    if (values.count(flag) && !is_allowed(flag)) return flag;
  }
  return std::nullopt;
}

ModelDescription model_from_options(const po::variables_map& values,
                                    const ModelDescription* fallback) {
  ModelDescription model = base_model(values, fallback);
  apply_transformer_flags(values, model);
  apply_layer_flags(values, model);
  apply_device_flags(values, model);
  apply_communication_flags(values, model);
  if (values.count("global-batch-size")) {
    const std::int64_t global = values["global-batch-size"].as<std::int64_t>();
    if (global < 1) {
      throw Error("--global-batch-size must be at least 1 (got " + std::to_string(global) + ")");
    }
    model.batch.global = static_cast<std::uint64_t>(global);
  }
  if (values.count("micro-batch-size")) {
    model.batch.micro_batch_sizes =
        parse_range_expression(values["micro-batch-size"].as<std::string>(), "micro-batch-size");
  } else if (values.count("global-batch-size")) {
    keep_micro_batches_within_global(model.batch);
  }
  if (const auto v = whole(values, "data-parallel-size")) model.parallelism.data = *v;
  if (const auto v = whole(values, "tensor-model-parallel-size")) model.parallelism.tensor = *v;
  if (const auto v = whole(values, "context-parallel-size")) model.parallelism.context = *v;
  if (values.count("sequence-parallel") && values.count("no-sequence-parallel")) {
    throw Error("--sequence-parallel and --no-sequence-parallel contradict each other");
  }
  if (values.count("sequence-parallel")) model.parallelism.sequence_parallel = true;
  if (values.count("no-sequence-parallel")) model.parallelism.sequence_parallel = false;
  if (const auto v = real(values, "bandwidth", false)) model.interconnect.bandwidth_gb_per_s = *v;
  if (const auto v = real(values, "latency-us", false)) model.interconnect.latency_ms = *v / 1000;
  if (const auto v = real(values, "dp-bandwidth", false)) {
    model.interconnect.data_parallel_bandwidth_gb_per_s = *v;
  }
  if (const auto v = real(values, "dp-latency-us", false)) {
    model.interconnect.data_parallel_latency_ms = *v / 1000;
  }
  if (const auto v = real(values, "weight-bytes-per-parameter", true)) {
    model.training.weight_bytes_per_parameter = *v;
  }
  if (const auto v = real(values, "gradient-bytes-per-parameter", false)) {
    model.training.gradient_bytes_per_parameter = *v;
  }
  if (const auto v = real(values, "optimizer-state-bytes-per-parameter", false)) {
    model.training.optimizer_state_bytes_per_parameter = *v;
  }
  if (values.count("use-distributed-optimizer") && values.count("no-distributed-optimizer")) {
    throw Error("--use-distributed-optimizer and --no-distributed-optimizer contradict each other");
  }
  if (values.count("use-distributed-optimizer")) model.training.distributed_optimizer = true;
  if (values.count("no-distributed-optimizer")) model.training.distributed_optimizer = false;
  if (const auto v = real(values, "optimizer-step-ms", false)) model.training.optimizer_step_ms = *v;
  model.check();
  return model;
}

bool print_model_if_asked(const po::variables_map& values, const ModelDescription& model) {
  if (!values.count("print-model")) return false;
  std::cout << model_to_json(model);
  return true;
}

}  // namespace pipewise::tools
