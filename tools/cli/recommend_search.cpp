#include "tools/cli/recommend_search.hpp"

#include <fmt/format.h>

#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"
#include "tools/whatif/pipeline_costs.hpp"

namespace pipewise::tools {

Result<SearchResult> search_best_configuration(const ModelDescription& model, const Candidate& best,
                                               unsigned threads) {
  const ScheduleInfo& schedule = find_schedule(best.schedule);
  const std::uint32_t p = best.shape.devices;
  const std::uint32_t m = best.microbatches;
  SearchOptions options;
  // Shapes whose model stages are the same split of the model as the best one's.
  PipelineShape layout = best.shape;
  if (schedule.placement == Placement::Bidirectional || best.shape.chunks == 1) {
    layout.chunks = 1;
    options.shapes.push_back(Problem{p, 1, m, 1, Placement::Looped});
    if (m % 2 == 0 && p > 1) options.shapes.push_back(Problem{p, 2, m, 1, Placement::Bidirectional});
  } else {
    options.shapes.push_back(Problem{p, best.shape.chunks, m, 1, Placement::Looped});
    if (best.shape.chunks == 2) options.shapes.push_back(Problem{p, 2, m, 1, Placement::VShape});
  }
  Result<PipelineCosts> costs = pipeline_costs(model, layout);
  if (!costs.ok()) return costs.status();
  options.costs = costs->config;
  options.memory_cap_bytes = model.device.hardware.memory_bytes;
  options.threads = threads;
  return search_schedule(options);
}

std::string schedule_search_section(const Candidate& best, const Result<SearchResult>& found) {
  std::string text = "\nschedule search on the best configuration's costs (pipewise search, tools/search):\n";
  if (!found.ok()) return text + "  no schedule found: " + found.status().reason() + "\n";
  const SearchResult& result = *found;
  const double recommended_ms = best.metrics->makespan_ms;
  const Problem& problem = result.best.problem;
  text += fmt::format("  {}, v={} {}: {} per step, {} than {} as recommended ({}); lower bound {}, gap {}\n",
                      result.best.origin, problem.chunks, placement_name(problem.placement),
                      format_duration_ms(result.best.makespan_ms),
                      result.best.makespan_ms < recommended_ms
                          ? format_percent(1 - result.best.makespan_ms / recommended_ms) + " faster"
                          : "no faster",
                      best.schedule, format_duration_ms(recommended_ms),
                      format_duration_ms(result.lower_bound_ms),
                      result.gap_to_lower_bound ? format_percent(*result.gap_to_lower_bound) : "n/a");
  text += fmt::format("  ({} schedules tried in {:.2f} s, under the same memory cap as pipewise counts it)\n",
                      result.candidates.size(), result.seconds);
  return text;
}

}  // namespace pipewise::tools
