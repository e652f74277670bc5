#pragma once
// Published Megatron-LM training runs and pipewise's predictions of them: the evidence
// that `recommend`'s answers hold for real large-model training. The data (with paper,
// table and row) live in published_runs.cpp, in one place; `pipewise published-runs`
// prints the table, the tests hold every error under its target.
//
// What is compared:
//  - memory per device of the configurations of Korthikanti et al. 2022 Table 3 (22B,
//    175B, 530B, 1T) under every combination of recomputation and sequence parallelism,
//    pipewise's first stage (simulated) against Megatron-LM's accounting
//    (tools/model/megatron_memory.hpp); target 3%;
//  - iteration times of Korthikanti et al. 2022 Table 5 and per-GPU throughput of
//    Narayanan et al. SC'21 Table 1; target 10%, and the trend across model sizes in the
//    published direction;
//  - the interleaved schedule's gain over 1F1B and the scatter/gather optimisation's
//    effect (Narayanan et al. SC'21 §5.3.2 and §5.9): within a factor 1.5, in the published
//    direction at small and large batch.
// Only the A100's GEMM efficiency is fitted (calibrate_gemm_efficiency), to one row of each
// paper; every other number is a prediction.
#include <cstdint>
#include <string>
#include <vector>

#include "tools/model/model_description.hpp"
#include "tools/whatif/pipeline_costs.hpp"

namespace pipewise::tools {

// What a published run reports.
enum class PublishedQuantity : std::uint8_t {
  IterationSeconds,  // one training step, s
  TflopsPerGpu,      // Narayanan et al.'s FLOPs (with recomputation) per GPU and second
};

// The Megatron-LM version a paper measured, as far as it changes communication.
enum class MegatronVersion : std::uint8_t {
  Sc21,      // 2021 (Narayanan et al.): no tensor-parallel overlap, fp16 gradients
  Mlsys23,   // 2022 (Korthikanti et al.): backward collectives overlapped, bf16 model, fp32 grads
};

// One GPT configuration of a paper (all: s = 2048, V = 51200, A100 80GB, 8 per node).
struct PublishedConfiguration {
  std::string model;               // "175B"
  std::uint32_t layers = 0;
  std::uint32_t hidden = 0;
  std::uint32_t heads = 0;
  std::uint32_t tensor = 1;
  std::uint32_t pipeline = 1;
  std::uint32_t chunks = 1;        // v; > 1: the interleaved schedule
  std::uint32_t devices = 1;
  std::uint64_t global_batch = 1;
  std::uint32_t micro_batch = 1;
  Recompute recompute = Recompute::Full;
  bool sequence_parallel = false;
  bool overlap_grad_reduce = false;  // PyTorch DDP overlaps; Megatron's own DDP did not
  bool scatter_gather = true;
  MegatronVersion version = MegatronVersion::Mlsys23;
};

struct PublishedRun {
  std::string source;              // paper, table, row
  PublishedConfiguration configuration;
  PublishedQuantity quantity = PublishedQuantity::IterationSeconds;
  double published = 0;
  bool calibration = false;        // the row the A100's efficiency is fitted to
};

// Korthikanti et al. 2022 Table 5 and Narayanan et al. SC'21 Table 1, in table order.
const std::vector<PublishedRun>& published_runs();

// A published finding that compares two runs: the ratio of their step times minus 1
// (positive: `slower` is slower than `faster`).
struct PublishedFinding {
  std::string source;
  std::string claim;               // what the paper says, in a few words
  PublishedConfiguration faster;
  PublishedConfiguration slower;
  double published = 0;            // the published gain (0 when only a direction is published)
  bool direction_only = false;     // the paper gives the direction (slower is slower), no size
};
const std::vector<PublishedFinding>& published_findings();

// The model and layout of `configuration` on `hardware` (a100-80gb with an efficiency).
ModelDescription published_model(const PublishedConfiguration& configuration,
                                 const HardwareSpec& hardware);
PipelineShape published_shape(const PublishedConfiguration& configuration);

// pipewise's prediction of `configuration`: one step's time in ms (simulated).
double predicted_step_ms(const PublishedConfiguration& configuration, const HardwareSpec& hardware);
// Narayanan et al.'s FLOPs of one step: 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)) with full
// recomputation, 72·B·s·l·h²·(1 + s/(6h) + V/(12·l·h)) without.
double published_step_flops(const PublishedConfiguration& configuration);
// The quantity `run` reports, as pipewise predicts it.
double predicted_value(const PublishedRun& run, const HardwareSpec& hardware);

// The A100's GEMM efficiency that makes pipewise's predictions of the calibration rows
// (one per paper) err equally in opposite directions (geometric mean of the ratios = 1).
double calibrate_gemm_efficiency();

// A memory comparison: pipewise's first stage against Megatron-LM's accounting.
struct MemoryComparison {
  PublishedConfiguration configuration;
  // Table 3 lists no interleaving: its configurations are compared under 1F1B, and the
  // target holds for them. The interleaved runs of Table 5 (175B and 530B, v = 3) are
  // listed too, without a target: there Megatron-LM's estimator counts the embedding's
  // micro-batches in flight as p·(1 + (p−1)/(p·v)) while the simulator counts them.
  bool interleaved_run = false;
  double megatron_bytes = 0;       // megatron_theoretical_memory of the first stage
  double pipewise_first_bytes = 0; // the simulated peak of device 0
  double pipewise_peak_bytes = 0;  // the largest simulated device peak
  std::uint32_t peak_device = 0;
};
// Every Korthikanti et al. Table 3 configuration under each recomputation (off, selective,
// full) with and without sequence parallelism, then the interleaved runs likewise.
std::vector<MemoryComparison> memory_comparisons(const HardwareSpec& hardware);

}  // namespace pipewise::tools
