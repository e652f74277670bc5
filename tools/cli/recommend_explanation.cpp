#include "tools/cli/recommend_explanation.hpp"

#include <cmath>
#include <fmt/format.h>

#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"
#include "sim/closed_forms.hpp"

namespace pipewise::tools {

std::string explain_versus_best(const Candidate& candidate, const Candidate& best,
                                double memory_cap_bytes) {
  if (!candidate.validity.ok()) return "invalid: " + candidate.validity.reason();
  if (!candidate.metrics && candidate.over_cap_unsimulated) {
    return fmt::format("exceeds memory: {} {} of {} (not simulated: it could be no answer)",
                       candidate.peak_by_megatron_accounting ? "Megatron-LM's accounting puts its first stage at"
                                                             : "its program's fullest device needs",
                       format_bytes(candidate.unsimulated_peak_bytes), format_bytes(memory_cap_bytes));
  }
  if (!candidate.metrics) {
    return fmt::format("exceeds memory: weights, gradients and optimizer state alone need {} of {}",
                       format_bytes(candidate.static_bytes), format_bytes(memory_cap_bytes));
  }
  const PointMetrics& result = *candidate.metrics;
  if (!candidate.fits) {
    std::string text = fmt::format("exceeds memory by {} on device {}",
                                   format_bytes(result.peak_bytes - memory_cap_bytes),
                                   result.peak_device);
    if (best.metrics && result.makespan_ms < best.metrics->makespan_ms) {
      text += " (would be " + format_percent(1 - result.makespan_ms / best.metrics->makespan_ms) +
              " faster)";
    }
    return text;
  }
  // A candidate that fits ranks after the best, which therefore fits and was simulated.
  const PointMetrics& best_result = *best.metrics;
  const double slower = result.makespan_ms / best_result.makespan_ms - 1;
  if (&candidate == &best) return "best";
  if (std::fabs(slower) < 5e-4) return "ties with the best (within 0.05%)";
  // step = mean busy / (1 − bubble): split the slowdown into its compute and idle factors.
  const double compute = std::log(result.mean_busy_ms / best_result.mean_busy_ms);
  const double idle = std::log((1 - best_result.bubble_ratio) / (1 - result.bubble_ratio));
  const auto compute_reason = [&] {
    const double extra = result.mean_busy_ms / best_result.mean_busy_ms - 1;
    if (recompute_label(candidate.shape) != recompute_label(best.shape) &&
        candidate.shape.recompute != Recompute::None) {
      return fmt::format("{} recomputation ({:+.1f}% compute per device)", recompute_label(candidate.shape),
                         extra * 100);
    }
    return fmt::format("more compute per device ({:+.1f}%)", extra * 100);
  };
  const auto idle_reason = [&] {
    // Without a pipeline, idle time can only be waiting for the gradient all-reduce.
    if (candidate.shape.devices == 1 && candidate.shape.replicas > 1) {
      return fmt::format("waits for the data-parallel all-reduce ({} of the step idle vs {})",
                         format_percent(result.bubble_ratio), format_percent(best_result.bubble_ratio));
    }
    return fmt::format("larger bubble ({} vs {})", format_percent(result.bubble_ratio),
                       format_percent(best_result.bubble_ratio));
  };
  std::string text = format_percent(slower) + " slower: ";
  if (compute >= idle) {
    text += compute_reason();
    // A difference the printed figures would not show ("34.1% vs 34.1%") goes unsaid.
    const std::string bubble = format_percent(result.bubble_ratio);
    const std::string best_bubble = format_percent(best_result.bubble_ratio);
    if (idle < -1e-4 && bubble != best_bubble) {
      text += fmt::format(", despite a smaller bubble ({} vs {})", bubble, best_bubble);
    } else if (idle > 1e-3) {
      text += " and " + idle_reason();
    }
  } else {
    text += idle_reason();
    const std::string less = fmt::format("{:+.1f}%", (result.mean_busy_ms / best_result.mean_busy_ms - 1) * 100);
    if (compute < -1e-4 && less != "-0.0%") {
      text += ", despite less compute per device (" + less + ")";
    } else if (compute > 1e-3) {
      text += " and " + compute_reason();
    }
  }
  return text;
}

std::vector<std::string> rule_of_thumb_warnings(const Candidate& candidate, const ModelDescription& model) {
  std::vector<std::string> warnings;
  const PipelineShape& shape = candidate.shape;
  const Placement placement = find_schedule(candidate.schedule).placement;
  if (shape.devices > 1 && std::uint64_t{candidate.microbatches} < 4ull * shape.devices) {
    // The closed form is that of looped placement (1F1B, interleaved).
    warnings.push_back(
        placement == Placement::Looped
            ? fmt::format("m = {} < 4p = {} (rule of thumb m >= 4p): the flushed bubble (p-1)/(v·m+p-1) is {}",
                          candidate.microbatches, 4 * shape.devices,
                          format_percent(sim::flushed_bubble_ratio(shape.devices, candidate.microbatches,
                                                                   shape.chunks)))
            : fmt::format("m = {} < 4p = {} (rule of thumb m >= 4p)", candidate.microbatches,
                          4 * shape.devices));
  }
  // Bidirectional placement (DualPipe) splits the model into p stages, one copy per direction.
  const bool bidirectional = placement == Placement::Bidirectional;
  const std::uint64_t stages = std::uint64_t{shape.devices} * (bidirectional ? 1 : shape.chunks);
  const std::uint32_t layers = model.layer_count();
  if (model.transformer && shape.split == LayerSplit::Even && layers % stages != 0) {
    warnings.push_back(fmt::format("{} = {}, which does not divide the {} layers: stages are uneven and the "
                                   "slowest one sets the pace",
                                   bidirectional ? "p" : "p·v", stages, layers));
  }
  return warnings;
}

}  // namespace pipewise::tools
