// The transformer formulas, evaluated by hand on a tiny shape, on GPT-3 and on Llama 3.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "tools/model/transformer_shape.hpp"

namespace pipewise::tools {
namespace {

// h = 4, s = 2, a = 2 (d = 2), f = 16, no biases: the textbook 12h² layer.
TransformerShape tiny() {
  TransformerShape shape{1, 4, 2, 2};
  shape.linear_bias = false;
  return shape;
}

double flops_of(const std::vector<Gemm>& gemms) {
  double total = 0;
  for (const Gemm& gemm : gemms) total += gemm.flops();
  return total;
}

TEST(TransformerShape, TinyShapeWithoutTensorParallelism) {
  const TransformerLayerCosts costs = transformer_layer_costs(tiny(), {1, true}, 1);
  // 24·s·h² + 4·s²·h = 768 + 64.
  EXPECT_DOUBLE_EQ(costs.block.forward_flops(), 832);
  EXPECT_DOUBLE_EQ(flops_of(costs.core_gemms), 64);  // 4·s²·h, rerun by selective recomputation
  // 12h² weights and two LayerNorms (weight and bias each): 192 + 16.
  EXPECT_DOUBLE_EQ(costs.block.parameters, 208);
  // Korthikanti et al. Table 2: s·h·(34 + 5as/h) = 8·(34 + 5) = 312 bytes.
  EXPECT_DOUBLE_EQ(costs.block.activation_bytes, 312);
  EXPECT_DOUBLE_EQ(costs.selective_activation_bytes, 8 * 34);
  EXPECT_DOUBLE_EQ(costs.checkpoint_bytes, 2 * 2 * 4);  // the layer's input, 2·s·h
  EXPECT_DOUBLE_EQ(costs.output_bytes, 2 * 2 * 4);
  EXPECT_EQ(costs.block.forward_collectives.all_reduces, 0u);
}

TEST(TransformerShape, TensorAndSequenceParallelismDivideEverythingByT) {
  const TransformerLayerCosts costs = transformer_layer_costs(tiny(), {2, true}, 1);
  EXPECT_DOUBLE_EQ(costs.block.forward_flops(), 832 / 2.0);
  EXPECT_DOUBLE_EQ(costs.block.parameters, 192 / 2.0 + 16);  // the norms stay whole
  EXPECT_DOUBLE_EQ(costs.block.activation_bytes, 312 / 2.0);
  EXPECT_DOUBLE_EQ(costs.selective_activation_bytes, 272 / 2.0);
  EXPECT_DOUBLE_EQ(costs.checkpoint_bytes, 16 / 2.0);
  // Two all-gathers and two reduce-scatters forward, four and two backward, of 2·s·h bytes.
  EXPECT_EQ(costs.block.forward_collectives.all_gathers, 2u);
  EXPECT_EQ(costs.block.forward_collectives.reduce_scatters, 2u);
  EXPECT_EQ(costs.block.backward_collectives.all_gathers, 4u);
  EXPECT_EQ(costs.block.backward_collectives.reduce_scatters, 2u);
  EXPECT_DOUBLE_EQ(costs.block.collective_bytes, 16);
}

TEST(TransformerShape, TensorParallelismWithoutSequenceParallelismKeepsTheReplicatedPart) {
  // s·h·(10 + 24/t + 5·a·s/(h·t)) with t = 2: 8·(10 + 12 + 2.5); selective drops the last term;
  // full recomputation keeps the whole input 2·s·h.
  const TransformerLayerCosts costs = transformer_layer_costs(tiny(), {2, false}, 1);
  EXPECT_DOUBLE_EQ(costs.block.activation_bytes, 8 * 24.5);
  EXPECT_DOUBLE_EQ(costs.selective_activation_bytes, 8 * 22.0);
  EXPECT_DOUBLE_EQ(costs.checkpoint_bytes, 16);
  EXPECT_EQ(costs.block.forward_collectives.all_reduces, 2u);
  EXPECT_EQ(costs.block.backward_collectives.all_reduces, 2u);
}

TEST(TransformerShape, EverythingScalesWithTheMicroBatch) {
  const TransformerLayerCosts one = transformer_layer_costs(tiny(), {2, true}, 1);
  const TransformerLayerCosts three = transformer_layer_costs(tiny(), {2, true}, 3);
  EXPECT_DOUBLE_EQ(three.block.forward_flops(), 3 * one.block.forward_flops());
  EXPECT_DOUBLE_EQ(three.block.activation_bytes, 3 * one.block.activation_bytes);
  EXPECT_DOUBLE_EQ(three.block.parameters, one.block.parameters);
}

TEST(TransformerShape, Gpt3LayerHasTwelveHSquaredWeights) {
  TransformerShape gpt3{96, 12288, 2048, 96};
  gpt3.linear_bias = false;
  const TransformerLayerCosts costs = transformer_layer_costs(gpt3, {1, true}, 1);
  EXPECT_DOUBLE_EQ(costs.block.parameters, 1'811'939'328.0 + 4 * 12288);  // 12·12288² + norms
  // Activations: 2048·12288·(34 + 5·96·2048/12288) = 2048·12288·114 bytes per sample.
  EXPECT_DOUBLE_EQ(costs.block.activation_bytes, 2048.0 * 12288 * 114);
  // GPT-2's 50257-token vocabulary padded to a multiple of 128·t, as Megatron-LM pads it.
  EXPECT_EQ(gpt3.padded_vocabulary(1), 50304u);
  EXPECT_EQ(gpt3.padded_vocabulary(8), 51200u);
}

TransformerShape llama3(std::uint32_t layers, std::uint32_t hidden, std::uint32_t heads, std::uint32_t ffn) {
  TransformerShape shape{layers, hidden, 8192, heads};
  shape.query_groups = 8;
  shape.ffn_hidden = ffn;
  shape.gated_mlp = true;
  shape.normalization = Normalization::RMSNorm;
  shape.vocabulary = 128256;
  shape.tied_embeddings = false;
  shape.position_embedding = PositionEmbedding::Rotary;
  shape.linear_bias = false;
  return shape;
}

TEST(TransformerShape, Llama3ParameterCountsMatchTheReleasedModels) {
  // Hugging Face's counts of Meta-Llama-3-8B and -70B.
  EXPECT_DOUBLE_EQ(transformer_parameters(llama3(32, 4096, 32, 14336)), 8'030'261'248.0);
  EXPECT_DOUBLE_EQ(transformer_parameters(llama3(80, 8192, 64, 28672)), 70'553'706'496.0);
}

TEST(TransformerShape, GroupedQueryAttentionAndSwigluShapeTheGemmsAndActivations) {
  // h = 8, a = 4 (d = 2), g = 2, f = 12 gated, s = 2, b = 1, t = 1.
  TransformerShape shape{1, 8, 2, 4};
  shape.query_groups = 2;
  shape.ffn_hidden = 12;
  shape.gated_mlp = true;
  shape.linear_bias = false;
  const TransformerLayerCosts costs = transformer_layer_costs(shape, {1, true}, 1);
  // QKV 2·2·8·(8 + 2·2·2) + scores and context 2·(2·4·2·2·2) + projection 2·2·8·8
  // + fc1 2·2·8·24 + fc2 2·2·12·8 = 512 + 128 + 256 + 768 + 384.
  EXPECT_DOUBLE_EQ(costs.block.forward_flops(), 2048);
  // 10·T·h + T·(4h + 4gd) + 6·T·f + 5·a·s²·b = 160 + 2·(32 + 16) + 144 + 80.
  EXPECT_DOUBLE_EQ(costs.block.activation_bytes, 480);
  // Weights h·(h + 2gd) + h·h + 3·h·f and two LayerNorms: 128 + 64 + 288 + 32.
  EXPECT_DOUBLE_EQ(costs.block.parameters, 512);
  // Megatron-LM's default gated FFN size: int(8h/3 / 64)·64.
  TransformerShape defaulted{1, 4096, 2, 32};
  defaulted.gated_mlp = true;
  EXPECT_EQ(defaulted.ffn(), 10880u);
}

// Fused attention under a causal mask computes the 128-token tiles on or below the
// diagonal: (1 + 128/s)/2 of the scores and of the context. Unfused attention, and a
// bidirectional mask, compute them all; the model FLOPs (MFU's numerator) count them all.
TEST(TransformerShape, FusedCausalAttentionComputesTheTilesTheMaskKeeps) {
  TransformerShape causal = llama3(1, 8192, 64, 28672);
  causal.flash_attention = true;
  TransformerShape every_score = causal;
  every_score.causal_attention = false;
  EXPECT_DOUBLE_EQ(causal.causal_share(), (1 + 128.0 / 8192) / 2);
  const TensorParallelism whole{1, false};
  const double core = flops_of(transformer_layer_costs(every_score, whole, 1).core_gemms);
  EXPECT_DOUBLE_EQ(core, 4.0 * 8192 * 8192 * 8192);  // 4·s²·h
  EXPECT_DOUBLE_EQ(flops_of(transformer_layer_costs(causal, whole, 1).core_gemms), core * causal.causal_share());
  TransformerShape unfused = causal;
  unfused.flash_attention = false;
  EXPECT_DOUBLE_EQ(unfused.causal_share(), 1);
  TransformerShape short_sequence = causal;
  short_sequence.sequence = 64;
  EXPECT_DOUBLE_EQ(short_sequence.causal_share(), 1);  // one tile, computed whole
  EXPECT_DOUBLE_EQ(transformer_forward_flops_per_sample(causal), transformer_forward_flops_per_sample(every_score));
}

TEST(TransformerShape, TheLastStageKeepsItsLogitsInBf16AndFp32) {
  TransformerShape shape = tiny();
  shape.vocabulary = 100;
  shape.vocabulary_divisor = 1;
  // No sequence parallelism: the final norm's and the output layer's inputs (2·2·s·h) and
  // 6·s·V logits bytes; the output layer's weights V·h when it holds them.
  const BlockCosts head = output_head_costs(shape, {1, false}, 1, true);
  EXPECT_DOUBLE_EQ(head.activation_bytes, 2 * 2 * 8 + 6 * 2 * 100);
  EXPECT_DOUBLE_EQ(head.parameters, 2 * 4 + 100 * 4);
  EXPECT_DOUBLE_EQ(head.forward_flops(), 2 * 2 * 100 * 4);
  EXPECT_DOUBLE_EQ(output_head_costs(shape, {1, false}, 1, false).parameters, 2 * 4);
  // The embedding: V·h words and s·h learned positions; a dropout mask and 8-byte ids.
  const BlockCosts embedding = embedding_costs(shape, {1, false}, 1);
  EXPECT_DOUBLE_EQ(embedding.parameters, 100 * 4 + 2 * 4);
  EXPECT_DOUBLE_EQ(embedding.activation_bytes, 2 * 4 + 8 * 2);
}

TEST(TransformerShape, RejectsInconsistentShapes) {
  EXPECT_THROW((TransformerShape{1, 10, 2, 3}.check()), Error);  // 3 heads ∤ 10
  EXPECT_THROW((TransformerShape{0, 8, 2, 4}.check()), Error);
  TransformerShape groups{1, 8, 2, 4};
  groups.query_groups = 3;
  EXPECT_THROW(groups.check(), Error);
}

}  // namespace
}  // namespace pipewise::tools
