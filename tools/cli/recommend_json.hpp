#pragma once
// `pipewise recommend --format json`: the ranked configurations for other tools (schema
// pipewise.recommendation, version 1, documented in the README).
#include <cstddef>
#include <string>

#include "tools/model/model_description.hpp"
#include "tools/search/schedule_search.hpp"
#include "tools/whatif/recommend.hpp"

namespace pipewise::tools {

// The search's counts and the `top` best fitting configurations, best first, each with its
// layout, step time, MFU, bubble, memory (pipewise's peak and Megatron-LM's estimate) and
// the Megatron-LM flags that reproduce it; with `schedule_search` (recommend --search) what
// the schedule search found on the best one's costs. Ends with a newline.
std::string recommendation_json(const ModelDescription& model, const Recommendation& recommendation,
                                std::size_t top, const Result<SearchResult>* schedule_search = nullptr);

}  // namespace pipewise::tools
