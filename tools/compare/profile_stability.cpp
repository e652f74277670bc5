#include "tools/compare/profile_stability.hpp"

#include <algorithm>

#include "common/text/format.hpp"

namespace pipewise::tools {

std::optional<std::string> profile_spread_warning(std::span<const double> step_ms) {
  if (step_ms.size() < 2) return std::nullopt;
  const auto [fastest, slowest] = std::minmax_element(step_ms.begin(), step_ms.end());
  if (!(*fastest > 0) || *slowest <= *fastest * (1 + kProfileStepSpread)) return std::nullopt;
  const double spread = *slowest / *fastest - 1;
  return "the profiled steps took " + format_number(*fastest) + " to " + format_number(*slowest) +
         " ms (" + format_number(spread * 100) +
         " % apart): the machine's speed changed while profiling (other load?), so predictions "
         "from these costs may not hold; profile again on a quiet machine, or with more "
         "--profile-steps";
}

}  // namespace pipewise::tools
