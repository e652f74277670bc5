#include "common/text/format.hpp"

#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace pipewise {
namespace {

// An undefined value (NaN: a ratio with a zero denominator) is never shown as a number.
constexpr const char* kUndefined = "n/a";

// From here up, fixed notation would print a wall of digits: such values are written in
// scientific notation instead.
constexpr double kLargestFixed = 1e15;

// `value` in fixed notation with `decimals` decimals, unless that would misstate it: a
// value too large for fixed notation, or one too small that is not zero (it would read as
// 0.00), is written with three significant digits in scientific notation ("1.2e+300").
std::string fixed_or_scientific(double value, int decimals) {
  const double magnitude = std::fabs(value);
  const bool rounds_to_zero = magnitude != 0 && magnitude < 0.5 * std::pow(10.0, -decimals);
  if (std::isfinite(value) && (magnitude >= kLargestFixed || rounds_to_zero)) {
    return fmt::format("{:.2e}", value);
  }
  return fmt::format("{:.{}f}", value, decimals);
}

}  // namespace

ByteUnit byte_unit_for(double largest) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double bytes = 1;
  std::size_t unit = 0;
  while (std::fabs(largest) >= 1024 * bytes && unit + 1 < std::size(kUnits)) {
    bytes *= 1024;
    ++unit;
  }
  return {bytes, kUnits[unit]};
}

std::string format_significant(double value) {
  const double magnitude = std::fabs(value);
  const int decimals = magnitude == 0 ? 0 : magnitude < 9.995 ? 2 : magnitude < 99.95 ? 1 : 0;
  return fixed_or_scientific(value, decimals);
}

std::string format_bytes(double bytes) {
  if (!std::isfinite(bytes)) return fmt::format("{} B", bytes);
  ByteUnit unit = byte_unit_for(bytes);
  // Rounding may carry to 1024 ("1024 KiB"): that is 1.00 MiB.
  if (std::fabs(bytes / unit.bytes) >= 1023.5 && unit.bytes > 1) unit = byte_unit_for(bytes * 2);
  if (unit.bytes == 1) return fmt::format("{:.0f} B", bytes);
  return format_significant(bytes / unit.bytes) + " " + unit.name;
}

std::string format_count(std::uint64_t count) {
  if (count < 1000000) return std::to_string(count);
  return fmt::format("{:.1e}", static_cast<double>(count));
}

std::string format_ms(double ms) {
  if (std::isnan(ms)) return kUndefined;
  const double magnitude = std::fabs(ms);
  const int decimals = magnitude == 0      ? 0
                       : magnitude < 0.1   ? 4
                       : magnitude < 10    ? 3
                       : magnitude < 1000  ? 2
                                           : 1;
  return format_fixed(ms, decimals);
}

std::string format_duration_ms(double milliseconds) {
  if (std::isnan(milliseconds)) return kUndefined;
  const bool seconds = std::fabs(milliseconds) >= 1000;
  const double value = seconds ? milliseconds / 1000 : milliseconds;
  const double magnitude = std::fabs(value);
  const int decimals = magnitude >= 100 ? 1 : magnitude >= 10 ? 2 : magnitude >= 1 ? 3 : 4;
  return fixed_or_scientific(value, decimals) + (seconds ? " s" : " ms");
}

std::string format_fixed(double value, int decimals) {
  if (std::isnan(value)) return kUndefined;
  return fixed_or_scientific(value, decimals);
}

std::string format_given(double value) { return fmt::format("{:.6g}", value); }

std::string format_number(double value) {
  if (std::isnan(value)) return kUndefined;
  return format_given(value);
}

std::string format_percent(double ratio) {
  if (std::isnan(ratio)) return kUndefined;
  const double percent = ratio * 100;
  // A percentage near zero rounds to "0.00%" as people expect; a huge one (an overhead of
  // 10^300 %) is written in scientific notation.
  if (std::isfinite(percent) && std::fabs(percent) >= kLargestFixed) {
    return fmt::format("{:.2e}%", percent);
  }
  return fmt::format("{:.{}f}%", percent, std::fabs(percent) < 1 ? 2 : 1);
}

std::string format_signed_percent(double ratio) {
  if (std::isnan(ratio)) return kUndefined;
  return (ratio >= 0 ? "+" : "") + format_percent(ratio);
}

}  // namespace pipewise
