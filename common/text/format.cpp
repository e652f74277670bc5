#include "common/text/format.hpp"

#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace pipewise {

std::string format_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (!std::isfinite(bytes)) return fmt::format("{} B", bytes);
  std::size_t unit = 0;
  while (std::fabs(bytes) >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f} B", bytes);
  const double magnitude = std::fabs(bytes);
  // Rounding may carry to 1024 ("1024 KiB"): that is 1.00 MiB.
  if (magnitude >= 1023.5 && unit + 1 < std::size(kUnits)) {
    return fmt::format("{:.2f} {}", bytes / 1024, kUnits[unit + 1]);
  }
  const int decimals = magnitude < 9.995 ? 2 : magnitude < 99.95 ? 1 : 0;
  return fmt::format("{:.{}f} {}", bytes, decimals, kUnits[unit]);
}

std::string format_count(std::uint64_t count) {
  if (count < 1000000) return std::to_string(count);
  return fmt::format("{:.1e}", static_cast<double>(count));
}

std::string format_ms(double ms) {
  const double magnitude = std::fabs(ms);
  const int decimals = magnitude == 0      ? 0
                       : magnitude < 0.1   ? 4
                       : magnitude < 10    ? 3
                       : magnitude < 1000  ? 2
                                           : 1;
  return format_fixed(ms, decimals);
}

std::string format_duration_ms(double milliseconds) {
  const bool seconds = std::fabs(milliseconds) >= 1000;
  const double value = seconds ? milliseconds / 1000 : milliseconds;
  const double magnitude = std::fabs(value);
  const int decimals = magnitude >= 100 ? 1 : magnitude >= 10 ? 2 : magnitude >= 1 ? 3 : 4;
  return fmt::format("{:.{}f} {}", value, decimals, seconds ? "s" : "ms");
}

std::string format_fixed(double value, int decimals) { return fmt::format("{:.{}f}", value, decimals); }

std::string format_number(double value) { return fmt::format("{:.6g}", value); }

std::string format_percent(double ratio) {
  const double percent = ratio * 100;
  return fmt::format("{:.{}f}%", percent, std::fabs(percent) < 1 ? 2 : 1);
}

std::string format_signed_percent(double ratio) {
  return (ratio >= 0 ? "+" : "") + format_percent(ratio);
}

}  // namespace pipewise
