#include "sim/closed_forms.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/ir/error.hpp"
#include "common/numeric/checked_arithmetic.hpp"

namespace pipewise::sim {

double flushed_bubble_ratio(std::uint32_t devices, std::uint32_t microbatches,
                            std::uint32_t chunks) {
  const double fill = devices - 1.0;
  return fill / (static_cast<double>(chunks) * microbatches + fill);
}

double flushed_bubble_overhead(std::uint32_t devices, std::uint32_t microbatches,
                               std::uint32_t chunks) {
  return (devices - 1.0) / (static_cast<double>(chunks) * microbatches);
}

double pipelining_speedup(std::uint32_t devices, std::uint32_t microbatches) {
  return static_cast<double>(devices) * microbatches / (microbatches + devices - 1.0);
}

std::uint64_t microbatches_for_bubble_ratio(std::uint32_t devices, double target_bubble_ratio,
                                            std::uint32_t chunks) {
  if (!(target_bubble_ratio > 0 && target_bubble_ratio < 1)) {
    throw Error("target bubble ratio must be between 0 and 1, exclusive (got " +
                std::to_string(target_bubble_ratio) + ")");
  }
  if (devices == 0 || chunks == 0) throw Error("devices and chunks must be at least 1");
  const double exact = (devices - 1.0) * (1.0 / target_bubble_ratio - 1.0) / chunks;
  // Forgive rounding noise so that an exact answer (e.g. 27 for p = 4, target 0.1) stays exact.
  // A tiny target needs more micro-batches than a count holds: saturate, never wrap.
  return std::max<std::uint64_t>(1, saturating_count_up(exact * (1.0 - 1e-12)));
}

}  // namespace pipewise::sim
