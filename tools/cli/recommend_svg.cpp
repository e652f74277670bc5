#include "tools/cli/recommend_svg.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "common/schedules/registry.hpp"
#include "common/text/format.hpp"
#include "sim/engine.hpp"
#include "tools/cli/configuration_chart.hpp"
#include "tools/cli/recommend_report.hpp"
#include "tools/whatif/pipeline_costs.hpp"

namespace pipewise::tools {
namespace {

std::string row_label(const Candidate& candidate) {
  std::string label = fmt::format("{} t={}{}", candidate.schedule, candidate.shape.tensor.size,
                                  candidate.shape.tensor.sequence_parallel ? "+sp" : "");
  if (candidate.shape.context > 1) label += fmt::format(" cp={}", candidate.shape.context);
  label += fmt::format(" p={}", candidate.shape.devices);
  if (candidate.shape.chunks > 1) label += fmt::format(" v={}", candidate.shape.chunks);
  label += fmt::format(" d={} m={} b={} rc={}", candidate.shape.replicas, candidate.microbatches,
                       candidate.shape.micro_batch_size, recompute_label(candidate.shape));
  // Rows that differ only there are otherwise told apart by nothing.
  if (candidate.shape.distributed_optimizer) label += " dist-opt";
  if (candidate.shape.split != LayerSplit::Even) label += " balanced";
  return label;
}

// The simulator's timeline SVG of `candidate`, at m = 2p when the real m is larger.
TimelinePicture best_timeline(const ModelDescription& model, const Candidate& best) {
  Problem problem;
  problem.devices = best.shape.devices;
  problem.chunks = best.shape.chunks;
  problem.microbatches = std::min(best.microbatches, 2 * best.shape.devices);
  problem.placement = find_schedule(best.schedule).placement;
  const PipelineCosts costs = pipeline_costs(model, model_stage_shape(best.shape, problem)).value_or_throw();
  const Schedule schedule = generate_schedule(best.schedule, problem);
  sim::SimulationOptions options;
  options.record_timeline = true;
  options.timeline_name = "simulated";
  sim::SimulationResult run = sim::simulate(schedule, sim::resolve_costs(costs.config, problem), options);
  SvgOptions svg_options;
  svg_options.width_px = kChartTimelineWidth;
  TimelinePicture picture;
  picture.drawing = timeline_drawing({*run.timeline}, svg_options);
  picture.caption = problem.microbatches == best.microbatches
                        ? "timeline of the best configuration"
                        : fmt::format("timeline of the best configuration at m = {} instead of {} (same "
                                      "schedule, p, v and stage costs; at the real m the steady phase is longer)",
                                      problem.microbatches, best.microbatches);
  return picture;
}

}  // namespace

std::string recommendation_svg(const ModelDescription& model, const Recommendation& recommendation) {
  ConfigurationChart chart;
  chart.title = "pipewise recommend: " + model.name;
  const std::string summary = model_summary(model);
  chart.subtitles.push_back(summary.substr(0, summary.find('\n')));
  chart.subtitles.push_back(fmt::format("{} configurations searched: {} fit in {} per device, {} exceed it",
                                        recommendation.candidates.size(), recommendation.fitting,
                                        format_bytes(recommendation.memory_cap_bytes), recommendation.exceeding));
  chart.cap_bytes = recommendation.memory_cap_bytes;
  const auto add_row = [&](const Candidate& candidate) {
    chart.rows.push_back({row_label(candidate), candidate.metrics->makespan_ms, candidate.metrics->static_bytes,
                          candidate.metrics->peak_bytes, candidate.fits});
  };
  for (const Candidate& candidate : recommendation.candidates) {
    if (candidate.is_answer() && chart.rows.size() < kSvgFittingRows) add_row(candidate);
  }
  const double best_ms = recommendation.fitting ? recommendation.candidates.front().metrics->makespan_ms : 0;
  std::size_t exceeding = 0;
  for (const Candidate& candidate : recommendation.candidates) {
    if (candidate.fits || !candidate.metrics || exceeding == kOverCapAnswers) continue;
    if (recommendation.fitting && candidate.metrics->makespan_ms >= best_ms) break;
    add_row(candidate);
    ++exceeding;
  }
  if (recommendation.fitting) chart.timeline = best_timeline(model, recommendation.candidates.front());
  return configuration_chart_svg(chart);
}

}  // namespace pipewise::tools
