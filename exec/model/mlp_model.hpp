#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "exec/model/mlp_config.hpp"
#include "exec/model/partition.hpp"

namespace pipewise::exec {

// One pipeline stage of an MLP: a contiguous group of layers. Its parameters are one flat
// fp32 array: for each layer, W (out x in, row-major) at weight_offsets[l], then b (out) at
// bias_offsets[l]. Gradients and optimizer state use the same layout.
struct StageLayout {
  std::uint32_t first_layer = 0;       // index of the stage's first layer in the model
  std::vector<std::uint32_t> widths;   // stage input width, then each layer's output width
  bool computes_loss = false;          // holds the model's last layer (logits, no ReLU)
  std::vector<std::size_t> weight_offsets;
  std::vector<std::size_t> bias_offsets;
  std::size_t parameter_count = 0;

  std::uint32_t layers() const { return static_cast<std::uint32_t>(widths.size()) - 1; }
  std::uint32_t input_width() const { return widths.front(); }
  std::uint32_t output_width() const { return widths.back(); }
};

// An MLP split into pipeline stages. Immutable once built; shared read-only by every
// device of a run and by the reference trainers.
class MlpModel {
 public:
  // Splits `config` into `stages` stages by `rule` (see partition.hpp). Throws
  // pipewise::Error for an invalid config or a split that cannot be made.
  MlpModel(MlpConfig config, std::uint32_t stages,
           PartitionRule rule = PartitionRule::ByParameters);

  const MlpConfig& config() const { return config_; }
  std::uint32_t stages() const { return static_cast<std::uint32_t>(stages_.size()); }
  // REQUIRES: stage < stages().
  const StageLayout& stage(std::uint32_t stage) const { return stages_[stage]; }
  // The starting parameters of `stage` (He-uniform weights, zero biases), drawn per layer
  // from the config's seed, so they do not depend on how the model is split.
  std::vector<float> initial_parameters(std::uint32_t stage) const;

 private:
  MlpConfig config_;
  std::vector<StageLayout> stages_;
};

}  // namespace pipewise::exec
