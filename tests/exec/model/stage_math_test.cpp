// The stage math against hand-worked values and finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "exec/model/mlp_model.hpp"
#include "exec/model/stage_math.hpp"

namespace pipewise::exec {
namespace {

// One loss layer, 2 inputs, 2 classes, one sample x = (1, 2) with label 1.
// W = [[1, -1], [0.5, 0.5]], b = (0, 1): logits z = (1 - 2 + 0, 0.5 + 1 + 1) = (-1, 2.5).
// p0 = e^-3.5 / (1 + e^-3.5), p1 = 1 - p0, loss = -log p1 = log(1 + e^-3.5).
// dz = p - onehot(1) = (p0, -p0); dW = dz^T x = [[p0, 2 p0], [-p0, -2 p0]]; db = (p0, -p0);
// dx = dz W = (p0 - 0.5 p0, -p0 - 0.5 p0) = (0.5 p0, -1.5 p0).
TEST(StageMath, SoftmaxCrossEntropyLayerByHand) {
  MlpConfig config;
  config.widths = {2, 2};
  const MlpModel model(config, 1);
  const StageLayout& layout = model.stage(0);
  const std::vector<float> parameters = {1.0f, -1.0f, 0.5f, 0.5f, 0.0f, 1.0f};
  const std::vector<float> input = {1.0f, 2.0f};
  const std::int32_t label = 1;
  std::vector<std::vector<float>> outputs(1, std::vector<float>(2));
  const float loss = stage_forward(layout, parameters.data(), input.data(), 1, outputs, &label);

  const double p0 = std::exp(-3.5) / (1.0 + std::exp(-3.5));
  EXPECT_NEAR(loss, std::log(1.0 + std::exp(-3.5)), 1e-6);
  EXPECT_NEAR(outputs[0][0], p0, 1e-6);
  EXPECT_NEAR(outputs[0][1], 1.0 - p0, 1e-6);

  std::vector<std::vector<float>> grads = {outputs[0]};
  std::vector<float> input_grad(2);
  stage_backward_input(layout, parameters.data(), 1, outputs, grads, &label, input_grad.data());
  EXPECT_NEAR(grads[0][0], p0, 1e-6);
  EXPECT_NEAR(grads[0][1], -p0, 1e-6);
  EXPECT_NEAR(input_grad[0], 0.5 * p0, 1e-6);
  EXPECT_NEAR(input_grad[1], -1.5 * p0, 1e-6);

  std::vector<float> parameter_grads(6, 0.0f);
  stage_backward_weight(layout, 1, input.data(), outputs, grads, parameter_grads.data());
  const std::vector<double> expected = {p0, 2 * p0, -p0, -2 * p0, p0, -p0};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(parameter_grads[i], expected[i], 1e-6) << i;
}

TEST(StageMath, ReluLayersByHand) {
  // One hidden stage (not the loss stage): 2 -> 2 with ReLU. W = [[1, 1], [1, -1]], b = 0,
  // x = (1, 2): z = (3, -1), y = (3, 0). Output gradient (1, 1): dz = (1, 0) (the second
  // unit is off), dx = dz W = (1, 1), dW = dz^T x = [[1, 2], [0, 0]], db = (1, 0).
  MlpConfig config;
  config.widths = {2, 2, 3};
  const MlpModel model(config, 2, PartitionRule::ByLayers);
  const StageLayout& layout = model.stage(0);
  const std::vector<float> parameters = {1.0f, 1.0f, 1.0f, -1.0f, 0.0f, 0.0f};
  const std::vector<float> input = {1.0f, 2.0f};
  std::vector<std::vector<float>> outputs(1, std::vector<float>(2));
  EXPECT_EQ(stage_forward(layout, parameters.data(), input.data(), 1, outputs, nullptr), 0.0f);
  EXPECT_EQ(outputs[0], (std::vector<float>{3.0f, 0.0f}));
  std::vector<std::vector<float>> grads = {{1.0f, 1.0f}};
  std::vector<float> input_grad(2);
  stage_backward_input(layout, parameters.data(), 1, outputs, grads, nullptr, input_grad.data());
  EXPECT_EQ(grads[0], (std::vector<float>{1.0f, 0.0f}));
  EXPECT_EQ(input_grad, (std::vector<float>{1.0f, 1.0f}));
  std::vector<float> parameter_grads(6, 0.0f);
  stage_backward_weight(layout, 1, input.data(), outputs, grads, parameter_grads.data());
  EXPECT_EQ(parameter_grads, (std::vector<float>{1.0f, 2.0f, 0.0f, 0.0f, 1.0f, 0.0f}));
}

// The loss of a whole 3-layer single-stage model as a function of its parameters.
double loss_of(const StageLayout& layout, const std::vector<float>& parameters,
               const std::vector<float>& input, const std::vector<std::int32_t>& labels,
               std::uint32_t rows) {
  std::vector<std::vector<float>> outputs(layout.layers());
  for (std::uint32_t l = 0; l < layout.layers(); ++l) outputs[l].resize(rows * layout.widths[l + 1]);
  return stage_forward(layout, parameters.data(), input.data(), rows, outputs, labels.data());
}

TEST(StageMath, GradientsMatchCentralFiniteDifferences) {
  MlpConfig config;
  config.widths = {4, 6, 5, 3};
  config.seed = 9;
  const MlpModel model(config, 1);
  const StageLayout& layout = model.stage(0);
  std::vector<float> parameters = model.initial_parameters(0);
  for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i] += 0.01f * static_cast<float>(i % 7);
  constexpr std::uint32_t kRows = 3;
  const std::vector<float> input = {0.3f, -1.2f, 0.8f, 0.5f, 1.1f, 0.2f,
                                    -0.7f, 0.9f, -0.4f, 0.6f, 1.5f, -0.9f};
  const std::vector<std::int32_t> labels = {2, 0, 1};

  std::vector<std::vector<float>> outputs(3);
  for (std::uint32_t l = 0; l < 3; ++l) outputs[l].resize(kRows * layout.widths[l + 1]);
  stage_forward(layout, parameters.data(), input.data(), kRows, outputs, labels.data());
  std::vector<std::vector<float>> grads(3);
  for (std::uint32_t l = 0; l < 3; ++l) grads[l].resize(kRows * layout.widths[l + 1]);
  grads.back() = outputs.back();
  std::vector<float> input_grad(kRows * 4);
  stage_backward_input(layout, parameters.data(), kRows, outputs, grads, labels.data(),
                       input_grad.data());
  std::vector<float> parameter_grads(parameters.size(), 0.0f);
  stage_backward_weight(layout, kRows, input.data(), outputs, grads, parameter_grads.data());

  const float h = 1e-3f;
  for (std::size_t i = 0; i < parameters.size(); i += 3) {
    std::vector<float> plus = parameters;
    std::vector<float> minus = parameters;
    plus[i] += h;
    minus[i] -= h;
    const double numeric = (loss_of(layout, plus, input, labels, kRows) -
                            loss_of(layout, minus, input, labels, kRows)) / (2.0 * h);
    EXPECT_NEAR(parameter_grads[i], numeric, 2e-3) << "parameter " << i;
  }
  for (std::size_t i = 0; i < input.size(); ++i) {
    std::vector<float> plus = input;
    std::vector<float> minus = input;
    plus[i] += h;
    minus[i] -= h;
    const double numeric = (loss_of(layout, parameters, plus, labels, kRows) -
                            loss_of(layout, parameters, minus, labels, kRows)) / (2.0 * h);
    EXPECT_NEAR(input_grad[i], numeric, 2e-3) << "input " << i;
  }
}

TEST(StageMath, BackwardWeightAccumulates) {
  // Running W twice on the same micro-batch doubles the gradient: it adds, never overwrites.
  MlpConfig config;
  config.widths = {2, 2};
  const MlpModel model(config, 1);
  const StageLayout& layout = model.stage(0);
  const std::vector<float> input = {1.0f, -1.0f};
  const std::vector<std::vector<float>> outputs(1, std::vector<float>(2));
  const std::vector<std::vector<float>> grads = {{0.5f, -0.25f}};
  std::vector<float> once(6, 0.0f);
  stage_backward_weight(layout, 1, input.data(), outputs, grads, once.data());
  std::vector<float> twice = once;
  stage_backward_weight(layout, 1, input.data(), outputs, grads, twice.data());
  // dW = dz^T x = [[0.5, -0.5], [-0.25, 0.25]], db = (0.5, -0.25).
  EXPECT_EQ(once, (std::vector<float>{0.5f, -0.5f, -0.25f, 0.25f, 0.5f, -0.25f}));
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(twice[i], 2.0f * once[i]);
}

}  // namespace
}  // namespace pipewise::exec
