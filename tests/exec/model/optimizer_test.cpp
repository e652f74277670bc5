// Optimizer updates against values worked by hand from PyTorch's update rules.
#include <gtest/gtest.h>

#include <vector>

#include "common/ir/error.hpp"
#include "exec/model/optimizer.hpp"

namespace pipewise::exec {
namespace {

TEST(Optimizer, PlainSgdStepsAgainstTheGradient) {
  const OptimizerConfig config = OptimizerConfig::sgd(0.1f);
  OptimizerState state = make_optimizer_state(config, 2);
  std::vector<float> w = {1.0f, -2.0f};
  apply_optimizer_step(config, state, w, std::vector<float>{0.5f, -1.0f});
  EXPECT_FLOAT_EQ(w[0], 0.95f);   // 1 - 0.1·0.5
  EXPECT_FLOAT_EQ(w[1], -1.9f);   // -2 + 0.1·1
  EXPECT_TRUE(state.first_moment.empty());
}

TEST(Optimizer, SgdMomentumSeedsItsBufferWithTheFirstGradient) {
  const OptimizerConfig config = OptimizerConfig::sgd(0.1f, 0.9f);
  OptimizerState state = make_optimizer_state(config, 1);
  std::vector<float> w = {1.0f};
  apply_optimizer_step(config, state, w, std::vector<float>{0.5f});
  EXPECT_FLOAT_EQ(w[0], 0.95f);   // v = 0.5
  apply_optimizer_step(config, state, w, std::vector<float>{0.5f});
  EXPECT_FLOAT_EQ(w[0], 0.855f);  // v = 0.9·0.5 + 0.5 = 0.95; w = 0.95 - 0.095
}

TEST(Optimizer, AdamCorrectsItsMomentsForBias) {
  const OptimizerConfig config = OptimizerConfig::adam(0.01f);
  OptimizerState state = make_optimizer_state(config, 1);
  std::vector<float> w = {1.0f};
  // Step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps) = 0.01 (to 1e-8).
  apply_optimizer_step(config, state, w, std::vector<float>{0.5f});
  EXPECT_NEAR(w[0], 0.99f, 1e-7);
  // Step 2 with g = -0.5: m = 0.9·0.05 - 0.1·0.5 = -0.005, m̂ = -0.005 / 0.19;
  // v = 0.999·0.00025 + 0.001·0.25 = 0.00049975, v̂ = v / 0.001999 = 0.25 (to 1e-7);
  // w += 0.01 · (0.005 / 0.19) / 0.5 = 0.000526316.
  apply_optimizer_step(config, state, w, std::vector<float>{-0.5f});
  EXPECT_NEAR(w[0], 0.99f + 0.000526316f, 1e-6);
  EXPECT_EQ(state.steps, 2u);
}

TEST(Optimizer, StateSizesFollowTheKind) {
  EXPECT_EQ(OptimizerConfig::sgd(0.1f).state_per_parameter(), 0u);
  EXPECT_EQ(OptimizerConfig::sgd(0.1f, 0.5f).state_per_parameter(), 1u);
  EXPECT_EQ(OptimizerConfig::adam(0.1f).state_per_parameter(), 2u);
}

TEST(Optimizer, BadHyperParametersAreRejected) {
  EXPECT_THROW(OptimizerConfig::sgd(0.0f).check(), Error);
  EXPECT_THROW(OptimizerConfig::sgd(0.1f, 1.0f).check(), Error);
  OptimizerConfig adam = OptimizerConfig::adam(0.1f);
  adam.beta2 = 1.5f;
  EXPECT_THROW(adam.check(), Error);
  EXPECT_EQ(optimizer_kind_from_name("adam"), OptimizerKind::Adam);
  EXPECT_THROW(optimizer_kind_from_name("lamb"), Error);
}

}  // namespace
}  // namespace pipewise::exec
