#include "common/text/format.hpp"

#include <cmath>
#include <cstdio>

namespace pipewise::sim {

std::string format_fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string format_bytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (std::abs(bytes) >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  if (unit == 0) return format_fixed(bytes, 0) + " B";
  return format_fixed(bytes, bytes < 10 ? 2 : bytes < 100 ? 1 : 0) + " " + kUnits[unit];
}

std::string format_ms(double ms) {
  const double magnitude = std::abs(ms);
  const int decimals = magnitude == 0 ? 0 : magnitude < 0.1 ? 4 : magnitude < 10 ? 3 : magnitude < 1000 ? 2 : 1;
  return format_fixed(ms, decimals);
}

}  // namespace pipewise::sim
