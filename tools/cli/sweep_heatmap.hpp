#pragma once
// The picture of a sweep (`pipewise sweep --svg FILE`).
#include <string>
#include <vector>

#include "tools/whatif/sweep.hpp"
#include "tools/cli/sweep_output.hpp"

namespace pipewise::tools {

// A standalone SVG document: for each schedule and v with at least one simulated point, a
// row of two heatmaps over p (rows) × m (columns), bubble ratio on the left and peak memory
// on the right (below it when the two would be wider than 1800 px side by side; cells are
// narrower past 24 values of m). Each metric has one colour scale shared by all rows (pale = low, dark red =
// high; logarithmic for memory spanning more than 10×) with a legend on top; every cell
// shows its number, the lowest cell of each heatmap is outlined, and skipped points are
// grey with a dash (their reason in the tooltip).
// `subtitle` says where the costs came from.
std::string sweep_heatmap_svg(const SweepGrid& grid, const std::vector<SweepRow>& rows,
                              MemoryUnit unit, const std::string& subtitle);

}  // namespace pipewise::tools
