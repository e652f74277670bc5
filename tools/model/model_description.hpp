#pragma once
// A model and the machine it trains on, as a user describes them (README.md, "Reference: model descriptions"
// documents the JSON form; model_json.hpp reads it, model_presets.hpp names built-in ones,
// model_options.hpp maps command-line flags onto it). Nothing here knows about schedules:
// pipeline_costs.hpp turns a description and a pipeline shape into simulator costs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/model/transformer_shape.hpp"

namespace pipewise::tools {

// Compute work: milliseconds, or FLOPs that the device's throughput turns into time.
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
  double parameter_bytes = 0;             // its weights (gradients are as large again)
};

// One layer's costs per sample, resolved to milliseconds and bytes.
struct LayerCost {
  std::string name;
  double forward_ms = 0;
  double backward_ms = 0;
  double backward_weight_fraction = 0.5;
  double activation_bytes = 0;
  // Selective recomputation (transformers only): what the layer stashes instead, and the
  // extra backward time spent recomputing the attention core. Absent for other layers.
  std::optional<double> selective_activation_bytes;
  double selective_recompute_ms = 0;
  double output_bytes = 0;
  double parameter_bytes = 0;
};

struct DeviceSpec {
  std::uint32_t count = 8;               // devices in the whole job: p · d · t
  double memory_bytes = 80.0 * (1ull << 30);  // capacity of one device
  double tflops = 400;                   // achieved dense 16-bit throughput, TFLOP/s
};

struct BatchSpec {
  std::uint64_t global = 512;                                // samples per training step
  std::vector<std::uint32_t> micro_batch_sizes = {1, 2, 4, 8};  // candidates, ascending
};

struct ParallelismSpec {
  TensorParallelism tensor;               // t (and sequence parallelism)
  std::optional<std::uint32_t> data;      // d when fixed; otherwise devices / (p · t)
};

// Links between devices. Pipeline messages use one link per direction between the devices
// of adjacent stages; data-parallel gradients are all-reduced over a ring.
struct InterconnectSpec {
  double bandwidth_gb_per_s = 50;   // pipeline link, 10^9 bytes/s; 0 = unlimited
  double latency_ms = 0.01;         // per pipeline message
  double data_parallel_bandwidth_gb_per_s = 50;
  double data_parallel_latency_ms = 0.01;
};

// Bytes kept per parameter besides the activations. Defaults: Megatron-LM's bf16 mixed
// precision with Adam (2-byte weights and gradients; fp32 master weights and two fp32
// moments = 12 bytes of optimizer state), no distributed optimizer.
struct TrainingSpec {
  double weight_bytes_per_parameter = 2;
  double optimizer_state_bytes_per_parameter = 12;
  bool distributed_optimizer = false;  // shard the optimizer state over the d replicas
  double optimizer_step_ms = 0;        // one optimizer step of one device's share
};

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
  InterconnectSpec interconnect;
  TrainingSpec training;

  // Number of layers L.
  std::uint32_t layer_count() const;
  // Throws pipewise::Error naming the first problem: no layers or more than kMaxLayers, a
  // zero or negative size, a non-finite number, a global batch above 2^32 − 1, a micro-batch size larger than the
  // global batch, a device count that the tensor-parallel (and fixed data-parallel) size
  // does not divide.
  void check() const;
};

// The L layers, first to last, with their costs per sample. REQUIRES: check() passes.
std::vector<LayerCost> resolve_layers(const ModelDescription& model);

// Total parameters of the model across the tensor-parallel group (for summaries).
double total_parameters(const ModelDescription& model);

}  // namespace pipewise::tools
