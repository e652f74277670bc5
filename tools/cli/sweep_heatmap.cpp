#include "tools/cli/sweep_heatmap.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <utility>

#include "common/svg/colour_scale.hpp"
#include "common/svg/svg_document.hpp"
#include "common/text/format.hpp"

namespace pipewise::tools {
namespace {

constexpr double kMargin = 24;
constexpr double kCellWidth = 54;
constexpr double kNarrowCellWidth = 40;     // grids of more than kWideGridColumns m values
constexpr std::size_t kWideGridColumns = 24;
// Wider than this, the memory heatmap goes under the bubble one instead of beside it.
constexpr double kMostSideBySideWidth = 1800;
constexpr double kCellHeight = 24;
constexpr double kRowLabelWidth = 44;  // "p = 16" labels left of each heatmap
constexpr double kHeatmapGap = 48;
constexpr double kLegendWidth = 260;

// How memory numbers are printed in cells: one unit for the whole picture.
struct MemoryScale {
  double divisor = 1;
  std::string unit;
};

MemoryScale memory_scale(MemoryUnit unit, double largest) {
  if (unit == MemoryUnit::Activations) return {1, "A"};
  const ByteUnit bytes = byte_unit_for(largest);
  return {bytes.bytes, bytes.name};
}

// A metric's range over all simulated points, for its colour scale: linear, or logarithmic
// when the values span more than a factor of 10 (memory grows with m under GPipe, and a
// linear scale would leave every other schedule pale).
struct Range {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  bool logarithmic = false;

  void include(double value) {
    low = std::min(low, value);
    high = std::max(high, value);
  }
  void choose_scale() { logarithmic = low > 0 && high / low > 10; }
  double fraction(double value) const {
    if (!(high > low)) return 0.0;
    if (logarithmic) return std::log(value / low) / std::log(high / low);
    return (value - low) / (high - low);
  }
  // The value at `fraction` of the scale (the inverse of fraction()).
  double at(double position) const {
    if (logarithmic) return low * std::pow(high / low, position);
    return low + position * (high - low);
  }
};

struct Metric {
  std::string title;
  Range range;
  double (*value)(const PointMetrics&, MemoryUnit);
  std::string (*label)(double, const MemoryScale&);
};

// NaN (drawn "n/a") when the bubble is undefined: a point whose makespan is 0.
double bubble_value(const PointMetrics& result, MemoryUnit) {
  return bubble_ratio_of(result).value_or(std::numeric_limits<double>::quiet_NaN());
}
std::string bubble_label(double value, const MemoryScale&) { return fmt::format("{:.1f}%", value * 100); }
std::string memory_label(double value, const MemoryScale& scale) {
  return format_significant(value / scale.divisor);
}

void draw_legend(SvgDocument& svg, double x, double y, const Metric& metric, const MemoryScale& scale) {
  const std::string title = metric.title + (metric.range.logarithmic ? " (log scale)" : "");
  svg.text(x, y, title, 12, SvgDocument::Anchor::Start, "#222", "bold");
  svg.rect(x, y + 6, kLegendWidth, 12, "url(#scale)", "#999");
  for (int tick = 0; tick <= 4; ++tick) {
    const double fraction = tick / 4.0;
    const double tick_x = x + fraction * kLegendWidth;
    svg.line(tick_x, y + 18, tick_x, y + 22, "#666");
    svg.text(tick_x, y + 34, metric.label(metric.range.at(fraction), scale), 10,
             SvgDocument::Anchor::Middle, "#444");
  }
}

}  // namespace

std::string sweep_heatmap_svg(const SweepGrid& grid, const std::vector<SweepRow>& rows,
                              MemoryUnit unit, const std::string& subtitle) {
  // Rows of the picture: (schedule, v) pairs with something simulated, in grid order.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::map<std::pair<std::uint32_t, std::uint32_t>, const SweepRow*>> panels;
  Metric bubble{"bubble ratio (idle / p·makespan)", {}, bubble_value, bubble_label};
  Metric memory{"", {}, peak_memory_value, memory_label};
  for (const SweepRow& row : rows) {
    panels[{row.point.schedule, row.point.chunks}][{row.point.devices, row.point.microbatches}] = &row;
    if (!row.result.ok()) continue;
    if (const std::optional<double> ratio = bubble_ratio_of(*row.result)) bubble.range.include(*ratio);
    memory.range.include(peak_memory_value(*row.result, unit));
  }
  std::erase_if(panels, [](const auto& panel) {
    return std::none_of(panel.second.begin(), panel.second.end(),
                        [](const auto& cell) { return cell.second->result.ok(); });
  });
  bubble.range.low = 0;  // bubbles are read against "no bubble at all"
  memory.range.choose_scale();
  const MemoryScale scale = memory_scale(unit, memory.range.high);
  memory.title = unit == MemoryUnit::Activations ? "peak activation memory (A)"
                                                  : "peak device memory (" + scale.unit + ")";

  const double cell_width = grid.microbatches.size() > kWideGridColumns ? kNarrowCellWidth : kCellWidth;
  const double heatmap_width = kRowLabelWidth + cell_width * static_cast<double>(grid.microbatches.size());
  const double heatmap_height = kCellHeight * static_cast<double>(grid.devices.size());
  const bool stacked = 2 * kMargin + 2 * heatmap_width + kHeatmapGap > kMostSideBySideWidth;
  const double block_height = 40 + heatmap_height + 10;  // a heatmap with its titles
  const double panel_height = (stacked ? block_height : 0) + 44 + heatmap_height + 34;
  const double legends_width = 2 * kMargin + 2 * kLegendWidth + kHeatmapGap;
  const double width = std::max(
      stacked ? 2 * kMargin + heatmap_width : 2 * kMargin + 2 * heatmap_width + kHeatmapGap, legends_width);
  const double legend_top = 70;
  const double panels_top = legend_top + 56;
  const double height =
      panels_top + panel_height * static_cast<double>(std::max<std::size_t>(1, panels.size())) + kMargin + 14;

  SvgDocument svg;
  svg.horizontal_gradient("scale", scale_stops().data(), scale_stops().size());
  svg.text(kMargin, 30, "pipewise sweep: bubble ratio and peak memory over p × m", 18,
           SvgDocument::Anchor::Start, "#111", "bold");
  svg.text(kMargin, 50, subtitle, 12, SvgDocument::Anchor::Start, "#555");
  const double right_column = kMargin + std::max(stacked ? 0.0 : heatmap_width, kLegendWidth) + kHeatmapGap;
  if (panels.empty()) {
    svg.text(kMargin, panels_top, "no point of the grid could be simulated", 14);
    return svg.render(width, height);
  }
  draw_legend(svg, kMargin, legend_top, bubble, scale);
  draw_legend(svg, right_column, legend_top, memory, scale);

  double top = panels_top;
  for (const auto& [key, cells] : panels) {
    const auto& [schedule, chunks] = key;
    svg.text(kMargin, top + 14, fmt::format("{}   v = {}", grid.schedules[schedule], chunks), 14,
             SvgDocument::Anchor::Start, "#111", "bold");
    for (const Metric* metric : {&bubble, &memory}) {
      const bool below = stacked && metric == &memory;
      const double left = metric == &bubble || stacked ? kMargin : right_column;
      const double block_top = below ? top + block_height : top;
      const double grid_left = left + kRowLabelWidth;
      const double grid_top = block_top + 40;
      svg.text(grid_left + cell_width * static_cast<double>(grid.microbatches.size()) / 2, block_top + 14,
               metric == &bubble ? "bubble ratio" : "peak memory", 11,
               SvgDocument::Anchor::Middle, "#555");
      for (std::size_t c = 0; c < grid.microbatches.size(); ++c) {
        svg.text(grid_left + cell_width * (static_cast<double>(c) + 0.5), grid_top - 6,
                 "m=" + std::to_string(grid.microbatches[c]), 10, SvgDocument::Anchor::Middle, "#444");
      }
      double best = std::numeric_limits<double>::infinity();
      for (const auto& [where, row] : cells) {
        if (row->result.ok()) best = std::min(best, metric->value(*row->result, unit));
      }
      for (std::size_t r = 0; r < grid.devices.size(); ++r) {
        const double y = grid_top + kCellHeight * static_cast<double>(r);
        svg.text(grid_left - 6, y + kCellHeight / 2 + 4, "p=" + std::to_string(grid.devices[r]), 10,
                 SvgDocument::Anchor::End, "#444");
        for (std::size_t c = 0; c < grid.microbatches.size(); ++c) {
          const double x = grid_left + cell_width * static_cast<double>(c);
          const SweepRow* row = cells.at({grid.devices[r], grid.microbatches[c]});
          if (!row->result.ok()) {
            svg.rect(x, y, cell_width, kCellHeight, "#eeeeee", "white",
                     "skipped: " + row->result.status().reason());
            svg.text(x + cell_width / 2, y + kCellHeight / 2 + 4, "–", 11,
                     SvgDocument::Anchor::Middle, "#999");
            continue;
          }
          const PointMetrics& result = *row->result;
          const double value = metric->value(result, unit);
          if (std::isnan(value)) {  // undefined: shown as such, never as a colour of the scale
            svg.rect(x, y, cell_width, kCellHeight, "#eeeeee", "white",
                     "undefined: the makespan is 0 (no op takes any time)");
            svg.text(x + cell_width / 2, y + kCellHeight / 2 + 4, "n/a", 10,
                     SvgDocument::Anchor::Middle, "#999");
            continue;
          }
          const double fraction = metric->range.fraction(value);
          const std::string tooltip = fmt::format(
              "{} p={} v={} m={}: makespan {} ms, bubble {}, peak memory {}{} on device {}",
              grid.schedules[schedule], grid.devices[r], chunks, grid.microbatches[c],
              format_number(result.makespan_ms), format_percent(result.bubble_ratio),
              memory_label(peak_memory_value(result, unit), scale), " " + scale.unit,
              result.peak_device);
          svg.rect(x, y, cell_width, kCellHeight, scale_colour(fraction), "white", tooltip);
          svg.text(x + cell_width / 2, y + kCellHeight / 2 + 4, metric->label(value, scale), 10,
                   SvgDocument::Anchor::Middle, text_colour_on(fraction));
          if (value == best) {
            svg.rect(x + 1, y + 1, cell_width - 2, kCellHeight - 2, "none", "#111");
          }
        }
      }
    }
    top += panel_height;
  }
  svg.text(kMargin, height - 22,
           "grey: configurations the schedule does not allow (hover for why); outlined: the lowest "
           "value of each heatmap",
           10, SvgDocument::Anchor::Start, "#777");
  if (unit == MemoryUnit::Activations) {
    svg.text(kMargin, height - 8,
             "A = the activations one micro-batch stashes on one device's share of the model", 10,
             SvgDocument::Anchor::Start, "#777");
  }
  return svg.render(width, height);
}

}  // namespace pipewise::tools
