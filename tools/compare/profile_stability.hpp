#pragma once
// Whether a profile's pipeline steps agree with each other: a profile taken while the
// machine's speed changed (other load, a burst on a shared host) mispredicts everything
// predicted from it, so `pipewise profile` says so instead of writing the costs silently.
#include <optional>
#include <span>
#include <string>

namespace pipewise::tools {

// The profiling steps may differ by this fraction of the fastest before a warning.
inline constexpr double kProfileStepSpread = 0.10;

// A one-line warning when the slowest of `step_ms` (the profiling steps' durations) is more
// than kProfileStepSpread slower than the fastest, naming both; nothing when they agree or
// there are fewer than two.
std::optional<std::string> profile_spread_warning(std::span<const double> step_ms);

}  // namespace pipewise::tools
