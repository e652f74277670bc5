#pragma once
// The configurations `pipewise recommend` searches: every way a model and a device count
// allow to lay it out (tensor parallelism t with or without sequence parallelism, context
// parallelism cp, schedule, p, v, d, micro-batch size, recomputation, distributed
// optimizer, the layer split), each valid or invalid with the reason, before anything is
// simulated. Every t (tensor_parallel_sizes) meets every cp (context_parallel_sizes) whose
// product with it divides the devices.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ir/status.hpp"
#include "tools/model/model_description.hpp"
#include "tools/whatif/pipeline_costs.hpp"
#include "tools/whatif/point_simulation.hpp"

namespace pipewise::tools {

// What to search. Empty lists mean "the defaults" described on each field.
struct RecommendOptions {
  // Flushed schedules (naive, gpipe, 1f1b, interleaved): asynchronous ones change the
  // training semantics (stale weights) and are only searched when named.
  std::vector<std::string> schedules;
  // p: every divisor of devices / (t·cp) up to L (only devices / (t·cp·d) when d is fixed).
  std::vector<std::uint32_t> stages;
  // v for schedules with chunks: every v >= 2 up to 16 with L / p a multiple of v
  // (Megatron-LM's rule: each chunk holds the same number of layers), and for transformers
  // those where (L + 2) / p is, the embedding and the loss counted as layers.
  std::vector<std::uint32_t> chunks;
  // off, selective and block (transformers only), and full. Block tries every N from 1 to
  // one layer short of the most a stage holds; of a layout's block candidates that fit,
  // only the one with the fewest recomputed layers is an answer, and none where the
  // layout fits without recomputation (Candidate::dominated).
  std::vector<Recompute> recompute;
  // With Recompute::Block in `recompute`: this N only (block:N), instead of every N.
  std::optional<std::uint32_t> recompute_layers;
  // t: what the model fixes, else every divisor of the GPUs per node that divides the
  // heads, the query groups and the devices; with t > 1 sequence parallelism on and off
  // unless the model fixes it. The distributed optimizer on and off when d > 1 unless the
  // model fixes it. Transformers with v = 1 and p >= 2 try the even split (when p divides
  // L) and the balanced one; with v > 1 the even split, or where p·v does not divide L but
  // divides L + 2, the embedding and the loss counted as layers.
  // Adds, for each p, the micro-batch size whose m first reaches this bubble ratio.
  std::optional<double> target_bubble;
  unsigned threads = 1;
  // The fitting configurations the answer lists (the report's --top): they, the best of
  // each schedule and of each p are exact. A configuration whose schedule-free lower bound
  // (sim/bounds.hpp) is slower than all of those it could be is skipped unsimulated
  // (Candidate::skipped), unless `exhaustive`.
  std::size_t exact_answers = 10;
  bool exhaustive = false;
};

// How many configurations over the memory cap an answer shows: the fastest ones, when they
// beat the best that fits (or when nothing fits). They are exact too.
inline constexpr std::size_t kOverCapAnswers = 3;

// One configuration and, once evaluated (recommend.hpp), how it did.
struct Candidate {
  std::string schedule;
  PipelineShape shape;             // t, p, v, d, micro-batch size, recomputation, ...
  std::uint32_t microbatches = 0;  // m = global batch / (micro-batch size · d)
  // Ok unless the configuration cannot be laid out or simulated: the devices, the batch,
  // the layers or the schedule do not allow it; the reason says which.
  Status validity;
  // Weights, gradients and optimizer state of its fullest device (one weight version).
  double static_bytes = 0;
  // A balanced split that came out the same as the even one: dropped from the answer.
  bool duplicate = false;
  // Its simulation, unless it is invalid or its static memory alone exceeds the cap.
  std::optional<PointMetrics> metrics;
  // Simulated, no device exceeds the cap, and (for transformers) neither does Megatron-LM's
  // own accounting of it (megatron_bytes): an answer Megatron-LM would refuse is no answer.
  bool fits = false;
  // It fits, but so does its layout with block recomputation of fewer layers (or none),
  // which is faster: it fits and counts as fitting, but is no answer (is_answer).
  bool dominated = false;
  double megatron_bytes = 0;  // Megatron-LM's estimate of its first stage; 0: not a transformer
  double headroom_bytes = 0;  // cap − peak bytes (negative when over the cap)
  // No step can be shorter (sim::schedule_free_lower_bound); 0 when not derived.
  double lower_bound_ms = 0;
  // Not simulated: its lower bound is slower than the answers it could be (the
  // RecommendOptions::exact_answers best, the best of its schedule and of its p).
  bool skipped = false;
  // Not simulated: Megatron-LM's accounting (megatron_bytes) or the memory peaks of its
  // program (sim/program_memory.hpp, what the simulation would report) already exceed the
  // cap, and its lower bound is no faster than the best that fits. It counts among those
  // over the cap.
  bool over_cap_unsimulated = false;
  // With over_cap_unsimulated, the peak that showed it: its program's fullest device, or
  // Megatron-LM's accounting of its first stage (peak_by_megatron_accounting).
  double unsimulated_peak_bytes = 0;
  bool peak_by_megatron_accounting = false;

  // Whether the answers may list it: it fits and is not dominated.
  bool is_answer() const { return fits && !dominated; }

  // The largest device peak: simulated, the one that showed it over the cap unsimulated,
  // or else its static bytes.
  double peak_bytes() const {
    if (metrics) return metrics->peak_bytes;
    return over_cap_unsimulated ? unsimulated_peak_bytes : static_bytes;
  }
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

struct SearchSpace {
  std::vector<Candidate> candidates;           // in enumeration order, not yet evaluated
  std::vector<TargetBubblePlan> target_plans;  // one per valid p with a target bubble
};

// Every configuration of `model` (whose layers have `layer_count` entries) that `options`
// asks for, the invalid ones with their reason. Throws pipewise::Error when the options
// leave nothing to search.
SearchSpace enumerate_candidates(const ModelDescription& model, std::uint32_t layer_count,
                                 const RecommendOptions& options);

}  // namespace pipewise::tools
