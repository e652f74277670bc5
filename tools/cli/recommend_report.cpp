#include "tools/cli/recommend_report.hpp"

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>

#include "common/text/format.hpp"
#include "common/text/text_table.hpp"
#include "tools/cli/recommend_explanation.hpp"

namespace pipewise::tools {
namespace {

// How many faster-but-too-big configurations are listed after the table.
constexpr std::size_t kExceedingShown = 3;

std::string candidate_name(const Candidate& candidate) {
  std::string name = fmt::format("{} p={}", candidate.schedule, candidate.shape.devices);
  if (candidate.shape.chunks > 1) name += fmt::format(" v={}", candidate.shape.chunks);
  name += fmt::format(" d={} m={} b={} recompute={}", candidate.shape.replicas, candidate.microbatches,
                      candidate.shape.micro_batch_size, recompute_name(candidate.shape.recompute));
  return name;
}

std::string plans_text(const Recommendation& recommendation, double target, std::uint64_t global) {
  std::string text = fmt::format(
      "\ntarget bubble {}: m >= (p-1)(1/{} - 1) for 1F1B, rounded up to an m the global batch {} "
      "allows (m·b·d = {}):\n",
      target >= 1e-4 ? format_percent(target) : format_number(target), format_number(target),
      global, global);
  for (const TargetBubblePlan& plan : recommendation.target_plans) {
    // A tiny target needs more micro-batches than a count holds (the need saturates).
    const std::string needed =
        plan.needed_microbatches == UINT64_MAX
            ? "more than 2^64 - 1"
            : fmt::format("{}", plan.needed_microbatches);
    text += fmt::format("  p = {:<3} d = {:<3} needs m >= {}: ", plan.devices, plan.replicas,
                        needed);
    if (plan.microbatches) {
      text += fmt::format("m = {} with micro-batch size {} (bubble {})\n", *plan.microbatches,
                          *plan.micro_batch_size, format_percent(plan.bubble));
    } else {
      text += fmt::format("unreachable: {} samples per replica allow at most m = {} (bubble {})\n",
                          global / plan.replicas, global / plan.replicas, format_percent(plan.bubble));
    }
  }
  return text;
}

// One line per value of `key` (p, or the schedule): the best fitting configuration with that
// value and how it compares with the overall best, or, when none fits, the smallest excess.
template <typename Key>
std::string best_per(const Recommendation& recommendation, const char* heading,
                     Key (*key)(const Candidate&), std::string (*key_text)(const Key&)) {
  std::vector<Key> order;
  std::vector<const Candidate*> best;
  std::vector<const Candidate*> closest;
  for (const Candidate& candidate : recommendation.candidates) {
    if (!candidate.validity.ok()) continue;
    const Key value = key(candidate);
    auto where = std::find(order.begin(), order.end(), value);
    if (where == order.end()) {
      order.push_back(value);
      best.push_back(nullptr);
      closest.push_back(nullptr);
      where = order.end() - 1;
    }
    const auto index = static_cast<std::size_t>(where - order.begin());
    if (candidate.fits && !best[index]) best[index] = &candidate;
    // The closest miss: simulated ones first, since a pruned one's peak counts only its
    // static bytes.
    const auto closer = [](const Candidate& a, const Candidate* b) {
      if (!b) return true;
      if (a.metrics.has_value() != b->metrics.has_value()) return a.metrics.has_value();
      return a.headroom_bytes > b->headroom_bytes;
    };
    if (!candidate.fits && closer(candidate, closest[index])) closest[index] = &candidate;
  }
  const Candidate& overall = recommendation.candidates.front();
  std::string text = std::string("\n") + heading + ":\n";
  for (std::size_t i = 0; i < order.size(); ++i) {
    text += "  " + key_text(order[i]) + ": ";
    if (best[i]) {
      text += candidate_name(*best[i]) + ", " + format_duration_ms(best[i]->metrics->makespan_ms) +
              ": " + explain_versus_best(*best[i], overall, recommendation.memory_cap_bytes) + "\n";
    } else {
      text += "nothing fits; the closest, " + candidate_name(*closest[i]) + ", " +
              explain_versus_best(*closest[i], overall, recommendation.memory_cap_bytes) + "\n";
    }
  }
  return text;
}

std::uint32_t pipeline_size(const Candidate& candidate) { return candidate.shape.devices; }
std::string pipeline_size_text(const std::uint32_t& p) { return fmt::format("p = {}", p); }
std::string schedule_of(const Candidate& candidate) { return candidate.schedule; }
std::string schedule_text(const std::string& schedule) { return schedule; }

// Every configuration was invalid: why, once per distinct reason.
std::string invalid_section(const Recommendation& recommendation) {
  std::vector<std::string> reasons;
  for (const Candidate& candidate : recommendation.candidates) {
    const std::string& reason = candidate.validity.reason();
    if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
      reasons.push_back(reason);
    }
  }
  std::string text = "no configuration is valid:\n";
  for (const std::string& reason : reasons) text += "  " + reason + "\n";
  return text;
}

// The `top` best fitting configurations, each compared with the best.
std::string ranked_table(const Recommendation& recommendation, std::size_t top) {
  using Align = TextTable::Align;
  TextTable table({{"#", Align::Right}, {"schedule"}, {"p", Align::Right}, {"v", Align::Right},
                   {"d", Align::Right}, {"m", Align::Right}, {"b", Align::Right}, {"recompute"},
                   {"step time", Align::Right}, {"bubble", Align::Right}, {"peak memory", Align::Right},
                   {"headroom", Align::Right}, {"versus the best"}});
  const std::vector<Candidate>& candidates = recommendation.candidates;
  for (std::size_t i = 0; i < std::min(top, recommendation.fitting); ++i) {
    const Candidate& candidate = candidates[i];
    table.add_row({std::to_string(i + 1), candidate.schedule, std::to_string(candidate.shape.devices),
                   std::to_string(candidate.shape.chunks), std::to_string(candidate.shape.replicas),
                   std::to_string(candidate.microbatches), std::to_string(candidate.shape.micro_batch_size),
                   std::string(recompute_name(candidate.shape.recompute)),
                   format_duration_ms(candidate.metrics->makespan_ms),
                   format_percent(candidate.metrics->bubble_ratio),
                   format_bytes(candidate.peak_bytes()),
                   format_bytes(candidate.headroom_bytes),
                   explain_versus_best(candidate, candidates.front(), recommendation.memory_cap_bytes)});
  }
  return table.render() +
         "(bubble: the idle share of device time: pipeline fill and drain, waits for messages and "
         "for the data-parallel all-reduce)\n";
}

// The configurations that would beat the best if memory allowed (or, when nothing fits,
// the fastest ones), with their excess.
std::string over_cap_section(const Recommendation& recommendation) {
  const std::vector<Candidate>& candidates = recommendation.candidates;
  std::string text;
  std::size_t shown = 0;
  for (const Candidate& candidate : candidates) {
    if (shown == kExceedingShown) break;
    if (candidate.fits || !candidate.metrics) continue;
    if (recommendation.fitting > 0 &&
        candidate.metrics->makespan_ms >= candidates.front().metrics->makespan_ms) {
      break;
    }
    if (shown++ == 0) {
      text += recommendation.fitting ? "\nfaster, but over the memory cap:\n" : "\nclosest configurations:\n";
    }
    text += fmt::format("  {}: step {}, peak {}: {}\n", candidate_name(candidate),
                        format_duration_ms(candidate.metrics->makespan_ms),
                        format_bytes(candidate.peak_bytes()),
                        explain_versus_best(candidate, candidates.front(), recommendation.memory_cap_bytes));
  }
  return text;
}

// The rules of thumb the best configuration breaks, and how many of the shown ones do.
std::string warnings_section(const Recommendation& recommendation, std::size_t top, std::uint32_t layers) {
  const std::vector<Candidate>& candidates = recommendation.candidates;
  const auto warnings = rule_of_thumb_warnings(candidates.front(), layers);
  const std::size_t shown = std::min(top, recommendation.fitting);
  std::size_t broken = 0;
  for (std::size_t i = 0; i < shown; ++i) {
    if (!rule_of_thumb_warnings(candidates[i], layers).empty()) ++broken;
  }
  std::string text;
  if (!warnings.empty() || broken > 0) text += "\n";
  for (const std::string& warning : warnings) text += "warning: the best configuration has " + warning + "\n";
  if (broken > (warnings.empty() ? 0u : 1u)) {
    text += fmt::format("warning: {} of the {} configurations shown break a rule of thumb "
                        "(m >= 4p, p·v dividing the layers)\n",
                        broken, shown);
  }
  return text;
}

}  // namespace

std::string model_summary(const ModelDescription& model) {
  std::string text = model.name + ": ";
  const std::uint32_t layers = model.layer_count();
  if (model.transformer) {
    const TransformerShape& shape = *model.transformer;
    text += fmt::format("{} transformer layers (h = {}, s = {}, a = {})", layers, shape.hidden,
                        shape.sequence, shape.heads);
  } else {
    text += fmt::format("{} layers in {} group{}", layers, model.layers.size(),
                        model.layers.size() == 1 ? "" : "s");
  }
  const double parameters = total_parameters(model);
  if (parameters >= 1e9) {
    text += fmt::format(", {:.3g} billion parameters\n", parameters / 1e9);
  } else {
    text += fmt::format(", {:.3g} million parameters\n", parameters / 1e6);
  }
  const TensorParallelism& tensor = model.parallelism.tensor;
  text += fmt::format("  {} devices × {} at {} TFLOP/s; tensor parallel {}{}; global batch {}\n",
                      model.device.count, format_bytes(model.device.memory_bytes),
                      format_number(model.device.tflops), tensor.size,
                      tensor.size > 1 && tensor.sequence_parallel ? " with sequence parallelism" : "",
                      model.batch.global);
  text += fmt::format(
      "  pipeline links {} GB/s, {} us; data-parallel {} GB/s; {} B/parameter weights, {} B "
      "optimizer state{}\n",
      format_number(model.interconnect.bandwidth_gb_per_s),
      format_number(model.interconnect.latency_ms * 1000),
      format_number(model.interconnect.data_parallel_bandwidth_gb_per_s),
      format_number(model.training.weight_bytes_per_parameter),
      format_number(model.training.optimizer_state_bytes_per_parameter),
      model.training.distributed_optimizer ? " (distributed over d)" : "");
  return text;
}

std::string megatron_flags(const ModelDescription& model, const Candidate& candidate) {
  const PipelineShape& shape = candidate.shape;
  std::string flags = fmt::format(
      "--tensor-model-parallel-size {} --pipeline-model-parallel-size {}", model.parallelism.tensor.size,
      shape.devices);
  if (shape.chunks > 1) flags += fmt::format(" --virtual-pipeline-model-parallel-size {}", shape.chunks);
  flags += fmt::format(" --micro-batch-size {} --global-batch-size {}", shape.micro_batch_size,
                       model.batch.global);
  if (shape.recompute == Recompute::Selective) flags += " --recompute-granularity selective";
  if (shape.recompute == Recompute::Full) {
    flags += " --recompute-granularity full --recompute-method uniform --recompute-num-layers 1";
  }
  if (model.parallelism.tensor.size > 1 && model.parallelism.tensor.sequence_parallel) {
    flags += " --sequence-parallel";
  }
  if (model.training.distributed_optimizer) flags += " --use-distributed-optimizer";
  return flags;
}

std::string recommendation_report(const ModelDescription& model, const Recommendation& recommendation,
                                  std::size_t top, double seconds) {
  const std::vector<Candidate>& candidates = recommendation.candidates;
  const std::size_t invalid = candidates.size() - recommendation.fitting - recommendation.exceeding;
  std::string text = model_summary(model);
  text += fmt::format(
      "searched {} configurations in {:.2f} s: {} fit in {} per device, {} exceed it, {} are invalid\n\n",
      candidates.size(), seconds, recommendation.fitting,
      format_bytes(recommendation.memory_cap_bytes), recommendation.exceeding, invalid);
  if (recommendation.fitting == 0 && recommendation.exceeding == 0) {
    text += invalid_section(recommendation);
  } else if (recommendation.fitting == 0) {
    text += "no configuration fits the memory cap.\n";
  } else {
    text += ranked_table(recommendation, top);
  }
  text += over_cap_section(recommendation);
  if (recommendation.fitting > 0) {
    text += best_per<std::uint32_t>(recommendation, "best for each pipeline size", pipeline_size,
                                    pipeline_size_text);
    text += best_per<std::string>(recommendation, "best for each schedule", schedule_of, schedule_text);
    text += warnings_section(recommendation, top, model.layer_count());
  }
  if (recommendation.target_bubble) {
    text += plans_text(recommendation, *recommendation.target_bubble, model.batch.global);
  }
  if (recommendation.fitting > 0) {
    const Candidate& best = candidates.front();
    text += fmt::format("\nbest: {}\n  Megatron-LM: {}\n", candidate_name(best), megatron_flags(model, best));
  }
  return text;
}

}  // namespace pipewise::tools
