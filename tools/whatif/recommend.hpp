#pragma once
// `pipewise recommend`'s engine: enumerate the pipeline configurations a model and a
// device count allow (candidates.hpp), simulate each, and rank them by step time under the
// model's memory cap. The answers are data; tools/cli/recommend_report.hpp words them.
#include <cstddef>
#include <optional>
#include <vector>

#include "tools/whatif/candidates.hpp"

namespace pipewise::tools {

struct Recommendation {
  double memory_cap_bytes = 0;
  // Every configuration: the answers by step time, then the dominated fitting ones, then
  // those that exceed the cap by
  // step time (simulated ones before those whose static memory alone exceeds it), then the
  // invalid ones, then the skipped ones.
  std::vector<Candidate> candidates;
  std::size_t fitting = 0;
  // Among `fitting`, ranked after the others: block recomputation of more layers than a
  // fitting one of the same layout (Candidate::dominated). The answers are the first
  // answers() candidates.
  std::size_t dominated = 0;
  std::size_t answers() const { return fitting - dominated; }
  std::size_t exceeding = 0;
  std::size_t skipped = 0;  // valid, not simulated: they cannot be among the answers
  std::size_t over_cap_unsimulated = 0;  // among `exceeding`: known over the cap unsimulated
  std::optional<double> target_bubble;         // RecommendOptions::target_bubble
  std::vector<TargetBubblePlan> target_plans;  // one per valid p when it is set
};

// Simulates every valid candidate on options.threads threads: derives its costs from
// `model`, prunes it without simulating when its static memory alone exceeds the cap
// (flushed schedules hold one weight version), and fills its metrics, fits and headroom. A
// layout the costs or the schedule reject becomes invalid with the reason; a balanced split
// that repeats the even one is dropped. Unless options.exhaustive, candidates are simulated
// in waves in the order of their lower bounds, and one whose bound is already slower than
// the answers it could be is skipped (Candidate::skipped), and one that Megatron-LM's
// accounting or its program's memory peaks already put over the cap is simulated only while
// its bound could beat the best that fits and be among the kOverCapAnswers fastest over the
// cap (Candidate::over_cap_unsimulated): the answers (the options.exact_answers best that
// fit, the best of each schedule and of each p, the fastest ones over the cap that beat the
// best) are those exhaustive simulation gives.
void evaluate_candidates(const ModelDescription& model, std::vector<Candidate>& candidates,
                         const RecommendOptions& options);

// Orders evaluated candidates as Recommendation::candidates describes (skipped ones after
// the invalid ones); ties in step time go to the smaller peak memory, then to enumeration
// order.
void rank_candidates(std::vector<Candidate>& candidates);

// The shape whose stages are the model stages of `problem` (what pipeline_costs splits the
// model into): `shape` itself, but with v = 1 for bidirectional placement, which splits the
// model into p stages (each device holds two of them, one per copy).
PipelineShape model_stage_shape(PipelineShape shape, const Problem& problem);

// Searches the configurations of `model` on its devices under its memory cap
// (model.device.hardware.memory_bytes): enumerate, evaluate, rank. Throws pipewise::Error when a
// single layer does not fit the cap on any configuration ("layer 0 (transformer) alone
// needs ..."), since then nothing can, or when the options leave nothing to search.
Recommendation recommend(const ModelDescription& model, const RecommendOptions& options);

}  // namespace pipewise::tools
