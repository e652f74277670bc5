#include "exec/model/partition.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "common/ir/error.hpp"

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

std::vector<LayerRange> partition_layers(const std::vector<std::uint64_t>& layer_costs,
                                         std::uint32_t stages) {
  const std::size_t layers = layer_costs.size();
  if (stages == 0) throw Error("cannot split a model into 0 stages");
  if (stages > layers) {
    throw Error("cannot split " + std::to_string(layers) + " layers into " +
                std::to_string(stages) + " stages: each stage needs at least one layer");
  }
  std::vector<std::uint64_t> prefix(layers + 1, 0);
  for (std::size_t i = 0; i < layers; ++i) prefix[i + 1] = prefix[i] + layer_costs[i];
  const auto cost = [&](std::size_t begin, std::size_t end) { return prefix[end] - prefix[begin]; };

  // Pass 1: the smallest achievable bottleneck. worst[k][i]: best largest-group cost when
  // the first i layers form k groups.
  constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::vector<std::uint64_t>> worst(stages + 1,
                                                std::vector<std::uint64_t>(layers + 1, kNone));
  worst[0][0] = 0;
  for (std::uint32_t k = 1; k <= stages; ++k) {
    for (std::size_t i = k; i <= layers; ++i) {
      for (std::size_t j = k - 1; j < i; ++j) {
        if (worst[k - 1][j] == kNone) continue;
        worst[k][i] = std::min(worst[k][i], std::max(worst[k - 1][j], cost(j, i)));
      }
    }
  }
  const std::uint64_t bottleneck = worst[stages][layers];

  // Pass 2: among splits within the bottleneck, the smallest sum of squared group costs.
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> spread(stages + 1, std::vector<double>(layers + 1, kInfinity));
  spread[0][0] = 0.0;
  for (std::uint32_t k = 1; k <= stages; ++k) {
    for (std::size_t i = k; i <= layers; ++i) {
      for (std::size_t j = k - 1; j < i; ++j) {
        const std::uint64_t group = cost(j, i);
        if (group > bottleneck || spread[k - 1][j] == kInfinity) continue;
        const double squared = static_cast<double>(group) * static_cast<double>(group);
        spread[k][i] = std::min(spread[k][i], spread[k - 1][j] + squared);
      }
    }
  }

  // Walk back from the end; the last group starts as late as possible, which leaves the
  // larger share of a tie to earlier stages.
  std::vector<LayerRange> ranges(stages);
  std::size_t end = layers;
  for (std::uint32_t k = stages; k >= 1; --k) {
    std::size_t start = k - 1;
    for (std::size_t j = end; j-- > k - 1;) {
      const std::uint64_t group = cost(j, end);
      if (group > bottleneck || spread[k - 1][j] == kInfinity) continue;
      const double squared = static_cast<double>(group) * static_cast<double>(group);
      if (spread[k - 1][j] + squared == spread[k][end]) {  // the value pass 2 minimised
        start = j;
        break;
      }
    }
    ranges[k - 1] = {static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end - start)};
    end = start;
  }
  return ranges;
}

std::vector<LayerRange> partition_model(const MlpConfig& config, std::uint32_t stages,
                                        PartitionRule rule) {
  config.check();
  std::vector<std::uint64_t> costs(config.layers(), 1);
  if (rule == PartitionRule::ByParameters) {
    for (std::uint32_t layer = 0; layer < config.layers(); ++layer) {
      costs[layer] = config.layer_parameters(layer);
    }
  }
  return partition_layers(costs, stages);
}

}  // namespace pipewise::exec
