#include "exec/model/mlp_config.hpp"

#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec {

std::string widths_text(const std::vector<std::uint32_t>& widths) {
  std::string text;
  for (const std::uint32_t width : widths) text += (text.empty() ? "" : ",") + std::to_string(width);
  return text;
}

MlpConfig MlpConfig::uniform(std::uint32_t inputs, std::uint32_t hidden, std::uint32_t depth,
                             std::uint32_t classes, std::uint64_t seed) {
  if (depth == 0) throw Error("an MLP needs at least one layer (depth 0 given)");
  MlpConfig config;
  config.widths.assign(depth + 1, hidden);
  config.widths.front() = inputs;
  config.widths.back() = classes;
  config.seed = seed;
  return config;
}

std::uint64_t MlpConfig::layer_parameters(std::uint32_t layer) const {
  return std::uint64_t{widths[layer + 1]} * (std::uint64_t{widths[layer]} + 1);
}

void MlpConfig::check() const {
  if (widths.size() < 2) {
    throw Error("an MLP needs at least two widths (inputs and classes), got " +
                std::to_string(widths.size()));
  }
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (widths[i] == 0) throw Error("MLP width " + std::to_string(i) + " is 0");
  }
  if (widths.back() < 2) {
    throw Error("the softmax loss needs at least 2 classes, got " + std::to_string(widths.back()));
  }
}

}  // namespace pipewise::exec
