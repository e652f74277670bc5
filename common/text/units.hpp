#pragma once
// How the CLI writes numbers for people: shortest decimals, durations, percentages. Bytes
// are written by common/text/format.hpp's format_bytes, shared with the simulator's reports.
#include <cstdint>
#include <string>

namespace pipewise::cli {

inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// `value` with up to 6 significant digits and no trailing zeros: 0.5, 12, 1.5e+12.
std::string format_number(double value);

// A duration given in milliseconds, in ms below 1 s and in s above, with four significant
// digits so that close step times stay apart: "0.2500 ms", "12.35 ms", "132.4 s".
std::string format_duration_ms(double milliseconds);

// A ratio as a percentage, one decimal from 1% up and two below: 0.2727 -> "27.3%",
// 0.0045 -> "0.45%".
std::string format_percent(double ratio);

}  // namespace pipewise::cli
