#pragma once
// The report for people: a summary block and one row per device.
#include <string>

#include "sim/metrics.hpp"

namespace pipewise::sim {

// Multi-line text, ending in a newline, with every Metrics field labelled and its unit.
std::string metrics_table(const Metrics& metrics);

}  // namespace pipewise::sim
