#include "exec/model/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec {

std::string_view optimizer_kind_name(OptimizerKind kind) {
  return kind == OptimizerKind::Adam ? "adam" : "sgd";
}

OptimizerKind optimizer_kind_from_name(std::string_view name) {
  if (name == "sgd") return OptimizerKind::Sgd;
  if (name == "adam") return OptimizerKind::Adam;
  throw Error("unknown optimizer \"" + std::string(name) + "\" (expected sgd or adam)");
}

OptimizerConfig OptimizerConfig::sgd(float learning_rate, float momentum) {
  OptimizerConfig config;
  config.learning_rate = learning_rate;
  config.momentum = momentum;
  return config;
}

OptimizerConfig OptimizerConfig::adam(float learning_rate) {
  OptimizerConfig config;
  config.kind = OptimizerKind::Adam;
  config.learning_rate = learning_rate;
  return config;
}

std::size_t OptimizerConfig::state_per_parameter() const {
  if (kind == OptimizerKind::Adam) return 2;
  return momentum != 0.0f ? 1 : 0;
}

void OptimizerConfig::check() const {
  const auto in_unit = [](float value) { return value >= 0.0f && value < 1.0f; };
  if (!(learning_rate > 0.0f)) {
    throw Error("learning rate must be positive, got " + std::to_string(learning_rate));
  }
  if (!in_unit(momentum)) throw Error("momentum must be in [0, 1), got " + std::to_string(momentum));
  if (!in_unit(beta1)) throw Error("Adam beta1 must be in [0, 1), got " + std::to_string(beta1));
  if (!in_unit(beta2)) throw Error("Adam beta2 must be in [0, 1), got " + std::to_string(beta2));
  if (!(epsilon > 0.0f)) throw Error("Adam epsilon must be positive, got " + std::to_string(epsilon));
}

OptimizerState make_optimizer_state(const OptimizerConfig& config, std::size_t parameters) {
  OptimizerState state;
  const std::size_t floats = config.state_per_parameter();
  if (floats >= 1) state.first_moment.assign(parameters, 0.0f);
  if (floats >= 2) state.second_moment.assign(parameters, 0.0f);
  return state;
}

namespace {

// The update of `current` into `next`, which may be the same array: each element is read
// before it is written.
void update(const OptimizerConfig& config, OptimizerState& state, const float* current,
            float* next, const float* gradient, std::size_t count) {
  ++state.steps;
  const float lr = config.learning_rate;
  if (config.kind == OptimizerKind::Sgd) {
    if (config.momentum == 0.0f) {
      for (std::size_t i = 0; i < count; ++i) next[i] = current[i] - lr * gradient[i];
      return;
    }
    // PyTorch: the first step seeds the buffer with the gradient itself.
    float* velocity = state.first_moment.data();
    for (std::size_t i = 0; i < count; ++i) {
      velocity[i] = state.steps == 1 ? gradient[i] : config.momentum * velocity[i] + gradient[i];
      next[i] = current[i] - lr * velocity[i];
    }
    return;
  }
  // PyTorch's form: w -= (lr / c1) · m / (sqrt(v) / sqrt(c2) + eps), with the bias
  // corrections c1 = 1 - beta1^t and c2 = 1 - beta2^t computed once per step.
  const double t = static_cast<double>(state.steps);
  const float step_size =
      static_cast<float>(double{lr} / (1.0 - std::pow(double{config.beta1}, t)));
  const float inverse_root_correction =
      static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(double{config.beta2}, t)));
  float* m = state.first_moment.data();
  float* v = state.second_moment.data();
  for (std::size_t i = 0; i < count; ++i) {
    const float g = gradient[i];
    m[i] = config.beta1 * m[i] + (1.0f - config.beta1) * g;
    v[i] = config.beta2 * v[i] + (1.0f - config.beta2) * g * g;
    next[i] = current[i] - step_size * m[i] / (std::sqrt(v[i]) * inverse_root_correction + config.epsilon);
  }
}

}  // namespace

void apply_optimizer_step(const OptimizerConfig& config, OptimizerState& state,
                          std::span<float> parameters, std::span<const float> gradient) {
  update(config, state, parameters.data(), parameters.data(), gradient.data(), parameters.size());
}

void apply_optimizer_step(const OptimizerConfig& config, OptimizerState& state,
                          std::span<const float> current, std::span<float> next,
                          std::span<const float> gradient) {
  if (next.size() != current.size() || gradient.size() != current.size()) {
    throw Error("optimizer step: " + std::to_string(current.size()) + " parameters, " +
                std::to_string(next.size()) + " outputs and " + std::to_string(gradient.size()) +
                " gradients differ");
  }
  update(config, state, current.data(), next.data(), gradient.data(), current.size());
}

void step_from_gradient_sum(const OptimizerConfig& config, OptimizerState& state,
                            std::span<float> newest, std::span<float> next,
                            std::span<float> gradient, float scale,
                            const GradientReduction& reduce) {
  for (float& value : gradient) value *= scale;
  if (reduce) reduce();
  if (next.empty()) {
    apply_optimizer_step(config, state, newest, gradient);
  } else {
    apply_optimizer_step(config, state, newest, next, gradient);
  }
  std::fill(gradient.begin(), gradient.end(), 0.0f);
}

}  // namespace pipewise::exec
