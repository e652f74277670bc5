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

// A schedule that keeps the previous weight version updates into a new buffer: the result
// must be what copying and updating in place gives (the same arithmetic, so bit for bit), and
// the previous version must stay as it was.
TEST(Optimizer, AnUpdateIntoANewBufferEqualsCopyingThenUpdatingInPlace) {
  for (const OptimizerConfig& config :
       {OptimizerConfig::sgd(0.1f), OptimizerConfig::sgd(0.1f, 0.9f), OptimizerConfig::adam(0.01f)}) {
    OptimizerState in_place_state = make_optimizer_state(config, 3);
    OptimizerState new_buffer_state = make_optimizer_state(config, 3);
    std::vector<float> in_place = {1.0f, -2.0f, 0.25f};
    std::vector<float> current = in_place;
    for (const std::vector<float>& gradient :
         {std::vector<float>{0.5f, -1.0f, 0.125f}, std::vector<float>{-0.25f, 0.75f, 2.0f}}) {
      apply_optimizer_step(config, in_place_state, in_place, gradient);
      const std::vector<float> before = current;
      std::vector<float> next(current.size(), -99.0f);
      apply_optimizer_step(config, new_buffer_state, current, next, gradient);
      EXPECT_EQ(current, before) << optimizer_kind_name(config.kind);
      EXPECT_EQ(next, in_place) << optimizer_kind_name(config.kind);
      current = next;
    }
    EXPECT_EQ(new_buffer_state.steps, 2u);
    EXPECT_EQ(new_buffer_state.first_moment, in_place_state.first_moment);
    EXPECT_EQ(new_buffer_state.second_moment, in_place_state.second_moment);
  }
}

TEST(Optimizer, AnUpdateIntoABufferOfAnotherLengthIsRefused) {
  const OptimizerConfig config = OptimizerConfig::sgd(0.1f);
  OptimizerState state = make_optimizer_state(config, 2);
  const std::vector<float> current = {1.0f, 2.0f};
  std::vector<float> next(3);
  EXPECT_THROW(apply_optimizer_step(config, state, current, next, std::vector<float>{1.0f, 1.0f}),
               Error);
}

TEST(Optimizer, AStepFromAGradientSumAppliesTheReducedMeanAndClearsTheSum) {
  // SGD with lr 0.5 from a sum of two micro-batches' gradients {2, -4}: the mean {1, -2}, which
  // the reduction (a stand-in for the data-parallel all-reduce) sees and halves to {0.5, -1}.
  const OptimizerConfig config = OptimizerConfig::sgd(0.5f);
  for (const bool keeps_previous : {false, true}) {
    OptimizerState state = make_optimizer_state(config, 2);
    std::vector<float> newest = {1.0f, 1.0f};
    std::vector<float> next(keeps_previous ? 2 : 0, -99.0f);
    std::vector<float> gradient = {2.0f, -4.0f};
    std::vector<float> seen_by_reduction;
    step_from_gradient_sum(config, state, newest, next, gradient, 0.5f, [&] {
      seen_by_reduction = gradient;
      for (float& value : gradient) value *= 0.5f;
    });
    EXPECT_EQ(seen_by_reduction, (std::vector<float>{1.0f, -2.0f}));
    const std::vector<float> updated = {0.75f, 1.5f};
    EXPECT_EQ(keeps_previous ? next : newest, updated) << keeps_previous;
    if (keeps_previous) {
      EXPECT_EQ(newest, (std::vector<float>{1.0f, 1.0f}));
    }
    EXPECT_EQ(gradient, (std::vector<float>{0.0f, 0.0f})) << "the next step's sum starts at zero";
  }
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
