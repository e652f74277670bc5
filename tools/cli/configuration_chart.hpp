#pragma once
// The picture of a recommendation, whatever searched it (`recommend --svg`, `recommend --costs
// --svg`): the configurations as bars of step time and peak memory against the memory cap,
// and the timeline of the best one.
#include <optional>
#include <string>
#include <vector>

#include "common/timeline/svg_timeline.hpp"

namespace pipewise::tools {

// One configuration of the chart.
struct ChartRow {
  std::string label;         // e.g. "1f1b p=4 d=2 m=8"
  double step_ms = 0;
  double static_bytes = 0;   // weights, gradients, optimizer state of the fullest device
  double peak_bytes = 0;     // its peak
  bool fits = true;          // within the cap
};

// The timeline drawn below the bars, with what it shows.
struct TimelinePicture {
  TimelineDrawing drawing;
  std::string caption;
};

struct ConfigurationChart {
  std::string title;                   // "pipewise recommend: gpt3-175b"
  std::vector<std::string> subtitles;  // a line each, under the title
  std::optional<double> cap_bytes;     // none: no cap line
  // The best configurations that fit, best first, then those over the cap.
  std::vector<ChartRow> rows;
  std::optional<TimelinePicture> timeline;  // of rows.front(), when it fits
};

// A standalone SVG document: the title and subtitles; step time on the left and peak memory
// (static part and the rest) on the right, a row per configuration (the first that fits marked
// best, the others' step times relative to it), a dashed line at the cap; then the timeline.
std::string configuration_chart_svg(const ConfigurationChart& chart);

// The widest timeline the chart embeds, for callers drawing it.
inline constexpr double kChartTimelineWidth = 1152;

}  // namespace pipewise::tools
