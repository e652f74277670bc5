#pragma once
// Reading a simulator cost file given on the command line (--costs FILE): every error
// names the file, once.
#include <string>

#include "sim/cost_model.hpp"

namespace pipewise::tools {

// The cost file at `path`, parsed over `base`. Throws pipewise::Error "cannot read PATH:
// REASON" (a missing file, a directory, more than kMostJsonInputBytes) or "PATH: $.json.path
// ..." naming the field.
sim::CostConfig read_cost_file(const std::string& path, const sim::CostConfig& base = {});

// resolve_costs for a configuration that may come from the cost file `path` (empty: none):
// a measured file (`pipewise profile`) at another split than its own costs each stage as the
// sum of its layers (costs_at_split); a failure that names a field of the file
// ("$.stages[1].stage = 9 is outside 0..3") is prefixed with the file's path.
sim::CostModel resolve_costs_from(const sim::CostConfig& config, const Problem& problem,
                                  const std::string& path);

}  // namespace pipewise::tools
