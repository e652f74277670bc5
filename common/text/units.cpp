#include "common/text/units.hpp"

#include <cmath>
#include <fmt/format.h>

namespace pipewise::cli {
std::string format_number(double value) { return fmt::format("{:.6g}", value); }

std::string format_duration_ms(double milliseconds) {
  const bool seconds = std::fabs(milliseconds) >= 1000;
  const double value = seconds ? milliseconds / 1000 : milliseconds;
  const double magnitude = std::fabs(value);
  const int decimals = magnitude >= 100 ? 1 : magnitude >= 10 ? 2 : magnitude >= 1 ? 3 : 4;
  return fmt::format("{:.{}f} {}", value, decimals, seconds ? "s" : "ms");
}

std::string format_percent(double ratio) {
  const double percent = ratio * 100;
  return fmt::format("{:.{}f}%", percent, std::fabs(percent) < 1 ? 2 : 1);
}

}  // namespace pipewise::cli
