// Splitting the MLP into stages by parameters or layers (the algorithm itself is tested in
// tests/common/partition).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/partition.hpp"

namespace pipewise::exec {
namespace {

using Ranges = std::vector<LayerRange>;

TEST(Partition, TheDefaultModelSplitsByParameters) {
  // Layer parameters out·(in+1): 103424, 1049600, 2099200, 4196352, 2098176, 1049600,
  // 524800, 5130. Layer 3 (4196352) is the bottleneck of any 4-way split and must stand
  // alone. Before it, {0 1 2} (3252224) is the only option with one stage. After it,
  // layers 4..7 go into 2 stages: {4}{5 6 7} has squares 2098176² + 1579530² =
  // 6.897e12, less than {4 5}{6 7}: 3147776² + 529930² = 1.019e13.
  // Two stages before layer 3 would leave 4..7 in one stage of 3677706, squares
  // 1153024² + 2099200² + 3677706² = 1.87e13 > 3252224² + 6.897e12 = 1.748e13.
  const MlpConfig config;
  EXPECT_EQ(partition_model(config, 4, PartitionRule::ByParameters),
            (Ranges{{0, 3}, {3, 1}, {4, 1}, {5, 3}}));
  // By layers the default model falls into its four blocks of two layers.
  EXPECT_EQ(partition_model(config, 4, PartitionRule::ByLayers),
            (Ranges{{0, 2}, {2, 2}, {4, 2}, {6, 2}}));
}

TEST(Partition, AModelWithFewerLayersThanStagesIsRejected) {
  MlpConfig config;
  config.widths = {3, 4, 2};
  EXPECT_THROW(partition_model(config, 3, PartitionRule::ByLayers), Error);
}

TEST(Partition, RuleNamesRoundTrip) {
  for (PartitionRule rule : {PartitionRule::ByParameters, PartitionRule::ByLayers}) {
    EXPECT_EQ(partition_rule_from_name(partition_rule_name(rule)), rule);
  }
  EXPECT_THROW(partition_rule_from_name("flops"), Error);
}

TEST(MlpModel, StageLayoutsCoverTheLayersWithFlatParameterOffsets) {
  MlpConfig config;
  config.widths = {3, 4, 2};
  const MlpModel model(config, 2, PartitionRule::ByLayers);
  ASSERT_EQ(model.stages(), 2u);
  const StageLayout& first = model.stage(0);
  EXPECT_EQ(first.widths, (std::vector<std::uint32_t>{3, 4}));
  EXPECT_FALSE(first.computes_loss);
  EXPECT_EQ(first.weight_offsets, (std::vector<std::size_t>{0}));
  EXPECT_EQ(first.bias_offsets, (std::vector<std::size_t>{12}));  // W is 4x3
  EXPECT_EQ(first.parameter_count, 16u);
  const StageLayout& last = model.stage(1);
  EXPECT_EQ(last.first_layer, 1u);
  EXPECT_EQ(last.widths, (std::vector<std::uint32_t>{4, 2}));
  EXPECT_TRUE(last.computes_loss);
  EXPECT_EQ(last.parameter_count, 10u);  // 2x4 + 2
}

TEST(MlpModel, InitialParametersDoNotDependOnTheSplit) {
  MlpConfig config;
  config.widths = {5, 6, 7, 3};
  const MlpModel whole(config, 1);
  const MlpModel split(config, 3);
  std::vector<float> joined;
  for (std::uint32_t s = 0; s < 3; ++s) {
    const auto part = split.initial_parameters(s);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  EXPECT_EQ(joined, whole.initial_parameters(0));
}

TEST(MlpModel, InitialWeightsAreHeUniformAndBiasesZero) {
  MlpConfig config;
  config.widths = {24, 50, 2};
  const MlpModel model(config, 1);
  const std::vector<float> parameters = model.initial_parameters(0);
  const StageLayout& layout = model.stage(0);
  const float bound = 0.5f;  // sqrt(6 / 24)
  for (std::size_t i = 0; i < 50 * 24; ++i) {
    EXPECT_LE(std::abs(parameters[layout.weight_offsets[0] + i]), bound);
  }
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(parameters[layout.bias_offsets[0] + i], 0.0f);
}

TEST(MlpConfig, BadShapesAreRejected) {
  MlpConfig config;
  config.widths = {4};
  EXPECT_THROW(config.check(), Error);
  config.widths = {4, 0, 3};
  EXPECT_THROW(config.check(), Error);
  config.widths = {4, 1};
  EXPECT_THROW(config.check(), Error);
  EXPECT_EQ(MlpConfig::uniform(10, 7, 3, 4).widths, (std::vector<std::uint32_t>{10, 7, 7, 4}));
}

}  // namespace
}  // namespace pipewise::exec
