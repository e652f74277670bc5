#pragma once
// Per-layer costs of a GPT/BERT-style transformer block from its shape, by the standard
// formulas. All values are for ONE sample (a micro-batch of size 1) on ONE device of the
// tensor-parallel group; every term is linear in the micro-batch size b, so a micro-batch
// of b samples costs b times as much. Embeddings and the output head are not modelled.
//
// Sources:
//  - Parameters ≈ 12h² per layer (4h² attention QKV + output, 8h² MLP with a 4h hidden
//    layer; biases and layer norms, O(h), are ignored): Narayanan et al. SC'21, "Efficient
//    Large-Scale Language Model Training on GPU Clusters Using Megatron-LM", §5.1.
//  - Forward FLOPs ≈ 24·b·s·h² + 4·b·s²·h per layer (the same paper's appendix: 24bsh² for
//    the matrix multiplies, 4bs²h for the attention scores and their product with V);
//    the backward pass costs twice the forward.
//  - Activation bytes per layer in 16-bit ≈ s·b·h·(34 + 5·a·s/h) with no parallelism
//    (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
//    Models", §4 and Table 2): with tensor parallelism t and sequence parallelism the whole
//    of it is divided by t; with tensor parallelism alone s·b·h·(10 + 24/t + 5·a·s/(h·t)).
//    Selective recomputation (the same paper, §5) drops the 5·a·s/h attention term and
//    recomputes the attention core (QKᵀ, softmax, ·V: 4·b·s²·h FLOPs) during backward.
//  - The tensor passed between pipeline stages is the s·b·h hidden state in 16-bit,
//    2·s·b·h bytes, divided by t (sequence parallelism, or Megatron's scatter/gather of
//    the pipeline message without it).
#include <cstdint>

namespace pipewise::tools {

struct TransformerShape {
  std::uint32_t layers = 1;           // L
  std::uint32_t hidden = 1;           // h
  std::uint32_t sequence = 1;         // s, tokens per sample
  std::uint32_t heads = 1;            // a, attention heads

  // Throws pipewise::Error naming the first zero size, or heads that do not divide hidden.
  void check() const;
};

// How each layer is split over devices (Megatron-LM tensor parallelism).
struct TensorParallelism {
  std::uint32_t size = 1;          // t, devices sharing each layer
  bool sequence_parallel = true;   // shard the non-matmul activations over t too
};

// The quantities above, per layer and per sample on one device of the TP group.
struct TransformerLayerCosts {
  double forward_flops = 0;              // (24·s·h² + 4·s²·h) / t
  double backward_flops = 0;             // 2 × forward
  double attention_core_flops = 0;       // 4·s²·h / t, rerun by selective recomputation
  double parameters = 0;                 // 12·h² / t
  double activation_bytes = 0;           // stashed from forward to backward
  double selective_activation_bytes = 0; // the same under selective recomputation
  double boundary_bytes = 0;             // 2·s·h / t: the hidden state a layer outputs
};

// Evaluates the formulas for `shape` split `tensor` ways. Throws pipewise::Error when the
// shape is invalid (TransformerShape::check) or t does not divide the attention heads.
TransformerLayerCosts transformer_layer_costs(const TransformerShape& shape,
                                              const TensorParallelism& tensor);

}  // namespace pipewise::tools
