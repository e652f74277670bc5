#pragma once
// How every report writes numbers for people: one function per kind of quantity, so the
// same quantity reads the same in every table, error message and picture. Every function
// but format_bytes writes an undefined value (NaN, e.g. a ratio whose denominator is 0) as
// "n/a", never as a number. Fixed-point writers never misstate a value: one of 10^15 or
// more, or one that is not zero but would round to zero ("0.00"), is written with three
// significant digits in scientific notation ("4.00e+300", "3.75e-299") instead.
#include <cstdint>
#include <string>

namespace pipewise {

inline constexpr double kKiB = 1024.0;
inline constexpr double kMiB = 1024.0 * kKiB;
inline constexpr double kGiB = 1024.0 * kMiB;

// Bytes in binary units with three significant digits: "512 B", "1.50 KiB", "23.4 GiB",
// "512 GiB", up to EiB. Negative sizes (a deficit) keep their sign; non-finite values read
// "inf B" or "nan B".
std::string format_bytes(double bytes);

// The binary unit in which `largest` reads as a number below 1024 ("GiB" for 3e10 bytes),
// so that a scale of byte values (an axis, a legend) is written in one unit.
struct ByteUnit {
  double bytes;      // 1, 1024, 1024², ...
  const char* name;  // "B", "KiB", "MiB", ... up to "EiB"
};
ByteUnit byte_unit_for(double largest);

// `value` with the decimals that give it three significant digits from 1 up (two decimals
// below 10, one below 100, none above): "0.51", "5.12", "51.2", "512", "5120".
std::string format_significant(double value);

// A count in full below a million ("123456"), else to two significant digits ("2.0e+12").
std::string format_count(std::uint64_t count);

// A time in ms with a precision that suits its size, without the unit: "0.0125", "3.500",
// "1234.6".
std::string format_ms(double ms);

// A duration given in ms, with its unit: in ms below 1 s and in s above, four significant
// digits so that close step times stay apart: "0.2500 ms", "12.35 ms", "132.4 s".
std::string format_duration_ms(double milliseconds);

// `value` with `decimals` decimals: format_fixed(0.27272, 2) == "0.27".
std::string format_fixed(double value, int decimals);

// `value` with up to 6 significant digits and no trailing zeros: "0.5", "12", "1.5e+12".
std::string format_number(double value);

// A number the user gave, written back in an error message: as format_number, but NaN is
// "nan" as they typed it (format_number shows a computed NaN as "n/a").
std::string format_given(double value);

// A ratio as a percentage, one decimal from 1% up and two below: 0.2727 -> "27.3%",
// 0.0045 -> "0.45%".
std::string format_percent(double ratio);

// A signed relative change or error, as format_percent with its sign: 0.029 -> "+2.9%",
// -0.5 -> "-50.0%".
std::string format_signed_percent(double ratio);

}  // namespace pipewise
