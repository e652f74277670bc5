#include "exec/model/partition.hpp"

#include <string>

#include "common/ir/error.hpp"
#include "common/partition/stage_partition.hpp"

namespace pipewise::exec {

std::string_view partition_rule_name(PartitionRule rule) {
  return rule == PartitionRule::ByLayers ? "layers" : "parameters";
}

PartitionRule partition_rule_from_name(std::string_view name) {
  if (name == "parameters") return PartitionRule::ByParameters;
  if (name == "layers") return PartitionRule::ByLayers;
  throw Error("unknown partition rule \"" + std::string(name) +
              "\" (expected parameters or layers)");
}

std::vector<LayerRange> partition_model(const MlpConfig& config, std::uint32_t stages,
                                        PartitionRule rule) {
  config.check();
  PartitionRequest request;
  request.stages = stages;
  request.ties = TieBreak::LargerEarlyStages;
  for (std::uint32_t layer = 0; layer < config.layers(); ++layer) {
    const double cost = rule == PartitionRule::ByParameters
                            ? static_cast<double>(config.layer_parameters(layer))
                            : 1.0;
    request.layers.push_back({cost, 0, 0});
  }
  std::vector<LayerRange> ranges;
  for (const StageSplit& split : partition_layers(request)) {
    ranges.push_back({split.first_layer, split.layer_count});
  }
  return ranges;
}

}  // namespace pipewise::exec
