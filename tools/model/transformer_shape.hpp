#pragma once
// What a GPT/BERT/Llama-style transformer costs, from its shape: parameters, the GEMMs and
// memory-bound bytes of one micro-batch's forward and backward, the tensor-parallel
// collectives, and the activations it keeps. Values are for ONE micro-batch of b samples
// on ONE device of the tensor-parallel group, in 16-bit (bf16/fp16) activations. Nothing
// here knows the hardware: hardware.hpp turns GEMMs, bytes and collectives into time.
//
// Sources:
//  - GEMMs, per layer and micro-batch of T = b·s tokens, with d = h/a, g query groups and
//    f the MLP's hidden size: QKV T×(h+2gd)×h, scores and context (b·a) × s×s×d, projection
//    T×h×h, fc1 T×f×h (2f wide when gated), fc2 T×h×f; each split t ways. For GPT (g = a,
//    f = 4h) this is 24·T·h² + 4·T·s·h FLOPs (Narayanan et al. SC'21, appendix), with
//    fused attention under a causal mask only the unmasked tiles of the scores and context
//    (TransformerShape::causal_share); the
//    backward does twice the forward's FLOPs (input and weight gradients); the logits GEMM
//    T×V×h runs on the last stage (V padded as Megatron-LM pads it: a multiple of 128·t).
//  - Parameters as Megatron-LM counts them (theoretical_memory_usage.py): QKV and
//    projection 2h² (1 + g/a), MLP 2hf (3hf gated), two norms (LayerNorm: weight and bias;
//    RMSNorm: weight) per layer, a final norm, word embeddings V·h (twice when untied),
//    plus what Megatron's estimator leaves out: the biases of the linear layers (when the
//    model has them) and learned position embeddings s·h. Column-parallel weights and their
//    biases, the row-parallel weights and the vocabulary are split t ways; norms, the
//    row-parallel biases and position embeddings are whole on every rank.
//  - Activations per layer (Korthikanti et al. 2022, "Reducing Activation Recomputation in
//    Large Transformer Models", §4 and Table 2), generalised to query groups and gated MLPs:
//    10·T·h bytes that tensor parallelism alone does not split (the inputs of QKV and fc1,
//    two norms' inputs, two dropout masks), T·(4h + 4gd) + T·f·(4, or 6 gated) that it
//    splits (Q, K, V, the projection's input, the MLP's activations), and 5·a·s²·b of
//    attention scores (softmax output, dropout mask and output); for GPT 34·T·h +
//    5·a·s²·b. Sequence parallelism splits all of it t ways; selective recomputation drops
//    the 5·a·s²·b (and reruns the attention core in the backward); full recomputation keeps
//    only each layer's input, 2·T·h (÷ t with sequence parallelism), and rebuilds one
//    layer at a time; flash attention keeps no scores (only their fp32 log-sum-exp).
//  - The first stage adds the embedding's dropout mask and the token ids (8 bytes each,
//    as Megatron-LM's estimator counts them); the last stage keeps the final norm's and
//    the output layer's inputs and the logits: bf16 out of the GEMM and the fp32 copy the
//    cross-entropy keeps, 6·T·V/t bytes (Korthikanti §4.3 counts the fp32 copy).
//  - Tensor-parallel collectives per layer (Megatron-LM's tensor_parallel/layers.py): two
//    all-reduces of the T×h hidden state forward and two backward; with sequence
//    parallelism two all-gathers and two reduce-scatters forward, four all-gathers and two
//    reduce-scatters backward (the column-parallel layers gather their input again for the
//    weight gradient).
//  - Context parallelism (Megatron-LM's --context-parallel-size cp, Transformer Engine's
//    ring attention, its default --cp-comm-type p2p) gives each rank s/cp of every
//    sequence's tokens: every GEMM, activation, message and collective above is for T/cp
//    tokens, and the attention core runs as cp blocks of (s/cp)×(s/cp) scores per head
//    (each balanced to its causal share, as Megatron-LM's two chunks per rank balance it);
//    passing the keys and values round the ring costs
//    cp − 1 steps of K and V, 2·(T/cp)·2·g·d/t bytes each, forward, and twice that
//    backward (K, V and their gradients), overlapped with the attention blocks.
//  - Memory-bound bytes per element of the kernels Megatron-LM runs between GEMMs (norms,
//    bias-dropout-add, GeLU or SwiGLU, scaled-masked softmax and its dropout, rotary
//    embeddings, the vocabulary-parallel cross-entropy), reading and writing 16-bit values
//    (fp32 in the loss); the constants are at the top of transformer_shape.cpp.
#include <cstdint>
#include <vector>

#include "tools/model/hardware.hpp"

namespace pipewise::tools {

enum class Normalization : std::uint8_t { LayerNorm, RMSNorm };
enum class PositionEmbedding : std::uint8_t { Learned, Rotary };

struct TransformerShape {
  std::uint32_t layers = 1;        // L
  std::uint32_t hidden = 1;        // h
  std::uint32_t sequence = 1;      // s, tokens per sample
  std::uint32_t heads = 1;         // a, attention heads
  std::uint32_t query_groups = 0;  // g, key/value heads (grouped-query attention); 0: a
  std::uint32_t ffn_hidden = 0;    // f; 0: Megatron-LM's default, 4h, or int(8h/3/64)·64 gated
  bool gated_mlp = false;          // SwiGLU: fc1 produces 2f, the gate and the value
  Normalization normalization = Normalization::LayerNorm;
  std::uint32_t vocabulary = 50257;       // V before padding (GPT-2's BPE by default)
  std::uint32_t vocabulary_divisor = 128;  // Megatron-LM's --make-vocab-size-divisible-by
  bool tied_embeddings = true;     // the output layer reuses the word embeddings
  PositionEmbedding position_embedding = PositionEmbedding::Learned;
  bool linear_bias = true;         // the linear layers have biases (Megatron-LM's default)
  bool flash_attention = false;    // fused attention: no s² scores kept or written
  // Each token attends to those before it (GPT, Llama; BERT's do not): fused attention then
  // skips the masked blocks, about half the scores (causal_share).
  bool causal_attention = true;

  std::uint32_t groups() const { return query_groups ? query_groups : heads; }
  // The share of the s×s scores the attention core computes: with fused attention and a
  // causal mask, the blocks on or below the diagonal, (1 + 128/s)/2 for FlashAttention's
  // 128-token tiles; else all of them (Megatron-LM's unfused softmax masks after computing).
  double causal_share() const;
  std::uint32_t ffn() const;
  // V rounded up to a multiple of vocabulary_divisor · t, as Megatron-LM pads it.
  std::uint64_t padded_vocabulary(std::uint32_t tensor_parallel) const;
  // Throws pipewise::Error naming the first zero size, heads that do not divide the hidden
  // size, or query groups that do not divide the heads.
  void check() const;
};

// How each layer is split over devices (Megatron-LM tensor parallelism).
struct TensorParallelism {
  std::uint32_t size = 1;          // t, devices sharing each layer
  bool sequence_parallel = true;   // shard the non-matmul activations over t too
};

struct Collectives {
  std::uint32_t all_reduces = 0;
  std::uint32_t all_gathers = 0;
  std::uint32_t reduce_scatters = 0;
};

// One block of a stage (a transformer layer, the embedding, the output head) for one
// micro-batch on one tensor-parallel rank.
struct BlockCosts {
  double parameters = 0;           // on one rank
  std::vector<Gemm> gemms;         // the forward's; the backward runs each twice
  std::vector<Gemm> backward_extra_gemms;  // rerun by the backward itself (flash attention)
  double forward_bytes = 0;        // memory-bound kernels' bytes, forward
  double backward_bytes = 0;       // and backward
  Collectives forward_collectives;   // over the t ranks, each of collective_bytes
  Collectives backward_collectives;
  double collective_bytes = 0;     // the full (gathered) tensor: the T×h hidden state
  double activation_bytes = 0;     // kept from forward to backward without recomputation

  double forward_flops() const;
};

struct TransformerLayerCosts {
  BlockCosts block;
  std::vector<Gemm> core_gemms;    // scores and context: rerun by selective recomputation,
  double core_forward_bytes = 0;   // with the softmax and dropout bytes
  double selective_activation_bytes = 0;  // kept under selective recomputation
  double checkpoint_bytes = 0;     // kept under full recomputation: the layer's input
  double output_bytes = 0;         // the hidden state it outputs, 2·T·h (whole)
  // Context parallelism's ring: bytes each rank sends per step (its K and V) and the
  // steps of the forward (cp − 1); the backward sends twice the bytes in as many steps.
  double ring_step_bytes = 0;
  std::uint32_t ring_steps = 0;
};

// One layer of `shape` split `tensor` ways and its sequences `context` ways, for a
// micro-batch of `micro_batch_size`.
// REQUIRES: shape.check() passes, t divides the heads and query groups, and context
// divides the sequence length.
TransformerLayerCosts transformer_layer_costs(const TransformerShape& shape,
                                              const TensorParallelism& tensor,
                                              std::uint32_t micro_batch_size, std::uint32_t context = 1);
// The word (and position) embeddings on the first stage.
BlockCosts embedding_costs(const TransformerShape& shape, const TensorParallelism& tensor,
                           std::uint32_t micro_batch_size, std::uint32_t context = 1);
// The final norm, the output layer and the loss on the last stage. `holds_output_weights`:
// the output layer's weights live on this stage (untied, or tied with p > 1: Megatron-LM
// keeps a copy on the last stage); with tied weights and p = 1 they are the embedding's.
BlockCosts output_head_costs(const TransformerShape& shape, const TensorParallelism& tensor,
                             std::uint32_t micro_batch_size, bool holds_output_weights,
                             std::uint32_t context = 1);

// Parameters of the whole model (one copy, no tensor parallelism; V padded for t = 1).
double transformer_parameters(const TransformerShape& shape);

// The forward FLOPs of one sample through the whole model (layers and logits; V padded for
// t = 1): the model FLOPs of a training step are 3 × this × the global batch (Narayanan et
// al.'s and Korthikanti et al.'s convention, without a causal discount).
double transformer_forward_flops_per_sample(const TransformerShape& shape);

}  // namespace pipewise::tools
