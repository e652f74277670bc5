#include "tools/cli/recommend_json.hpp"

#include <nlohmann/json.hpp>

#include "tools/cli/recommend_report.hpp"

namespace pipewise::tools {
namespace {

using nlohmann::ordered_json;

template <typename T>
ordered_json or_null(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

ordered_json candidate_json(const ModelDescription& model, const Candidate& candidate, std::size_t rank) {
  const PipelineShape& shape = candidate.shape;
  const PointMetrics& metrics = *candidate.metrics;
  return {{"rank", rank},
          {"schedule", candidate.schedule},
          {"tensor", shape.tensor.size},
          {"sequence_parallel", shape.tensor.size > 1 && shape.tensor.sequence_parallel},
          {"context", shape.context},
          {"pipeline", shape.devices},
          {"chunks", shape.chunks},
          {"data", shape.replicas},
          {"microbatches", candidate.microbatches},
          {"micro_batch_size", shape.micro_batch_size},
          {"recompute", recompute_name(shape.recompute)},
          {"recompute_layers", shape.recompute == Recompute::Block ? ordered_json(shape.recompute_layers)
                                                                   : ordered_json(nullptr)},
          {"distributed_optimizer", shape.distributed_optimizer},
          {"split", split_name(shape.split)},
          {"step_ms", metrics.makespan_ms},
          {"mfu", or_null(model_flops_utilization(model, candidate))},
          {"bubble", metrics.bubble_ratio},
          {"peak_bytes", metrics.peak_bytes},
          {"peak_device", metrics.peak_device},
          {"static_bytes", metrics.static_bytes},
          {"headroom_bytes", candidate.headroom_bytes},
          {"megatron_bytes", model.transformer ? ordered_json(candidate.megatron_bytes) : ordered_json(nullptr)},
          {"megatron_flags", or_null(megatron_flags(model, candidate))},
          {"parallel_flags", parallel_flags(model, candidate)},
          {"runs_in", schedule_runtime(candidate.schedule)}};
}

}  // namespace

std::string recommendation_json(const ModelDescription& model, const Recommendation& recommendation,
                                std::size_t top, const Result<SearchResult>* schedule_search) {
  const std::size_t invalid =
      recommendation.candidates.size() - recommendation.fitting - recommendation.exceeding -
      recommendation.skipped;
  ordered_json configurations = ordered_json::array();
  for (const Candidate& candidate : recommendation.candidates) {
    if (configurations.size() == top) break;
    if (!candidate.is_answer()) continue;
    configurations.push_back(candidate_json(model, candidate, configurations.size() + 1));
  }
  ordered_json document = {{"schema", "pipewise.recommendation"},
                           {"version", 1},
                           {"model", model.name},
                           {"devices", model.device.count},
                           {"device", model.device.hardware.name},
                           {"memory_cap_bytes", recommendation.memory_cap_bytes},
                           {"searched", recommendation.candidates.size()},
                           {"fitting", recommendation.fitting},
                           {"dominated", recommendation.dominated},
                           {"exceeding", recommendation.exceeding},
                           {"over_cap_unsimulated", recommendation.over_cap_unsimulated},
                           {"invalid", invalid},
                           {"skipped", recommendation.skipped},
                           {"configurations", configurations}};
  if (schedule_search != nullptr) {
    if (schedule_search->ok()) {
      const SearchResult& found = **schedule_search;
      document["schedule_search"] = {
          {"origin", found.best.origin},
          {"chunks", found.best.problem.chunks},
          {"placement", placement_name(found.best.problem.placement)},
          {"step_ms", found.best.makespan_ms},
          {"peak_bytes", found.best.peak_bytes},
          {"lower_bound_ms", found.lower_bound_ms},
          {"best_hand_written", found.best_named ? ordered_json(found.best_named->origin) : ordered_json(nullptr)},
          {"best_hand_written_step_ms",
           found.best_named ? ordered_json(found.best_named->makespan_ms) : ordered_json(nullptr)}};
    } else {
      document["schedule_search"] = {{"error", schedule_search->status().reason()}};
    }
  }
  return document.dump(2) + "\n";
}

}  // namespace pipewise::tools
