#pragma once
// The words of `pipewise recommend`: why a configuration is not the best, and the rules of
// thumb it breaks. The engine (tools/whatif/recommend.hpp) answers with numbers; these
// functions say what they mean.
#include <string>
#include <vector>

#include "tools/model/model_description.hpp"
#include "tools/whatif/candidates.hpp"

namespace pipewise::tools {

// Why `candidate` is not `best`, in one phrase: "best", "ties with the best", "2.3% slower:
// larger bubble (6.1% vs 3.9%)", "34.1% slower: full recomputation (+33.3% compute per
// device)", "exceeds memory by 4.1 GiB on device 0", "invalid: <reason>". REQUIRES: `best`
// was simulated (the first candidate of a recommendation with a fitting configuration).
std::string explain_versus_best(const Candidate& candidate, const Candidate& best,
                                double memory_cap_bytes);

// Rules of thumb `candidate` of `model` breaks, one phrase each (e.g. "m = 12 < 4p = 32:
// expect a bubble above 20%"). Uneven stages count only where the split is meant to be even
// (a transformer's even split; balanced splits and layer lists split by time are uneven on
// purpose).
std::vector<std::string> rule_of_thumb_warnings(const Candidate& candidate, const ModelDescription& model);

}  // namespace pipewise::tools
