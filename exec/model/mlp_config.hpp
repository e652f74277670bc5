#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pipewise::exec {

// The shape of a multi-layer perceptron. Layer l maps widths[l] inputs to widths[l+1]
// outputs (y = x W^T + b); every layer but the last is followed by a ReLU, and the last
// layer's outputs are the class logits of a softmax cross-entropy loss.
struct MlpConfig {
  // Default: the seeds' 4-block MLP, 100→1024→1024, 1024→2048→2048, 2048→1024→1024,
  // 1024→512→10 (8 layers, about 11.2 M parameters).
  std::vector<std::uint32_t> widths = {100, 1024, 1024, 2048, 2048, 1024, 1024, 512, 10};
  // Seed of the initial weights; layer l's weights depend only on the seed and l, so every
  // split of the model into stages starts from the same weights.
  std::uint64_t seed = 1;

  // `depth` layers: input → hidden (depth-1 times) → classes. REQUIRES depth >= 1.
  static MlpConfig uniform(std::uint32_t inputs, std::uint32_t hidden, std::uint32_t depth,
                           std::uint32_t classes, std::uint64_t seed = 1);

  std::uint32_t layers() const { return static_cast<std::uint32_t>(widths.size()) - 1; }
  std::uint32_t input_width() const { return widths.front(); }
  std::uint32_t classes() const { return widths.back(); }
  // Weights and biases of layer l: widths[l+1] * (widths[l] + 1).
  std::uint64_t layer_parameters(std::uint32_t layer) const;
  // Throws pipewise::Error naming the problem: fewer than two widths, a zero width, fewer
  // than two classes.
  void check() const;
};

// `widths` as `pipewise run --model` takes them: "100,1024,10".
std::string widths_text(const std::vector<std::uint32_t>& widths);

}  // namespace pipewise::exec
