#include "common/partition/stage_partition.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"

namespace pipewise {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Sums of the same layer costs in a different order differ in their last bits.
constexpr double kRelativeTolerance = 1e-9;

// Prefix sums, so a stage's totals are two lookups, and a sparse table of the layers'
// transient bytes, so a stage's largest is two more.
struct Prefix {
  std::vector<double> time{0.0};
  std::vector<double> static_bytes{0.0};
  std::vector<double> activation_bytes{0.0};
  // largest_transient[j][i]: the largest transient_bytes of layers [i, i + 2^j).
  std::vector<std::vector<double>> largest_transient;

  explicit Prefix(const std::vector<PartitionLayer>& layers) {
    std::vector<double> transient;
    for (const PartitionLayer& layer : layers) {
      time.push_back(time.back() + layer.time_ms);
      static_bytes.push_back(static_bytes.back() + layer.static_bytes);
      activation_bytes.push_back(activation_bytes.back() + layer.activation_bytes);
      transient.push_back(layer.transient_bytes);
    }
    largest_transient.push_back(std::move(transient));
    for (std::size_t width = 2; width <= layers.size(); width *= 2) {
      const std::vector<double>& half = largest_transient.back();
      std::vector<double> next(layers.size() - width + 1);
      for (std::size_t i = 0; i < next.size(); ++i) next[i] = std::max(half[i], half[i + width / 2]);
      largest_transient.push_back(std::move(next));
    }
  }
  // The largest transient_bytes of layers [begin, end), begin < end.
  double stage_transient(std::size_t begin, std::size_t end) const {
    std::size_t level = 0;
    while ((std::size_t{2} << level) <= end - begin) ++level;
    const std::vector<double>& row = largest_transient[level];
    return std::max(row[begin], row[end - (std::size_t{1} << level)]);
  }
  double stage_time(std::size_t begin, std::size_t end) const { return time[end] - time[begin]; }
};

class Partitioner {
 public:
  explicit Partitioner(const PartitionRequest& request)
      : request_(request), prefix_(request.layers), layers_(request.layers.size()) {}

  std::vector<StageSplit> run() {
    const double bottleneck = solve(Objective::Bottleneck, kInfinity);
    if (bottleneck == kInfinity) explain_infeasible();
    // Second pass: the most even split among those that reach the bottleneck.
    solve(Objective::SumOfSquares, bottleneck * (1 + kRelativeTolerance) + 1e-300);
    return backtrack();
  }

  double stage_memory(std::size_t stage, std::size_t begin, std::size_t end) const {
    const double stashes = request_.stashes.empty() ? 1.0 : request_.stashes[stage];
    return prefix_.static_bytes[end] - prefix_.static_bytes[begin] +
           stashes * (prefix_.activation_bytes[end] - prefix_.activation_bytes[begin]) +
           prefix_.stage_transient(begin, end);
  }

 private:
  enum class Objective { Bottleneck, SumOfSquares };

  bool fits(std::size_t stage, std::size_t begin, std::size_t end) const {
    return !request_.memory_cap_bytes || stage_memory(stage, begin, end) <= *request_.memory_cap_bytes;
  }

  // value_[k][i]: best objective for layers [0, i) in stages 0..k; choice_[k][i]: where
  // stage k starts. Returns the optimum over all L layers in S stages (infinity if none).
  // Stage times above `time_limit` are not allowed.
  double solve(Objective objective, double time_limit) {
    const std::size_t stages = request_.stages;
    value_.assign(stages, std::vector<double>(layers_ + 1, kInfinity));
    choice_.assign(stages, std::vector<std::size_t>(layers_ + 1, 0));
    const auto combine = [objective](double before, double time) {
      return objective == Objective::Bottleneck ? std::max(before, time) : before + time * time;
    };
    const auto tolerance = [](double value) { return kRelativeTolerance * std::fabs(value); };
    const bool larger_early_stages = request_.ties == TieBreak::LargerEarlyStages;
    for (std::size_t end = 1; end + stages - 1 <= layers_; ++end) {
      const double time = prefix_.stage_time(0, end);
      if (time <= time_limit && fits(0, 0, end)) value_[0][end] = combine(0.0, time);
    }
    for (std::size_t stage = 1; stage < stages; ++stage) {
      // Stage `stage` covers [begin, end): at least one layer for it and for each earlier
      // stage, and one left for each later stage.
      for (std::size_t end = stage + 1; end + (stages - 1 - stage) <= layers_; ++end) {
        double best = kInfinity;
        std::size_t best_begin = 0;
        for (std::size_t begin = end - 1; begin >= stage; --begin) {
          const double time = prefix_.stage_time(begin, end);
          // Both bounds only grow as the stage reaches further back: stop early.
          if (time > time_limit || !fits(stage, begin, end)) break;
          if (objective == Objective::Bottleneck && time > best) break;
          const double before = value_[stage - 1][begin];
          if (before < kInfinity) {
            const double candidate = combine(before, time);
            // Starts are tried from the latest back. A tie (up to rounding in the prefix
            // sums) moves the start earlier only when earlier stages should be smaller.
            const bool wins = best == kInfinity ||
                              (larger_early_stages ? candidate < best - tolerance(best)
                                                   : candidate <= best + tolerance(best));
            if (wins) {
              best = std::min(best, candidate);
              best_begin = begin;
            }
          }
          if (begin == 0) break;
        }
        value_[stage][end] = best;
        choice_[stage][end] = best_begin;
      }
    }
    return value_[stages - 1][layers_];
  }

  std::vector<StageSplit> backtrack() const {
    std::vector<StageSplit> splits(request_.stages);
    std::size_t end = layers_;
    for (std::size_t stage = request_.stages; stage-- > 0;) {
      const std::size_t begin = stage == 0 ? 0 : choice_[stage][end];
      StageSplit& split = splits[stage];
      split.first_layer = static_cast<std::uint32_t>(begin);
      split.layer_count = static_cast<std::uint32_t>(end - begin);
      split.time_ms = prefix_.stage_time(begin, end);
      split.memory_bytes = stage_memory(stage, begin, end);
      end = begin;
    }
    return splits;
  }

  [[noreturn]] void explain_infeasible() const {
    const double cap = *request_.memory_cap_bytes;
    for (std::size_t layer = 0; layer < layers_; ++layer) {
      // A layer fits best on the stage holding the fewest stashes.
      double smallest = kInfinity;
      for (std::size_t stage = 0; stage < request_.stages; ++stage) {
        smallest = std::min(smallest, stage_memory(stage, layer, layer + 1));
      }
      if (smallest > cap) {
        throw Error("layer " + std::to_string(layer) + " alone needs " + format_bytes(smallest) +
                    ", more than the " + format_bytes(cap) + " memory cap");
      }
    }
    throw Error("no split of " + std::to_string(layers_) + " layers into " +
                std::to_string(request_.stages) + " stages keeps every stage within the " +
                format_bytes(cap) + " memory cap");
  }

  const PartitionRequest& request_;
  Prefix prefix_;
  std::size_t layers_;
  std::vector<std::vector<double>> value_;
  std::vector<std::vector<std::size_t>> choice_;
};

bool all_layers_equal(const std::vector<PartitionLayer>& layers) {
  return std::all_of(layers.begin(), layers.end(), [&](const PartitionLayer& layer) {
    return layer.time_ms == layers.front().time_ms &&
           layer.static_bytes == layers.front().static_bytes &&
           layer.activation_bytes == layers.front().activation_bytes &&
           layer.transient_bytes == layers.front().transient_bytes;
  });
}

// The dynamic program's answer for identical layers without a cap, in O(S): L mod S stages
// of ceil(L/S) layers and the rest of floor(L/S) (the most even split), the larger ones
// last or first as request.ties says.
std::vector<StageSplit> even_split(const PartitionRequest& request) {
  const std::size_t layers = request.layers.size();
  const std::size_t stages = request.stages;
  const std::size_t larger = layers % stages;
  const PartitionLayer& layer = request.layers.front();
  std::vector<StageSplit> splits(stages);
  std::size_t first = 0;
  for (std::size_t stage = 0; stage < stages; ++stage) {
    const bool takes_one_more = request.ties == TieBreak::LargerEarlyStages
                                    ? stage < larger
                                    : stage >= stages - larger;
    const std::size_t count = layers / stages + (takes_one_more ? 1 : 0);
    const double stashes = request.stashes.empty() ? 1.0 : request.stashes[stage];
    splits[stage].first_layer = static_cast<std::uint32_t>(first);
    splits[stage].layer_count = static_cast<std::uint32_t>(count);
    splits[stage].time_ms = static_cast<double>(count) * layer.time_ms;
    splits[stage].memory_bytes =
        static_cast<double>(count) * (layer.static_bytes + stashes * layer.activation_bytes) +
        layer.transient_bytes;
    first += count;
  }
  return splits;
}

}  // namespace

std::vector<StageSplit> partition_layers(const PartitionRequest& request) {
  const std::size_t layers = request.layers.size();
  if (request.stages == 0) throw Error("the number of stages must be at least 1");
  if (request.stages > layers) {
    throw Error("cannot split " + std::to_string(layers) + " layers into " +
                std::to_string(request.stages) + " stages: each stage needs at least one layer");
  }
  if (!request.stashes.empty() && request.stashes.size() != request.stages) {
    throw Error("stashes per stage: expected " + std::to_string(request.stages) + " values, got " +
                std::to_string(request.stashes.size()));
  }
  for (std::size_t i = 0; i < layers; ++i) {
    const PartitionLayer& layer = request.layers[i];
    for (const double value : {layer.time_ms, layer.static_bytes, layer.activation_bytes, layer.transient_bytes}) {
      if (!std::isfinite(value) || value < 0) {
        throw Error("layer " + std::to_string(i) + " has a negative or non-finite cost (" +
                    format_number(value) + ")");
      }
    }
  }
  if (!request.memory_cap_bytes && all_layers_equal(request.layers)) return even_split(request);
  return Partitioner(request).run();
}

std::vector<StageSplit> greedy_partition(const std::vector<PartitionLayer>& layers,
                                         std::uint32_t stages) {
  const Prefix prefix(layers);
  // The mean, widened by the rounding of the prefix sums so equal layers fill evenly.
  const double target = prefix.time.back() / stages * (1 + kRelativeTolerance);
  std::vector<StageSplit> splits;
  std::size_t begin = 0;
  for (std::uint32_t stage = 0; stage < stages; ++stage) {
    const std::size_t later_stages = stages - 1 - stage;
    std::size_t end = begin + 1;
    if (stage + 1 == stages) {
      end = layers.size();
    } else {
      while (end + 1 + later_stages <= layers.size() && prefix.stage_time(begin, end + 1) <= target) {
        ++end;
      }
    }
    StageSplit split;
    split.first_layer = static_cast<std::uint32_t>(begin);
    split.layer_count = static_cast<std::uint32_t>(end - begin);
    split.time_ms = prefix.stage_time(begin, end);
    splits.push_back(split);
    begin = end;
  }
  return splits;
}

}  // namespace pipewise
