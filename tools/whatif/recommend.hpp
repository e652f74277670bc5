#pragma once
// `pipewise recommend`'s engine: enumerate the pipeline configurations a model and a
// device count allow, simulate each, and rank them by step time under a memory cap.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/model/model_description.hpp"
#include "tools/whatif/pipeline_costs.hpp"
#include "tools/whatif/point_simulation.hpp"

namespace pipewise::tools {

// What to search. Empty lists mean "the defaults" described on each field.
struct RecommendOptions {
  // Flushed schedules (naive, gpipe, 1f1b, interleaved): asynchronous ones change the
  // training semantics (stale weights) and are only searched when named.
  std::vector<std::string> schedules;
  // p: every divisor of devices / t up to L (only devices / (t·d) when d is fixed).
  std::vector<std::uint32_t> stages;
  // v for schedules with chunks: every v >= 2 up to 16 with L / p a multiple of v
  // (Megatron-LM's rule: each chunk holds the same number of layers).
  std::vector<std::uint32_t> chunks;
  // off, selective (transformers only) and full.
  std::vector<Recompute> recompute;
  // Adds, for each p, the micro-batch size whose m first reaches this bubble ratio.
  std::optional<double> target_bubble;
  unsigned threads = 1;
};

// One configuration and how it did.
struct Candidate {
  std::string schedule;
  PipelineShape shape;             // p, v, d, micro-batch size, recomputation
  std::uint32_t microbatches = 0;  // m = global batch / (micro-batch size · d)
  PointResult result;              // !ran: invalid, with the reason
  bool fits = false;               // ran and no device exceeds the cap
  double headroom_bytes = 0;       // cap − peak (negative when it does not fit)
  bool skipped_by_static_memory = false;  // not simulated: weights alone exceed the cap
};

// For one p: the m that first reaches the target bubble, (p−1)(1/target − 1) rounded up,
// then up again to an m the global batch allows (global = m · b · d for a whole b).
struct TargetBubblePlan {
  std::uint32_t devices = 0;       // p
  std::uint32_t replicas = 0;      // d
  std::uint64_t needed_microbatches = 0;
  std::optional<std::uint32_t> microbatches;       // absent when the batch is too small
  std::optional<std::uint32_t> micro_batch_size;
  double bubble = 0;               // (p−1)/(m+p−1) at that m (or at the largest m possible)
};

struct Recommendation {
  double memory_cap_bytes = 0;
  // Every configuration: the fitting ones by step time, then those that exceed the cap by
  // step time, then the invalid ones.
  std::vector<Candidate> candidates;
  std::size_t fitting = 0;
  std::size_t exceeding = 0;
  std::optional<double> target_bubble;      // RecommendOptions::target_bubble
  std::vector<TargetBubblePlan> target_plans;  // one per valid p when it is set
};

// Searches the configurations of `model` on its devices under its memory cap
// (model.device.memory_bytes). Throws pipewise::Error when a single layer does not fit the
// cap on any configuration ("layer 0 (transformer) alone needs ...") or when the options
// leave nothing to search.
Recommendation recommend(const ModelDescription& model, const RecommendOptions& options);

// Why `candidate` is not `best`, in one phrase: "ties with the best", "2.3% slower: larger
// bubble (6.1% vs 3.9%)", "34.1% slower: full recomputation (+33.3% compute per device)",
// "exceeds memory by 4.1 GiB on device 0", "invalid: <reason>".
std::string explain_versus_best(const Candidate& candidate, const Candidate& best,
                                double memory_cap_bytes);

// Rules of thumb `candidate` breaks, one phrase each (e.g. "m = 12 < 4p = 32: expect a
// bubble above 20%").
std::vector<std::string> rule_of_thumb_warnings(const Candidate& candidate, std::uint32_t layers);

}  // namespace pipewise::tools
