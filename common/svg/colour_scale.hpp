#pragma once
// A sequential colour scale for heatmaps and its legend: pale yellow for low values to
// dark red for high ones (ColorBrewer's YlOrRd), so "hotter" reads as "worse".
#include <string>
#include <vector>

namespace pipewise {

// The colour "#rrggbb" of `fraction` in [0, 1] along the scale (clamped).
std::string scale_colour(double fraction);

// The scale's stops, low to high, for a legend gradient.
const std::vector<std::string>& scale_stops();

// A text colour that reads on `fraction`'s colour: black on the pale half, white on the dark.
const char* text_colour_on(double fraction);

}  // namespace pipewise
