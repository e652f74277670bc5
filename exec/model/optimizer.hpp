#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace pipewise::exec {

enum class OptimizerKind : std::uint8_t { Sgd, Adam };
std::string_view optimizer_kind_name(OptimizerKind kind);  // "sgd" or "adam"
// Inverse of optimizer_kind_name; throws pipewise::Error naming the unknown string.
OptimizerKind optimizer_kind_from_name(std::string_view name);

// The optimizer and its hyper-parameters, with PyTorch's update rules and defaults.
struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Sgd;
  float learning_rate = 0.01f;
  float momentum = 0.0f;   // SGD only: v = momentum·v + g; w -= lr·v (0 = plain SGD)
  float beta1 = 0.9f;      // Adam only
  float beta2 = 0.999f;    // Adam only
  float epsilon = 1e-8f;   // Adam only

  static OptimizerConfig sgd(float learning_rate, float momentum = 0.0f);
  static OptimizerConfig adam(float learning_rate);
  // Floats of state kept per parameter: SGD 0 (1 with momentum), Adam 2.
  std::size_t state_per_parameter() const;
  // Throws pipewise::Error naming the first bad hyper-parameter (learning rate <= 0,
  // momentum or betas outside [0, 1), epsilon <= 0).
  void check() const;
};

// The per-stage state an optimizer carries from step to step.
struct OptimizerState {
  std::vector<float> first_moment;   // SGD momentum buffer, or Adam's m
  std::vector<float> second_moment;  // Adam's v
  std::uint64_t steps = 0;           // steps taken (Adam's bias correction uses it)
};

// Zeroed state for `parameters` parameters.
OptimizerState make_optimizer_state(const OptimizerConfig& config, std::size_t parameters);

// One update of `parameters` with `gradient` (same length). REQUIRES: the state was made
// for this config and length.
void apply_optimizer_step(const OptimizerConfig& config, OptimizerState& state,
                          std::span<float> parameters, std::span<const float> gradient);

// The same update written to `next`, leaving `current` as it was (a schedule that keeps the
// previous weight version): bit for bit what copying `current` into `next` and updating
// `next` in place gives, in one pass over the parameters instead of two. REQUIRES: the three
// spans have the same length; `next` does not overlap `current` or `gradient`.
void apply_optimizer_step(const OptimizerConfig& config, OptimizerState& state,
                          std::span<const float> current, std::span<float> next,
                          std::span<const float> gradient);

// Run on a stage's mean gradient before its step: a data-parallel run's all-reduce.
using GradientReduction = std::function<void()>;

// A stage's step from the sum of its micro-batches' weight gradients, as the CPU backend
// takes it (and its profile times it): the sum scaled by `scale` into their mean, `reduce`
// run on it when set, the update of `newest` in place, or written to `next` when `next`
// is not empty (a step that keeps the version it replaces), and the gradient zeroed for the
// next step's micro-batches to add onto. The step, which streams the gradient anyway, pays
// for clearing it, so every micro-batch's backward-weight does the same work. REQUIRES: as
// apply_optimizer_step.
void step_from_gradient_sum(const OptimizerConfig& config, OptimizerState& state,
                            std::span<float> newest, std::span<float> next,
                            std::span<float> gradient, float scale,
                            const GradientReduction& reduce = {});

}  // namespace pipewise::exec
