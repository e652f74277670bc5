// The transformer formulas, evaluated by hand on a tiny shape and on GPT-3.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "tools/model/transformer_shape.hpp"

namespace pipewise::tools {
namespace {

// h = 4, s = 2, a = 2.
constexpr TransformerShape kTiny{1, 4, 2, 2};

TEST(TransformerShape, TinyShapeWithoutTensorParallelism) {
  const TransformerLayerCosts costs = transformer_layer_costs(kTiny, {1, true});
  EXPECT_DOUBLE_EQ(costs.forward_flops, 24 * 2 * 16 + 4 * 4 * 4);     // 24·s·h² + 4·s²·h = 832
  EXPECT_DOUBLE_EQ(costs.backward_flops, 2 * 832.0);
  EXPECT_DOUBLE_EQ(costs.attention_core_flops, 4 * 4 * 4);            // 4·s²·h
  EXPECT_DOUBLE_EQ(costs.parameters, 12 * 16);                        // 12·h²
  EXPECT_DOUBLE_EQ(costs.activation_bytes, 2 * 4 * (34 + 5.0 * 2 * 2 / 4));  // s·h·(34 + 5as/h) = 312
  EXPECT_DOUBLE_EQ(costs.selective_activation_bytes, 2 * 4 * 34);
  EXPECT_DOUBLE_EQ(costs.boundary_bytes, 2 * 2 * 4);                  // 2·s·h
}

TEST(TransformerShape, TensorAndSequenceParallelismDivideEverythingByT) {
  const TransformerLayerCosts costs = transformer_layer_costs(kTiny, {2, true});
  EXPECT_DOUBLE_EQ(costs.forward_flops, 832 / 2.0);
  EXPECT_DOUBLE_EQ(costs.parameters, 192 / 2.0);
  EXPECT_DOUBLE_EQ(costs.activation_bytes, 312 / 2.0);
  EXPECT_DOUBLE_EQ(costs.selective_activation_bytes, 272 / 2.0);
  EXPECT_DOUBLE_EQ(costs.boundary_bytes, 16 / 2.0);
}

TEST(TransformerShape, TensorParallelismWithoutSequenceParallelismKeepsTheReplicatedPart) {
  // s·h·(10 + 24/t + 5·a·s/(h·t)) with t = 2: 8·(10 + 12 + 2.5); selective drops the last term.
  const TransformerLayerCosts costs = transformer_layer_costs(kTiny, {2, false});
  EXPECT_DOUBLE_EQ(costs.activation_bytes, 8 * 24.5);
  EXPECT_DOUBLE_EQ(costs.selective_activation_bytes, 8 * 22.0);
}

TEST(TransformerShape, Gpt3LayerHasTwelveHSquaredParameters) {
  const TransformerShape gpt3{96, 12288, 2048, 96};
  const TransformerLayerCosts costs = transformer_layer_costs(gpt3, {1, true});
  EXPECT_DOUBLE_EQ(costs.parameters, 1'811'939'328.0);  // 12 · 12288²
  EXPECT_NEAR(96 * costs.parameters / 1e9, 173.9, 0.05);
  // Activations: 2048·12288·(34 + 5·96·2048/12288) = 2048·12288·114 bytes per sample.
  EXPECT_DOUBLE_EQ(costs.activation_bytes, 2048.0 * 12288 * 114);
}

TEST(TransformerShape, RejectsInconsistentShapes) {
  EXPECT_THROW(transformer_layer_costs({1, 10, 2, 3}, {1, true}), Error);  // 3 heads ∤ 10
  EXPECT_THROW(transformer_layer_costs({1, 8, 2, 4}, {3, true}), Error);   // t = 3 ∤ 4 heads
  EXPECT_THROW(transformer_layer_costs({0, 8, 2, 4}, {1, true}), Error);
}

}  // namespace
}  // namespace pipewise::tools
