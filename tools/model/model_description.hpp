#pragma once
// A model and the machine it trains on, as a user describes them (README.md, "Reference: model descriptions"
// documents the JSON form; model_json.hpp reads it, model_presets.hpp names built-in ones,
// model_options.hpp maps command-line flags onto it). Nothing here knows about schedules:
// pipeline_costs.hpp turns a description and a pipeline shape into simulator costs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/model/hardware.hpp"
#include "tools/model/transformer_shape.hpp"

namespace pipewise::tools {

// Compute work: milliseconds, or FLOPs that the device's achieved throughput turns into time.
struct Work {
  double amount = 0;
  bool in_flops = false;

  // The time of this work on a device that sustains `device_tflops` TFLOP/s.
  double milliseconds(double device_tflops) const;
};

// `count` identical consecutive layers. Every size is per SAMPLE (a micro-batch of b
// samples costs b times as much) on one device of the tensor-parallel group.
struct LayerGroup {
  std::string name = "layer";
  std::uint32_t count = 1;
  Work forward;
  Work backward;                          // the full backward (input + weight gradients)
  double backward_weight_fraction = 0.5;  // share of the backward that computes weight grads
  double activation_bytes = 0;            // stashed from the forward to the backward
  double output_bytes = 0;                // the layer's output, sent on at a stage boundary
  double parameter_bytes = 0;             // its weights
};

struct DeviceSpec {
  std::uint32_t count = 8;  // devices in the whole job: p · d · t · cp
  HardwareSpec hardware = hardware_preset("h100-sxm");
};

struct BatchSpec {
  std::uint64_t global = 512;                                // samples per training step
  std::vector<std::uint32_t> micro_batch_sizes = {1, 2, 4, 8};  // candidates, ascending
};

// Parallel sizes the user fixed; what is absent `recommend` searches.
struct ParallelismSpec {
  std::optional<std::uint32_t> tensor;       // t; absent: divisors of the GPUs per node
  std::optional<bool> sequence_parallel;     // absent: both, when t > 1
  std::optional<std::uint32_t> data;         // d; absent: devices / (p · t · cp)
  // cp, context parallelism (Megatron-LM's --context-parallel-size): each sequence split
  // over cp ranks. Absent: 1, or searched by recommend (candidates.hpp).
  std::optional<std::uint32_t> context;

  // t and sequence parallelism where one layout is needed (sweep, partition): the fixed
  // ones, else t = 1 and sequence parallelism on.
  TensorParallelism tensor_or_default() const {
    return {tensor.value_or(1), sequence_parallel.value_or(true)};
  }
};

// Megatron-LM's tensor-parallel communication overlap.
enum class TensorParallelOverlap : std::uint8_t {
  None,      // every collective waits (Megatron-LM of 2021, --no-async-tensor-model-parallel-allreduce)
  Backward,  // the backward's collectives overlap its weight-gradient GEMMs (today's default)
  All,       // forward too (--tp-comm-overlap)
};

// How Megatron-LM communicates (its flags in parentheses).
struct CommunicationSpec {
  TensorParallelOverlap tensor_parallel_overlap = TensorParallelOverlap::Backward;
  // Pipeline messages overlapped with compute (true) or blocking batched send/receive
  // (false). Unset: as Megatron-LM does by default today, overlapped with v > 1 (the
  // interleaved schedule; --no-overlap-p2p-communication turns it off) and blocking with
  // v = 1 (the one its 1F1B has). The Megatron-LM of the 2021-2022 papers blocked always.
  std::optional<bool> pipeline_overlap;
  // pipeline_overlap for a layout with `chunks` model chunks per device.
  bool pipeline_overlapped(std::uint32_t chunks) const { return pipeline_overlap.value_or(chunks > 1); }
  // Without sequence parallelism, each tensor-parallel rank sends 1/t of a stage's output
  // and the receivers all-gather it over NVLink (on by default in the Megatron-LM of the
  // papers; --no-scatter-gather-tensors-in-pipeline turns it off). With sequence
  // parallelism messages are 1/t anyway.
  bool scatter_gather = true;
  // Data-parallel gradients reduced while the backward runs (--overlap-grad-reduce).
  bool overlap_grad_reduce = false;
};

// Fixed link costs that replace what the hardware and the layout imply (for hand-made
// models and older descriptions): absent fields come from the hardware.
struct InterconnectSpec {
  std::optional<double> bandwidth_gb_per_s;  // pipeline link, 10^9 B/s; 0 = unlimited
  std::optional<double> latency_ms;          // per pipeline message
  std::optional<double> data_parallel_bandwidth_gb_per_s;
  std::optional<double> data_parallel_latency_ms;
};

// Bytes kept per parameter besides the activations. Defaults: Megatron-LM's bf16 mixed
// precision with Adam: 2-byte weights, fp32 gradients (4 bytes), fp32 master weights and
// two fp32 moments (12 bytes of optimizer state): 18 bytes, or 6 + 12/d with the
// distributed optimizer.
struct TrainingSpec {
  double weight_bytes_per_parameter = 2;
  double gradient_bytes_per_parameter = 4;
  double optimizer_state_bytes_per_parameter = 12;
  // Shard the optimizer state over the d replicas (Megatron-LM --use-distributed-optimizer);
  // absent: recommend tries both.
  std::optional<bool> distributed_optimizer;
  // One optimizer step of one device's share; 0: for transformers, the time of the bytes
  // Adam reads and writes (kAdamBytesPerParameter per local parameter).
  double optimizer_step_ms = 0;
};

// Bytes mixed-precision Adam moves per parameter it updates: it reads the fp32 gradient,
// reads and writes the fp32 master weight and both moments, and writes the 16-bit weight.
inline constexpr double kAdamBytesPerParameter = 4 + 8 + 8 + 8 + 2;

// The most layers a model may have (the exact partitioner is quadratic in them).
inline constexpr std::uint32_t kMaxLayers = 10000;

struct ModelDescription {
  std::string name = "custom";
  // The layers: a transformer shape (per-layer costs by transformer_shape.hpp's formulas)
  // when set, else the explicit groups.
  std::optional<TransformerShape> transformer;
  std::vector<LayerGroup> layers;
  DeviceSpec device;
  BatchSpec batch;
  ParallelismSpec parallelism;
  CommunicationSpec communication;
  InterconnectSpec interconnect;
  TrainingSpec training;

  // Number of layers L.
  std::uint32_t layer_count() const;
  // Throws pipewise::Error naming the first problem: no layers or more than kMaxLayers, a
  // zero or negative size, a non-finite number, a global batch above 2^32 − 1, a
  // micro-batch size larger than the global batch, a fixed tensor-parallel size that does
  // not divide the heads, query groups or devices, a fixed data-parallel size that does
  // not divide what is left, tensor parallelism on a model of layer groups, a fixed
  // context-parallel size that context_parallel_problem refuses or that does not divide
  // the devices left by t.
  void check() const;
};

// One layer's costs for one micro-batch on one tensor-parallel rank, in ms and bytes.
struct LayerCost {
  std::string name;
  double forward_ms = 0;           // exposed tensor-parallel communication included
  double backward_ms = 0;
  double backward_weight_fraction = 0.5;
  double activation_bytes = 0;     // kept from forward to backward without recomputation
  // Selective recomputation (transformer layers only): what the layer keeps instead, and
  // the backward time spent recomputing the attention core.
  std::optional<double> selective_activation_bytes;
  double selective_recompute_ms = 0;
  double checkpoint_bytes = 0;     // kept under full recomputation (the layer's input)
  bool recomputed = true;          // full recomputation reruns it (not the embedding, head)
  double output_bytes = 0;         // the layer's whole output, sent on at a stage boundary
  double parameters = 0;           // weights on one rank, in parameters
};

// The layout a layer's costs depend on.
struct LayerLayout {
  TensorParallelism tensor;
  std::uint32_t context = 1;  // cp: ranks sharing each sequence (transformers only)
  std::uint32_t micro_batch_size = 1;
  // Tied embeddings with one pipeline stage: the output layer reuses the embedding.
  bool output_shares_embedding = false;
};

// A model's costs for one layout: the L layers, first to last, and for transformers the
// embedding (first stage) and output head (last stage).
struct ResolvedModel {
  std::vector<LayerCost> layers;
  std::optional<LayerCost> embedding;
  std::optional<LayerCost> head;
};

// REQUIRES: model.check() passes and the layout's t divides the heads and query groups.
ResolvedModel resolve_layers(const ModelDescription& model, const LayerLayout& layout);

// Total parameters of the model (one copy, all ranks of the tensor-parallel group).
double total_parameters(const ModelDescription& model);

// Why the model cannot split its sequences `context` ways, or empty: as Megatron-LM, only a
// transformer with flash (fused) attention (Transformer Engine's attention is the one that
// runs context parallelism), with a sequence length that is a multiple of 2·cp (each rank
// holds two chunks, balancing the causal mask).
std::string context_parallel_problem(const ModelDescription& model, std::uint32_t context);

// The fewest tokens of a sequence recommend leaves each rank when it searches context
// parallelism: NVIDIA's NeMo recipe for Llama 3.1 405B splits 8192-token sequences 4 ways.
inline constexpr std::uint32_t kLeastContextTokens = 2048;

// The context-parallel sizes recommend tries: `parallelism.context` when fixed, else 1 and
// every power of two cp >= 2 that context_parallel_problem allows, leaves each rank at
// least kLeastContextTokens of a sequence and divides the devices.
std::vector<std::uint32_t> context_parallel_sizes(const ModelDescription& model);

// The tensor-parallel sizes the model allows on its devices: `parallelism.tensor` when
// fixed, else the divisors of the GPUs per node that divide the heads, the query groups
// and the device count (1 for models of layer groups).
std::vector<std::uint32_t> tensor_parallel_sizes(const ModelDescription& model);

}  // namespace pipewise::tools
