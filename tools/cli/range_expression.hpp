#pragma once
// The grid syntax of `pipewise sweep` and `pipewise recommend` for p, v, m and micro-batch
// sizes: comma-separated items, each a number `8`, an inclusive range `2..32`, a stepped
// range `2..32:2`, or the powers of two in a range `pow2:2..64`. Example: "1,2..4,pow2:8..32"
// is 1, 2, 3, 4, 8, 16, 32.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pipewise::tools {

// The values `expression` names, ascending and without duplicates, each in
// [minimum, maximum]. Throws pipewise::Error naming `option` and the bad item: an empty
// item, a non-number, a negative number, a range whose end is below its start ("8..2"),
// a zero step, a pow2 range with no power of two in it, or a value out of bounds.
std::vector<std::uint32_t> parse_range_expression(std::string_view expression,
                                                  const std::string& option,
                                                  std::uint32_t minimum = 1,
                                                  std::uint32_t maximum = 1u << 20);

}  // namespace pipewise::tools
