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

// The layers of `config` split into `stages` contiguous, non-empty groups, costed by `rule`:
// the largest group cost as small as possible (the pipeline's bottleneck), then the most
// even split among those (least Σ cost²), remaining ties giving earlier stages the larger
// share as numpy.array_split does (common/partition/stage_partition.hpp). Throws
// pipewise::Error when stages is 0 or exceeds the number of layers.
std::vector<LayerRange> partition_model(const MlpConfig& config, std::uint32_t stages,
                                        PartitionRule rule);

}  // namespace pipewise::exec
