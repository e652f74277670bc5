#include "tools/cli/configuration_chart.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "common/svg/svg_document.hpp"
#include "common/text/format.hpp"

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

}  // namespace

std::string configuration_chart_svg(const ConfigurationChart& chart) {
  const std::vector<ChartRow>& rows = chart.rows;
  const bool has_best = !rows.empty() && rows.front().fits;
  const double best_ms = has_best ? rows.front().step_ms : 0;
  double longest_ms = 0;
  double largest_bytes = 0;
  for (const ChartRow& row : rows) {
    longest_ms = std::max(longest_ms, row.step_ms);
    largest_bytes = std::max(largest_bytes, row.peak_bytes);
  }
  // With a cap the memory axis ends at 1.5 times it (or at the largest configuration that
  // fits): a configuration far over it (TiB against a GiB cap) would flatten the others' bars.
  // Longer bars are cut at the end of the axis (an axis break); their labels keep the value.
  if (chart.cap_bytes) {
    double axis_end = 1.5 * *chart.cap_bytes;
    for (const ChartRow& row : rows) {
      if (row.fits) axis_end = std::max(axis_end, row.peak_bytes);
    }
    largest_bytes = std::min(std::max(largest_bytes, *chart.cap_bytes), axis_end);
  }
  // Row labels are drawn right-aligned before the bars: the column is as wide as the
  // longest (11 px, about 0.62 em a character, bold included), the picture wider with it.
  const auto shown_label = [&](std::size_t i) {
    const ChartRow& row = rows[i];
    return (i == 0 && row.fits ? "best: " : row.fits ? "" : "over cap: ") + row.label;
  };
  double label_width = kLabelWidth;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    label_width = std::max(label_width, 11 * 0.62 * static_cast<double>(shown_label(i).size()) + 12);
  }
  const double width = kWidth + label_width - kLabelWidth;
  const double chart_top = 84 + 18 * static_cast<double>(chart.subtitles.size());
  const double panel_width = (width - 2 * kMargin - label_width - 40) / 2;
  const double time_left = kMargin + label_width;
  const double memory_left = time_left + panel_width + 40;
  const double chart_height = kRowHeight * static_cast<double>(std::max<std::size_t>(rows.size(), 1));
  const bool draws_timeline = has_best && chart.timeline.has_value();
  const double timeline_top = chart_top + chart_height + 70;
  const double height = timeline_top + (draws_timeline ? chart.timeline->drawing.height + 30 : 0) + kMargin;

  SvgDocument svg;
  svg.text(kMargin, 30, chart.title, 18, SvgDocument::Anchor::Start, "#111", "bold");
  for (std::size_t i = 0; i < chart.subtitles.size(); ++i) {
    svg.text(kMargin, 50 + 18 * static_cast<double>(i), chart.subtitles[i], 12, SvgDocument::Anchor::Start, "#555");
  }
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
  const double scale = largest_bytes > 0 ? (panel_width - 70) / largest_bytes : 0;
  std::optional<double> cap_x;
  if (chart.cap_bytes) {
    cap_x = memory_left + *chart.cap_bytes * scale;
    svg.line(*cap_x, chart_top - 6, *cap_x, chart_top + chart_height, kOverColour, 1.5, "5,3");
    svg.text(*cap_x, chart_top + chart_height + 14, "cap " + format_bytes(*chart.cap_bytes), 10,
             SvgDocument::Anchor::Middle, kOverColour);
  }

  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ChartRow& row = rows[i];
    const double y = chart_top + kRowHeight * static_cast<double>(i);
    const bool best = i == 0 && row.fits;
    const char* colour = !row.fits ? kOverColour : best ? kBestColour : kFittingColour;
    svg.text(time_left - 8, y + 13, shown_label(i), 11,
             SvgDocument::Anchor::End, row.fits ? "#222" : kOverColour, best ? "bold" : "normal");
    const double time_width = longest_ms > 0 ? row.step_ms / longest_ms * (panel_width - 70) : 0;
    svg.rect(time_left, y, time_width, kBarHeight, colour);
    std::string time_label = format_duration_ms(row.step_ms);
    if (has_best && !best && best_ms > 0) {
      time_label += " (" + (row.step_ms >= best_ms ? std::string("+") : std::string("-")) +
                    format_percent(std::fabs(row.step_ms / best_ms - 1)) + ")";
    }
    svg.text(time_left + time_width + 4, y + 13, time_label, 10);

    const double axis_width = panel_width - 70;
    const double static_width = std::min(row.static_bytes * scale, axis_width);
    const double total_width = std::min(row.peak_bytes * scale, axis_width);
    svg.rect(memory_left, y, static_width, kBarHeight, kStaticColour);
    svg.rect(memory_left + static_width, y, std::max(0.0, total_width - static_width), kBarHeight, colour);
    // Labels that would sit on the cap line move past it.
    double label_x = memory_left + total_width + 4;
    if (cap_x && label_x < *cap_x + 4 && label_x + 52 > *cap_x) label_x = *cap_x + 4;
    if (row.peak_bytes * scale > axis_width) {  // cut: an axis break near its end
      for (const double x : {memory_left + axis_width - 12, memory_left + axis_width - 7}) {
        svg.line(x, y - 2, x - 3, y + kBarHeight + 2, "#ffffff", 2);
      }
    }
    svg.text(label_x, y + 13, format_bytes(row.peak_bytes), 10);
  }
  if (rows.empty()) svg.text(time_left, chart_top + 14, "no configuration could be simulated", 12);

  if (draws_timeline) {
    svg.text(kMargin, timeline_top - 12, chart.timeline->caption, 12, SvgDocument::Anchor::Start, "#333", "bold");
    svg.embed(kMargin, timeline_top, chart.timeline->drawing.svg);
  }
  return svg.render(width, height);
}

}  // namespace pipewise::tools
