// libFuzzer target: the grid syntax of sweep and recommend (tools/cli/range_expression.hpp).
// Properties: any input either parses or throws pipewise::Error; what parses is ascending,
// free of duplicates and inside the bounds.
#include <cstddef>
#include <cstdint>

#include "common/ir/error.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tools/cli/range_expression.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipewise;
  // The first byte picks the bounds: the default [1, 2^20], or the tight [2, 64].
  if (size == 0) return 0;
  const bool tight = (data[0] & 1) != 0;
  const std::uint32_t minimum = tight ? 2 : 1;
  const std::uint32_t maximum = tight ? 64 : 1u << 20;
  std::vector<std::uint32_t> values;
  try {
    values = tools::parse_range_expression(fuzz::as_text(data + 1, size - 1), "--fuzz", minimum,
                                         maximum);
  } catch (const Error&) {
    return 0;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < minimum || values[i] > maximum) fuzz::broken("values lie in the bounds");
    if (i > 0 && values[i - 1] >= values[i]) fuzz::broken("values ascend without duplicates");
  }
  return 0;
}
