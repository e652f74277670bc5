#include "common/svg/colour_scale.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>

namespace pipewise {
namespace {

using Rgb = std::array<int, 3>;

// ColorBrewer YlOrRd, 9 classes (Cynthia Brewer, colorbrewer2.org).
constexpr std::array<Rgb, 9> kStops = {{{255, 255, 204}, {255, 237, 160}, {254, 217, 118},
                                        {254, 178, 76}, {253, 141, 60}, {252, 78, 42},
                                        {227, 26, 28}, {189, 0, 38}, {128, 0, 38}}};

std::string hex(const Rgb& rgb) { return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]); }

Rgb colour_at(double fraction) {
  fraction = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  const double position = fraction * (kStops.size() - 1);
  const auto low = static_cast<std::size_t>(std::floor(position));
  const std::size_t high = std::min(low + 1, kStops.size() - 1);
  const double t = position - static_cast<double>(low);
  Rgb rgb{};
  for (std::size_t c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(std::lround(kStops[low][c] + t * (kStops[high][c] - kStops[low][c])));
  }
  return rgb;
}

}  // namespace

std::string scale_colour(double fraction) { return hex(colour_at(fraction)); }

const std::vector<std::string>& scale_stops() {
  static const std::vector<std::string> kHex = [] {
    std::vector<std::string> stops;
    for (const Rgb& rgb : kStops) stops.push_back(hex(rgb));
    return stops;
  }();
  return kHex;
}

const char* text_colour_on(double fraction) {
  const Rgb rgb = colour_at(fraction);
  // Relative luminance (ITU-R BT.709 weights) of the background decides.
  const double luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255.0;
  return luminance < 0.5 ? "white" : "#111";
}

}  // namespace pipewise
