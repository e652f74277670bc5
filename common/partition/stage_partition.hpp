#pragma once
// Splitting L layers into S contiguous pipeline stages so that the slowest stage is as fast
// as possible, optionally under a per-stage memory cap. Exact (dynamic programming), not
// greedy: filling stages up to the average in order can miss the optimum.
#include <cstdint>
#include <optional>
#include <vector>

namespace pipewise {

// What one layer costs a stage that holds it.
struct PartitionLayer {
  double time_ms = 0;           // forward + backward of one micro-batch
  double static_bytes = 0;      // weights, gradients, optimizer state
  double activation_bytes = 0;  // stashed per micro-batch in flight
  // Held only while the layer's backward runs, one layer at a time (the activations full
  // recomputation rebuilds): a stage needs its largest layer's.
  double transient_bytes = 0;
};

// The memory a stage needs: Σ static_bytes + stashes[k] · Σ activation_bytes + max
// transient_bytes for stage k, where stashes[k] is how many micro-batches stage k holds at
// once (1F1B: S − k).
// Which of two equally good splits wins (same bottleneck, same Σ time², up to rounding).
enum class TieBreak : std::uint8_t {
  // Smaller early stages: under 1F1B they hold the most activations (the what-if default).
  SmallerEarlyStages,
  // Larger early stages, as numpy.array_split and PyTorch's pipelining split layers: the
  // executor's MLP follows it, so a model splits as its users expect.
  LargerEarlyStages,
};

struct PartitionRequest {
  std::vector<PartitionLayer> layers;
  std::uint32_t stages = 1;
  std::vector<double> stashes;             // one per stage; empty means 1 for every stage
  std::optional<double> memory_cap_bytes;  // per stage
  TieBreak ties = TieBreak::SmallerEarlyStages;
};

struct StageSplit {
  std::uint32_t first_layer = 0;
  std::uint32_t layer_count = 0;
  double time_ms = 0;
  double memory_bytes = 0;
};

// The split minimising the slowest stage's time, every stage non-empty and within the
// memory cap; among those, the one with the most even stage times (least Σ time²); among
// those, the one `request.ties` prefers.
// Cost O(S·L²) at worst, far less for balanced layers. Throws pipewise::Error when S is 0
// or exceeds L, when stashes has the wrong length, when a cost is negative or not finite,
// or when no split fits the cap ("layer 3 alone needs 90.0 GiB, more than the 80.0 GiB
// memory cap", or "no split of ... keeps every stage within the ... memory cap").
std::vector<StageSplit> partition_layers(const PartitionRequest& request);

// The simple greedy split users often write by hand: stages are filled in order while their
// time stays at most total / S (a stage takes at least one layer and leaves one for each
// later stage). For comparison in reports; it ignores memory. REQUIRES 1 <= S <= L.
std::vector<StageSplit> greedy_partition(const std::vector<PartitionLayer>& layers,
                                         std::uint32_t stages);

}  // namespace pipewise
