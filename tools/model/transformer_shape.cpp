#include "tools/model/transformer_shape.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "common/ir/error.hpp"

namespace pipewise::tools {
namespace {

// Bytes the memory-bound kernels move per element, reading and writing 16-bit values.
// Forward / backward:
constexpr double kNormBytes[] = {4, 6};             // read x, write y / read x and dy, write dx
constexpr double kDropoutAddBytes[] = {7, 5};       // x, residual, out, 1-byte mask / dy, mask, dx
constexpr double kGeluBytes[] = {4, 6};             // per element of the f-wide activation
constexpr double kSwigluBytes[] = {6, 10};          // two inputs, one output / and their grads
constexpr double kScoreBytes[] = {9, 11};           // softmax 4 + dropout 5 / 6 + 5, per score
constexpr double kRotaryBytes[] = {4, 4};           // rotate Q and K in place
constexpr double kLossBytes[] = {38, 22};           // fp32 cross-entropy per logit
constexpr double kEmbeddingBytes[] = {8, 10};       // lookup, position add / scatter-add grads
constexpr double kTokenIdBytes = 8;                 // int64 ids, kept as Megatron-LM counts them

double norm_parameters(const TransformerShape& shape) {
  return shape.normalization == Normalization::LayerNorm ? 2.0 * shape.hidden : shape.hidden;
}

}  // namespace

std::uint32_t TransformerShape::ffn() const {
  if (ffn_hidden) return ffn_hidden;
  if (gated_mlp) return static_cast<std::uint32_t>(4.0 * hidden * 2 / 3 / 64) * 64;
  return 4 * hidden;
}

std::uint64_t TransformerShape::padded_vocabulary(std::uint32_t tensor_parallel) const {
  const std::uint64_t multiple = std::uint64_t{vocabulary_divisor} * tensor_parallel;
  return (vocabulary + multiple - 1) / multiple * multiple;
}

void TransformerShape::check() const {
  const std::pair<std::uint32_t, const char*> sizes[] = {
      {layers, "layers"}, {hidden, "hidden size"}, {sequence, "sequence length"},
      {heads, "attention heads"}, {vocabulary, "vocabulary size"},
      {vocabulary_divisor, "vocabulary divisor"}};
  for (const auto& [value, name] : sizes) {
    if (value == 0) throw Error(std::string("transformer ") + name + " must be at least 1");
  }
  if (hidden % heads != 0) {
    throw Error("transformer hidden size " + std::to_string(hidden) +
                " is not a multiple of the " + std::to_string(heads) + " attention heads");
  }
  if (heads % groups() != 0) {
    throw Error("transformer query groups " + std::to_string(groups()) + " do not divide the " +
                std::to_string(heads) + " attention heads");
  }
  if (ffn() == 0) throw Error("transformer FFN hidden size must be at least 1");
}

double TransformerShape::causal_share() const {
  if (!flash_attention || !causal_attention) return 1;
  constexpr double kTile = 128;  // FlashAttention's block of queries and of keys
  return std::min(1.0, (1 + kTile / sequence) / 2);
}

double BlockCosts::forward_flops() const {
  double flops = 0;
  for (const Gemm& gemm : gemms) flops += gemm.flops();
  return flops;
}

TransformerLayerCosts transformer_layer_costs(const TransformerShape& shape,
                                              const TensorParallelism& tensor,
                                              std::uint32_t micro_batch_size, std::uint32_t context) {
  const double b = micro_batch_size;
  const double h = shape.hidden;
  const double s = shape.sequence;
  const double cp = context;
  const double local = s / cp;  // each rank's tokens of a sequence
  const double a = shape.heads;
  const double g = shape.groups();
  const double d = h / a;
  const double f = shape.ffn();
  const double t = tensor.size;
  const bool split_all = tensor.sequence_parallel && tensor.size > 1;
  const double tokens = b * local;
  const double fc1_width = shape.gated_mlp ? 2 * f : f;
  // Width per rank of what tensor parallelism alone leaves whole (norms, dropouts).
  const double whole_width = split_all ? h / t : h;
  const double scores = b * a / t * local * s;

  TransformerLayerCosts costs;
  BlockCosts& block = costs.block;
  const double biases = shape.linear_bias ? (h + 2 * g * d + fc1_width) / t + 2 * h : 0;
  block.parameters = (h * (h + 2 * g * d) + h * h + h * fc1_width + f * h) / t + biases +
                     2 * norm_parameters(shape);
  // cp blocks of (s/cp)² scores per head, of which the causal share is computed.
  const double blocks = b * a / t * cp * shape.causal_share();
  const Gemm score_gemm{local, local, d, blocks};
  const Gemm context_gemm{local, d, local, blocks};
  block.gemms = {{tokens, (h + 2 * g * d) / t, h}, score_gemm, context_gemm,
                 {tokens, h, h / t}, {tokens, fc1_width / t, h}, {tokens, h, f / t}};
  costs.core_gemms = {score_gemm, context_gemm};
  if (shape.flash_attention) block.backward_extra_gemms = {score_gemm};

  const double activation_bytes_fwd = shape.gated_mlp ? kSwigluBytes[0] : kGeluBytes[0];
  const double activation_bytes_bwd = shape.gated_mlp ? kSwigluBytes[1] : kGeluBytes[1];
  const double score_share = shape.flash_attention ? 0 : 1;
  const double rotary = shape.position_embedding == PositionEmbedding::Rotary ? 1 : 0;
  const double rotated = tokens * (h + g * d) / t;
  costs.core_forward_bytes = score_share * kScoreBytes[0] * scores;
  block.forward_bytes = tokens * whole_width * (2 * kNormBytes[0] + 2 * kDropoutAddBytes[0]) +
                        activation_bytes_fwd * tokens * f / t + costs.core_forward_bytes +
                        rotary * kRotaryBytes[0] * rotated;
  block.backward_bytes = tokens * whole_width * (2 * kNormBytes[1] + 2 * kDropoutAddBytes[1]) +
                         activation_bytes_bwd * tokens * f / t +
                         score_share * kScoreBytes[1] * scores + rotary * kRotaryBytes[1] * rotated;

  if (tensor.size > 1) {
    block.collective_bytes = 2 * tokens * h;
    if (split_all) {
      block.forward_collectives = {0, 2, 2};
      block.backward_collectives = {0, 4, 2};
    } else {
      block.forward_collectives = {2, 0, 0};
      block.backward_collectives = {2, 0, 0};
    }
  }

  // Korthikanti et al. Table 2, generalised: `whole` is what tensor parallelism alone
  // does not split, `split` what it does, `attention` the scores.
  const double whole = 10 * tokens * h;
  const double split = tokens * (4 * h + 4 * g * d) + tokens * f * (shape.gated_mlp ? 6 : 4);
  const double attention = shape.flash_attention ? 4 * b * a * local : 5 * a * local * s * b;
  const double kept_whole = split_all ? whole / t : whole;
  block.activation_bytes = kept_whole + (split + attention) / t;
  costs.selective_activation_bytes = kept_whole + split / t;
  costs.checkpoint_bytes = 2 * tokens * h / (split_all ? t : 1);
  costs.output_bytes = 2 * tokens * h;
  if (context > 1) {
    costs.ring_step_bytes = 2 * tokens * 2 * g * d / t;
    costs.ring_steps = context - 1;
  }
  return costs;
}

BlockCosts embedding_costs(const TransformerShape& shape, const TensorParallelism& tensor,
                           std::uint32_t micro_batch_size, std::uint32_t context) {
  const double tokens = static_cast<double>(micro_batch_size) * shape.sequence / context;
  const double h = shape.hidden;
  const double t = tensor.size;
  const bool split_all = tensor.sequence_parallel && tensor.size > 1;
  BlockCosts block;
  block.parameters = static_cast<double>(shape.padded_vocabulary(tensor.size)) * h / t;
  if (shape.position_embedding == PositionEmbedding::Learned) block.parameters += shape.sequence * h;
  block.forward_bytes = kEmbeddingBytes[0] * tokens * h + kDropoutAddBytes[0] * tokens * h / (split_all ? t : 1);
  block.backward_bytes = kEmbeddingBytes[1] * tokens * h;
  if (tensor.size > 1) {
    // The vocabulary-parallel lookup sums its partial rows: an all-reduce, or a
    // reduce-scatter into the sequence-parallel region (all-gathered back in the backward).
    block.collective_bytes = 2 * tokens * h;
    if (split_all) {
      block.forward_collectives = {0, 0, 1};
      block.backward_collectives = {0, 1, 0};
    } else {
      block.forward_collectives = {1, 0, 0};
    }
  }
  block.activation_bytes = tokens * h / (split_all ? t : 1) + kTokenIdBytes * tokens;
  return block;
}

BlockCosts output_head_costs(const TransformerShape& shape, const TensorParallelism& tensor,
                             std::uint32_t micro_batch_size, bool holds_output_weights,
                             std::uint32_t context) {
  const double tokens = static_cast<double>(micro_batch_size) * shape.sequence / context;
  const double h = shape.hidden;
  const double t = tensor.size;
  const double vocabulary = static_cast<double>(shape.padded_vocabulary(tensor.size));
  const bool split_all = tensor.sequence_parallel && tensor.size > 1;
  const double whole_width = split_all ? h / t : h;
  BlockCosts block;
  block.parameters = norm_parameters(shape) + (holds_output_weights ? vocabulary * h / t : 0);
  block.gemms = {{tokens, vocabulary / t, h}};
  block.forward_bytes = kNormBytes[0] * tokens * whole_width + kLossBytes[0] * tokens * vocabulary / t;
  block.backward_bytes = kNormBytes[1] * tokens * whole_width + kLossBytes[1] * tokens * vocabulary / t;
  if (tensor.size > 1) {
    // The output layer is column-parallel: it gathers a sequence-parallel input (and
    // reduce-scatters its gradient), or all-reduces its input gradient without.
    block.collective_bytes = 2 * tokens * h;
    if (split_all) {
      block.forward_collectives = {0, 1, 0};
      block.backward_collectives = {0, 0, 1};
    } else {
      block.backward_collectives = {1, 0, 0};
    }
  }
  block.activation_bytes = 2 * 2 * tokens * whole_width + 6 * tokens * vocabulary / t;
  return block;
}

double transformer_parameters(const TransformerShape& shape) {
  const TensorParallelism whole{1, false};
  const double layer = transformer_layer_costs(shape, whole, 1).block.parameters;
  return shape.layers * layer + embedding_costs(shape, whole, 1).parameters +
         output_head_costs(shape, whole, 1, !shape.tied_embeddings).parameters;
}

double transformer_forward_flops_per_sample(const TransformerShape& shape) {
  TransformerShape every_score = shape;
  every_score.causal_attention = false;
  const TensorParallelism whole{1, false};
  return shape.layers * transformer_layer_costs(every_score, whole, 1).block.forward_flops() +
         output_head_costs(every_score, whole, 1, true).forward_flops();
}

}  // namespace pipewise::tools
