#pragma once
// Number formatting shared by the human-readable reports.
#include <cstdint>
#include <string>

namespace pipewise::sim {

// "512 B", "1.50 KiB", "2.00 GiB": binary units, three significant digits.
std::string format_bytes(double bytes);

// A time in ms with a precision that suits its size: "0.0125", "3.5", "1234.6".
std::string format_ms(double ms);

// `value` with `decimals` decimals, e.g. format_fixed(0.27272, 2) == "0.27".
std::string format_fixed(double value, int decimals);

}  // namespace pipewise::sim
