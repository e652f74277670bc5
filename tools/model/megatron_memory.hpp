#pragma once
// Megatron-LM's own memory accounting, written from its formulas and nothing else: the
// reference pipewise's per-stage memory (computed through the simulator) is compared
// with, in the tests and in `pipewise published-runs`. It shares no code with the
// production path (transformer_shape.hpp, tools/whatif/pipeline_costs.hpp).
//
// What it follows (megatron/training/theoretical_memory_usage.py at NVIDIA/Megatron-LM
// d98e8a6, report_theoretical_memory):
//  - weights and optimizer state of the most loaded shard, the FIRST pipeline stage:
//    (tensor-parallel block weights / p + word embeddings) / t, plus the norms whole
//    (replicated), plus the output layer when untied and p = 1; 18 bytes per parameter
//    (bf16 weights, fp32 gradients, fp32 master weights, two fp32 Adam moments), or
//    6 + 12/d with the distributed optimizer. No biases, no position embeddings.
//  - activations of the first stage: a per-layer size × L (the first stage holds p
//    micro-batches of L/p layers), plus the embedding's token ids (8·s·b) and dropout
//    mask (s·b·h) per micro-batch in flight; × (1 + (p−1)/(p·v)) with interleaving, or
//    × min(1, m/p) without; with p = 1 also the output layer and logits.
//    With sequence parallelism and selective recomputation (the one combination
//    Megatron's estimator writes out: compute_activation_memory) the layer holds
//    s·b·h·(18 + 4f/h) and everything is divided by t. For every other combination this
//    follows Korthikanti et al. 2022 Table 2 in the same accounting:
//      none, t only:          s·b·h·(10 + (8 + 4f/h)/t) + 5·a·s²·b/t
//      none, t + sequence:    (s·b·h·(18 + 4f/h) + 5·a·s²·b) / t
//      selective, t only:     s·b·h·(10 + (8 + 4f/h)/t)
//      full, t only:          2·s·b·h, and one layer rebuilt during its backward
//      full, t + sequence:    2·s·b·h / t, and one layer rebuilt during its backward
//    Block recomputation of N layers per model chunk (recompute_num_layers) holds the full
//    rows for N·p·v of the L layers and the none rows for the others, and one layer
//    rebuilt; N at or above the chunk's L/(p·v) layers is full recomputation.
//    (p = 1 adds 4·s·b·h·(1 + V/h) / t with sequence parallelism, (s·b·V/t + s·b·h)·2
//    without, as the two functions of the estimator do).
// Where Megatron's estimator differs, on purpose left out here and in pipewise:
//  - compute_activation_memory_without_sp multiplies by a flat 1.05 ("buffer for optimizer
//    and miscellaneous temporaries"); pipewise reports bytes, and the headroom is the user's;
//  - compute_activation_memory_without_sp uses s·b·h·(10 + 24/t) for every combination
//    other than sequence parallelism with selective recomputation, full recomputation
//    included; here each combination has its own row;
//  - it sizes every device like the first stage; pipewise computes every stage (the last
//    one, with the logits, can be the fullest) and compares its first with this.
#include <cstdint>

namespace pipewise::tools {

enum class MegatronRecompute : std::uint8_t { None, Selective, Full };

struct MegatronMemoryQuery {
  // The model (Megatron-LM's argument names).
  std::uint32_t num_layers = 1;
  std::uint32_t hidden_size = 1;
  std::uint32_t num_attention_heads = 1;
  std::uint32_t num_query_groups = 1;
  std::uint32_t ffn_hidden_size = 4;
  std::uint32_t seq_length = 1;
  std::uint64_t padded_vocab_size = 1;
  bool swiglu = false;
  bool rms_norm = false;
  bool untie_embeddings_and_output_weights = false;
  // Fused (flash) attention keeps no s² scores: the 5·a·s²·b term is gone without
  // recomputation too. Megatron's estimator predates it and never counts the scores.
  bool use_flash_attn = false;
  // The layout.
  std::uint32_t tensor_model_parallel_size = 1;
  std::uint32_t pipeline_model_parallel_size = 1;
  std::uint32_t virtual_pipeline_model_parallel_size = 1;  // 1: not interleaved
  std::uint32_t data_parallel_size = 1;
  std::uint32_t micro_batch_size = 1;
  std::uint32_t num_microbatches = 1;
  bool sequence_parallel = false;
  MegatronRecompute recompute = MegatronRecompute::None;
  // With Full: --recompute-method block --recompute-num-layers N, the first N layers of
  // each model chunk; 0: every layer (--recompute-method uniform --recompute-num-layers 1).
  std::uint32_t recompute_num_layers = 0;
  bool use_distributed_optimizer = false;
};

struct MegatronMemory {
  double parameters = 0;                  // on the most loaded shard
  double weight_and_optimizer_bytes = 0;
  double activation_bytes = 0;
  double total_bytes() const { return weight_and_optimizer_bytes + activation_bytes; }
};

MegatronMemory megatron_theoretical_memory(const MegatronMemoryQuery& query);

}  // namespace pipewise::tools
