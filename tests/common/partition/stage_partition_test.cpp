// The exact partitioner against an exhaustive search over every split of small models.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <string>

#include "common/ir/error.hpp"
#include "common/partition/stage_partition.hpp"

namespace pipewise {
namespace {

// The smallest bottleneck over every split of `layers` into `stages` non-empty stages that
// fits `cap` (infinity when none does), by trying every set of stage boundaries.
double exhaustive_bottleneck(const PartitionRequest& request) {
  const std::size_t layers = request.layers.size();
  double best = std::numeric_limits<double>::infinity();
  // Boundaries are a choice of stages − 1 cut points among layers − 1 gaps.
  std::vector<bool> cut(layers - 1, false);
  std::fill(cut.end() - static_cast<std::ptrdiff_t>(request.stages - 1), cut.end(), true);
  do {
    double bottleneck = 0;
    bool fits = true;
    std::size_t stage = 0;
    double time = 0, static_bytes = 0, activations = 0, transient = 0;
    for (std::size_t layer = 0; layer < layers; ++layer) {
      time += request.layers[layer].time_ms;
      static_bytes += request.layers[layer].static_bytes;
      activations += request.layers[layer].activation_bytes;
      transient = std::max(transient, request.layers[layer].transient_bytes);
      if (layer + 1 == layers || cut[layer]) {
        const double stashes = request.stashes.empty() ? 1.0 : request.stashes[stage];
        if (request.memory_cap_bytes &&
            static_bytes + stashes * activations + transient > *request.memory_cap_bytes) {
          fits = false;
        }
        bottleneck = std::max(bottleneck, time);
        time = static_bytes = activations = transient = 0;
        ++stage;
      }
    }
    if (fits) best = std::min(best, bottleneck);
  } while (std::next_permutation(cut.begin(), cut.end()));
  return best;
}

TEST(Partition, MatchesExhaustiveSearchOnRandomModels) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> small(1, 9);
  for (int trial = 0; trial < 300; ++trial) {
    PartitionRequest request;
    const std::size_t layers = 1 + random() % 9;
    request.stages = static_cast<std::uint32_t>(1 + random() % layers);
    for (std::size_t i = 0; i < layers; ++i) {
      // A third of the models rebuild activations during their backward (full recomputation).
      const double transient = trial % 3 == 0 ? double(small(random)) : 0.0;
      request.layers.push_back({double(small(random)), double(small(random)), double(small(random)), transient});
    }
    for (std::uint32_t k = 0; k < request.stages; ++k) request.stashes.push_back(request.stages - k);
    if (trial % 2) request.memory_cap_bytes = 10.0 + small(random) * 3;
    const double expected = exhaustive_bottleneck(request);
    if (expected == std::numeric_limits<double>::infinity()) {
      EXPECT_THROW(partition_layers(request), Error);
      continue;
    }
    const std::vector<StageSplit> splits = partition_layers(request);
    ASSERT_EQ(splits.size(), request.stages);
    double bottleneck = 0;
    std::uint32_t next = 0;
    for (std::size_t k = 0; k < splits.size(); ++k) {
      EXPECT_EQ(splits[k].first_layer, next);
      EXPECT_GE(splits[k].layer_count, 1u);
      next += splits[k].layer_count;
      bottleneck = std::max(bottleneck, splits[k].time_ms);
      if (request.memory_cap_bytes) {
        EXPECT_LE(splits[k].memory_bytes, *request.memory_cap_bytes);
      }
      double memory = 0;
      double transient = 0;
      for (std::uint32_t i = splits[k].first_layer; i < next; ++i) {
        memory += request.layers[i].static_bytes + request.stashes[k] * request.layers[i].activation_bytes;
        transient = std::max(transient, request.layers[i].transient_bytes);
      }
      EXPECT_DOUBLE_EQ(splits[k].memory_bytes, memory + transient) << "trial " << trial << ", stage " << k;
    }
    EXPECT_EQ(next, layers);
    EXPECT_DOUBLE_EQ(bottleneck, expected) << "trial " << trial;
  }
}

TEST(Partition, EvenLayersSplitEvenly) {
  PartitionRequest request;
  request.layers.assign(96, PartitionLayer{1.5, 0, 0});
  request.stages = 8;
  for (const StageSplit& split : partition_layers(request)) {
    EXPECT_EQ(split.layer_count, 12u);
    EXPECT_DOUBLE_EQ(split.time_ms, 18.0);
  }
}

TEST(Partition, AmongEqualBottlenecksPrefersEvenStagesThenSmallerEarlyOnes) {
  // Ten unit layers into four stages: bottleneck 3; the most even splits have two stages
  // of 3 and two of 2, and the early stages get the 2s.
  PartitionRequest request;
  request.layers.assign(10, PartitionLayer{1, 0, 0});
  request.stages = 4;
  std::vector<std::uint32_t> counts;
  for (const StageSplit& split : partition_layers(request)) counts.push_back(split.layer_count);
  EXPECT_EQ(counts, (std::vector<std::uint32_t>{2, 2, 3, 3}));
}

TEST(Partition, DynamicProgramAgreesWithTheClosedFormForEqualLayers) {
  // Equal layers without a cap take the O(S) closed form; a cap that binds nothing sends the
  // same request through the dynamic program, which must split the same way, for either
  // tie-break.
  for (const TieBreak ties : {TieBreak::SmallerEarlyStages, TieBreak::LargerEarlyStages}) {
    for (std::uint32_t layers = 1; layers <= 30; ++layers) {
      for (std::uint32_t stages = 1; stages <= layers; ++stages) {
        PartitionRequest request;
        request.layers.assign(layers, PartitionLayer{0.1, 0, 0});
        request.stages = stages;
        request.ties = ties;
        const std::vector<StageSplit> closed_form = partition_layers(request);
        request.memory_cap_bytes = 1.0;
        const std::vector<StageSplit> dynamic = partition_layers(request);
        for (std::uint32_t k = 0; k < stages; ++k) {
          EXPECT_EQ(closed_form[k].layer_count, dynamic[k].layer_count) << layers << " into " << stages;
        }
      }
    }
  }
}

// A request of layers costing `costs`, ties going to larger early stages as the executor
// splits its model.
PartitionRequest larger_early(const std::vector<double>& costs, std::uint32_t stages) {
  PartitionRequest request;
  for (const double cost : costs) request.layers.push_back({cost, 0, 0});
  request.stages = stages;
  request.ties = TieBreak::LargerEarlyStages;
  return request;
}

std::vector<std::uint32_t> layer_counts(const std::vector<StageSplit>& splits) {
  std::vector<std::uint32_t> counts;
  for (const StageSplit& split : splits) counts.push_back(split.layer_count);
  return counts;
}

TEST(Partition, LargerEarlyStagesSplitEqualCostsAsNumpyArraySplit) {
  // 8 unit-cost layers into 3 stages: 3 + 3 + 2 (numpy.array_split's convention).
  EXPECT_EQ(layer_counts(partition_layers(larger_early(std::vector<double>(8, 1), 3))),
            (std::vector<std::uint32_t>{3, 3, 2}));
  EXPECT_EQ(layer_counts(partition_layers(larger_early(std::vector<double>(10, 1), 4))),
            (std::vector<std::uint32_t>{3, 3, 2, 2}));
}

TEST(Partition, TheBottleneckIsMinimisedFirst) {
  // Costs 1 1 1 9 1 1 1 into 3: 1 1 1 | 9 | 1 1 1 reaches the least possible bottleneck,
  // 9; any other split puts the 9 with a neighbour (>= 10).
  EXPECT_EQ(layer_counts(partition_layers(larger_early({1, 1, 1, 9, 1, 1, 1}, 3))),
            (std::vector<std::uint32_t>{3, 1, 3}));
}

TEST(Partition, AmongEqualBottlenecksTheSpreadIsMinimised) {
  // Costs 4 1 1 1 1 into 2: the bottleneck is 4 at best ({4} | {1 1 1 1}), and that is
  // the only split reaching it.
  EXPECT_EQ(layer_counts(partition_layers(larger_early({4, 1, 1, 1, 1}, 2))),
            (std::vector<std::uint32_t>{1, 4}));
  // Costs 5 1 1 3 into 3: bottleneck 5 ({5} alone). {1}{1 3}: squares 25+1+16 = 42;
  // {1 1}{3}: 25+4+9 = 38. The second is chosen.
  EXPECT_EQ(layer_counts(partition_layers(larger_early({5, 1, 1, 3}, 3))),
            (std::vector<std::uint32_t>{1, 2, 1}));
}

TEST(Partition, ImpossibleSplitsAreRejectedWithTheReason) {
  try {
    partition_layers(larger_early(std::vector<double>(8, 1), 16));
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "cannot split 8 layers into 16 stages: each stage needs at least one layer");
  }
  EXPECT_THROW(partition_layers(larger_early({1, 2}, 0)), Error);
}

TEST(Partition, GreedyFillsToTheMeanAndCanMissTheOptimum) {
  // 2, 2, 2, 3 into 3: greedy takes [2] [2] [2, 3] = 5; the optimum is 4.
  const std::vector<PartitionLayer> layers = {{2, 0, 0}, {2, 0, 0}, {2, 0, 0}, {3, 0, 0}};
  std::vector<std::uint32_t> greedy;
  for (const StageSplit& split : greedy_partition(layers, 3)) greedy.push_back(split.layer_count);
  EXPECT_EQ(greedy, (std::vector<std::uint32_t>{1, 1, 2}));
  PartitionRequest request;
  request.layers = layers;
  request.stages = 3;
  double bottleneck = 0;
  for (const StageSplit& split : partition_layers(request)) bottleneck = std::max(bottleneck, split.time_ms);
  EXPECT_DOUBLE_EQ(bottleneck, 4.0);
}

TEST(Partition, RejectsImpossibleRequests) {
  PartitionRequest request;
  request.layers.assign(3, PartitionLayer{1, 0, 0});
  request.stages = 4;
  EXPECT_THROW(partition_layers(request), Error);
  request.stages = 0;
  EXPECT_THROW(partition_layers(request), Error);
  request.stages = 2;
  request.stashes = {1};
  EXPECT_THROW(partition_layers(request), Error);
  request.stashes.clear();
  request.layers[1].time_ms = -1;
  EXPECT_THROW(partition_layers(request), Error);
}

}  // namespace
}  // namespace pipewise
