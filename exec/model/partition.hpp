#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "exec/model/mlp_config.hpp"

namespace pipewise::exec {

// What "even" means when a model is split into pipeline stages.
enum class PartitionRule : std::uint8_t {
  ByParameters,  // balance the parameter count (a proxy for compute) of the stages
  ByLayers,      // balance the number of layers
};
std::string_view partition_rule_name(PartitionRule rule);  // "parameters" or "layers"
// Inverse of partition_rule_name; throws pipewise::Error naming the unknown string.
PartitionRule partition_rule_from_name(std::string_view name);

// The layers [first, first + count) of one stage.
struct LayerRange {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  friend bool operator==(const LayerRange&, const LayerRange&) = default;
};

// Splits layers with costs `layer_costs` into `stages` contiguous, non-empty groups: first
// the largest group cost is made as small as possible (the pipeline's bottleneck), then,
// among those splits, the sum of squared group costs (so the other groups are as even as
// they can be); remaining ties give earlier stages the larger share (as numpy.array_split
// does). Throws pipewise::Error when stages is 0 or exceeds the number of layers.
std::vector<LayerRange> partition_layers(const std::vector<std::uint64_t>& layer_costs,
                                         std::uint32_t stages);

// partition_layers over the layers of `config`, costed by `rule`.
std::vector<LayerRange> partition_model(const MlpConfig& config, std::uint32_t stages,
                                        PartitionRule rule);

}  // namespace pipewise::exec
