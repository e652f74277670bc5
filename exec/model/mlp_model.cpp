#include "exec/model/mlp_model.hpp"

#include <cmath>
#include <utility>

#include "exec/model/random.hpp"

namespace pipewise::exec {

MlpModel::MlpModel(MlpConfig config, std::uint32_t stages, PartitionRule rule)
    : config_(std::move(config)) {
  const std::vector<LayerRange> ranges = partition_model(config_, stages, rule);
  stages_.reserve(ranges.size());
  for (const LayerRange& range : ranges) {
    StageLayout layout;
    layout.first_layer = range.first;
    layout.computes_loss = range.first + range.count == config_.layers();
    for (std::uint32_t layer = range.first; layer <= range.first + range.count; ++layer) {
      layout.widths.push_back(config_.widths[layer]);
    }
    for (std::uint32_t local = 0; local < range.count; ++local) {
      const std::size_t inputs = layout.widths[local];
      const std::size_t outputs = layout.widths[local + 1];
      layout.weight_offsets.push_back(layout.parameter_count);
      layout.bias_offsets.push_back(layout.parameter_count + outputs * inputs);
      layout.parameter_count += outputs * (inputs + 1);
    }
    stages_.push_back(std::move(layout));
  }
}

std::vector<float> MlpModel::initial_parameters(std::uint32_t stage) const {
  const StageLayout& layout = stages_[stage];
  std::vector<float> parameters(layout.parameter_count, 0.0f);
  for (std::uint32_t local = 0; local < layout.layers(); ++local) {
    SplitMix64 random(mix_seed(config_.seed, layout.first_layer + local));
    const std::size_t inputs = layout.widths[local];
    const std::size_t outputs = layout.widths[local + 1];
    const float bound = std::sqrt(6.0f / static_cast<float>(inputs));
    float* weights = parameters.data() + layout.weight_offsets[local];
    for (std::size_t i = 0; i < outputs * inputs; ++i) weights[i] = random.uniform(-bound, bound);
  }
  return parameters;
}

}  // namespace pipewise::exec
