#pragma once
// The machine-readable report: schema "pipewise.simulation", version 1, documented field by
// field in README.md ("Reference: pipewise simulate --format json").
#include <string>

#include "sim/metrics.hpp"
#include "common/timeline/timeline.hpp"

namespace pipewise::sim {

// The metrics as one JSON object (pretty-printed, ending in a newline). With `detail`, also
// its per-device "memory_timeline" and its "activation_lifetimes".
std::string metrics_json(const Metrics& metrics, const Timeline* detail = nullptr);

}  // namespace pipewise::sim
