#include "tools/cli/recommend_svg.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "sim/engine.hpp"
#include "common/text/format.hpp"
#include "common/timeline/svg_timeline.hpp"
#include "tools/whatif/pipeline_costs.hpp"
#include "tools/cli/recommend_report.hpp"
#include "common/svg/svg_document.hpp"

namespace pipewise::tools {
namespace {

constexpr double kWidth = 1200;
constexpr double kMargin = 24;
constexpr double kLabelWidth = 330;
constexpr double kBarHeight = 18;
constexpr double kRowHeight = 26;

constexpr const char* kBestColour = "#2b8a3e";
constexpr const char* kFittingColour = "#4c78a8";
constexpr const char* kStaticColour = "#7f7f7f";
constexpr const char* kOverColour = "#d62728";

std::string row_label(const Candidate& candidate) {
  std::string label = fmt::format("{} t={}{} p={}", candidate.schedule, candidate.shape.tensor.size,
                                  candidate.shape.tensor.sequence_parallel ? "+sp" : "",
                                  candidate.shape.devices);
  if (candidate.shape.chunks > 1) label += fmt::format(" v={}", candidate.shape.chunks);
  return label + fmt::format(" d={} m={} b={} rc={}", candidate.shape.replicas, candidate.microbatches,
                             candidate.shape.micro_batch_size, recompute_name(candidate.shape.recompute));
}

// The simulator's timeline SVG of `candidate`, at m = 2p when the real m is larger.
struct TimelinePicture {
  TimelineDrawing drawing;
  std::string caption;
};

TimelinePicture best_timeline(const ModelDescription& model, const Candidate& best, double width) {
  Problem problem;
  problem.devices = best.shape.devices;
  problem.chunks = best.shape.chunks;
  problem.microbatches = std::min(best.microbatches, 2 * best.shape.devices);
  const PipelineCosts costs = pipeline_costs(model, best.shape).value_or_throw();
  const Schedule schedule = generate_schedule(best.schedule, problem);
  sim::SimulationOptions options;
  options.record_timeline = true;
  options.timeline_name = "simulated";
  sim::SimulationResult run = sim::simulate(schedule, sim::resolve_costs(costs.config, problem), options);
  SvgOptions svg_options;
  svg_options.width_px = width;
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
  const double cap = recommendation.memory_cap_bytes;
  std::vector<const Candidate*> rows;
  for (const Candidate& candidate : recommendation.candidates) {
    if (candidate.fits && rows.size() < kSvgFittingRows) rows.push_back(&candidate);
  }
  const double best_ms = recommendation.fitting ? recommendation.candidates.front().metrics->makespan_ms : 0;
  std::size_t exceeding = 0;
  for (const Candidate& candidate : recommendation.candidates) {
    if (candidate.fits || !candidate.metrics || exceeding == kOverCapAnswers) continue;
    if (recommendation.fitting && candidate.metrics->makespan_ms >= best_ms) break;
    rows.push_back(&candidate);
    ++exceeding;
  }

  double longest_ms = 0;
  double largest_bytes = cap;
  for (const Candidate* row : rows) {
    longest_ms = std::max(longest_ms, row->metrics->makespan_ms);
    largest_bytes = std::max(largest_bytes, row->metrics->peak_bytes);
  }
  // Row labels are drawn right-aligned before the bars: the column is as wide as the
  // longest (11 px, about 0.62 em a character, bold included), the picture wider with it.
  const auto shown_label = [&](std::size_t i) {
    const Candidate& row = *rows[i];
    return (i == 0 && row.fits ? "best: " : row.fits ? "" : "over cap: ") + row_label(row);
  };
  double label_width = kLabelWidth;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    label_width = std::max(label_width, 11 * 0.62 * static_cast<double>(shown_label(i).size()) + 12);
  }
  const double width = kWidth + label_width - kLabelWidth;
  const double chart_top = 120;
  const double panel_width = (width - 2 * kMargin - label_width - 40) / 2;
  const double time_left = kMargin + label_width;
  const double memory_left = time_left + panel_width + 40;
  const double chart_height = kRowHeight * static_cast<double>(std::max<std::size_t>(rows.size(), 1));

  TimelinePicture timeline;
  if (recommendation.fitting) timeline = best_timeline(model, recommendation.candidates.front(), kWidth - 2 * kMargin);
  const double timeline_top = chart_top + chart_height + 70;
  const double height = timeline_top + (recommendation.fitting ? timeline.drawing.height + 30 : 0) + kMargin;

  SvgDocument svg;
  svg.text(kMargin, 30, "pipewise recommend: " + model.name, 18, SvgDocument::Anchor::Start, "#111", "bold");
  const std::string summary = model_summary(model);
  svg.text(kMargin, 50, summary.substr(0, summary.find('\n')), 12, SvgDocument::Anchor::Start, "#555");
  svg.text(kMargin, 68,
           fmt::format("{} configurations searched: {} fit in {} per device, {} exceed it", recommendation.candidates.size(),
                       recommendation.fitting, format_bytes(cap), recommendation.exceeding),
           12, SvgDocument::Anchor::Start, "#555");
  svg.text(time_left, chart_top - 30, "step time (one global batch)", 13, SvgDocument::Anchor::Start, "#111", "bold");
  svg.text(memory_left, chart_top - 30, "peak memory of the fullest device", 13, SvgDocument::Anchor::Start, "#111", "bold");
  svg.rect(memory_left, chart_top - 22, 10, 10, kStaticColour);
  svg.text(memory_left + 14, chart_top - 13, "weights, gradients, optimizer state", 10, SvgDocument::Anchor::Start, "#555");
  svg.rect(memory_left + 200, chart_top - 22, 10, 10, kFittingColour);
  svg.text(memory_left + 214, chart_top - 13, "activations", 10, SvgDocument::Anchor::Start, "#555");
  svg.rect(time_left, chart_top - 22, 10, 10, kBestColour);
  svg.text(time_left + 14, chart_top - 13, "best", 10, SvgDocument::Anchor::Start, "#555");
  svg.rect(time_left + 50, chart_top - 22, 10, 10, kFittingColour);
  svg.text(time_left + 64, chart_top - 13, "fits", 10, SvgDocument::Anchor::Start, "#555");
  svg.rect(time_left + 100, chart_top - 22, 10, 10, kOverColour);
  svg.text(time_left + 114, chart_top - 13, "over the cap", 10, SvgDocument::Anchor::Start, "#555");
  const double cap_x = memory_left + cap * (panel_width - 70) / largest_bytes;
  svg.line(cap_x, chart_top - 6, cap_x, chart_top + chart_height, kOverColour, 1.5, "5,3");
  svg.text(cap_x, chart_top + chart_height + 14, "cap " + format_bytes(cap), 10,
           SvgDocument::Anchor::Middle, kOverColour);

  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Candidate& row = *rows[i];
    const double y = chart_top + kRowHeight * static_cast<double>(i);
    const bool best = i == 0 && row.fits;
    const char* colour = !row.fits ? kOverColour : best ? kBestColour : kFittingColour;
    svg.text(time_left - 8, y + 13, shown_label(i), 11,
             SvgDocument::Anchor::End, row.fits ? "#222" : kOverColour, best ? "bold" : "normal");
    const double time_width = longest_ms > 0 ? row.metrics->makespan_ms / longest_ms * (panel_width - 70) : 0;
    svg.rect(time_left, y, time_width, kBarHeight, colour);
    std::string time_label = format_duration_ms(row.metrics->makespan_ms);
    if (recommendation.fitting && !best) {
      time_label += " (" + (row.metrics->makespan_ms >= best_ms ? std::string("+") : std::string("-")) +
                    format_percent(std::fabs(row.metrics->makespan_ms / best_ms - 1)) + ")";
    }
    svg.text(time_left + time_width + 4, y + 13, time_label, 10);

    const double scale = (panel_width - 70) / largest_bytes;
    const double static_width = row.metrics->static_bytes * scale;
    const double total_width = row.metrics->peak_bytes * scale;
    svg.rect(memory_left, y, static_width, kBarHeight, kStaticColour);
    svg.rect(memory_left + static_width, y, std::max(0.0, total_width - static_width), kBarHeight, colour);
    // Labels that would sit on the cap line move past it.
    double label_x = memory_left + total_width + 4;
    if (label_x < cap_x + 4 && label_x + 52 > cap_x) label_x = cap_x + 4;
    svg.text(label_x, y + 13, format_bytes(row.metrics->peak_bytes), 10);
  }
  if (rows.empty()) svg.text(time_left, chart_top + 14, "no configuration could be simulated", 12);

  if (recommendation.fitting) {
    svg.text(kMargin, timeline_top - 12, timeline.caption, 12, SvgDocument::Anchor::Start, "#333", "bold");
    svg.embed(kMargin, timeline_top, timeline.drawing.svg);
  }
  return svg.render(width, height);
}

}  // namespace pipewise::tools
