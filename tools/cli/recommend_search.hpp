#pragma once
// `pipewise recommend --search`: the schedule search (tools/search) run on the best
// configuration's own costs and memory cap, to say whether a schedule other than the
// hand-written ones runs that configuration faster.
#include <optional>
#include <string>

#include "tools/model/model_description.hpp"
#include "tools/search/schedule_search.hpp"
#include "tools/whatif/candidates.hpp"

namespace pipewise::tools {

// The search on `best`'s costs (its t, p, d, b, recomputation, ...), over its own shape and
// the placements that split the model alike (v = 1 looped with bidirectional; v = 2 looped
// with V-shape), under the model's memory cap, comparing every synchronous hand-written
// schedule. Fails, with the reason, when the costs cannot be derived or nothing fits.
// REQUIRES: best was simulated.
Result<SearchResult> search_best_configuration(const ModelDescription& model, const Candidate& best,
                                               unsigned threads);

// The report's section: what the search found against `best` as recommend simulated it.
std::string schedule_search_section(const Candidate& best, const Result<SearchResult>& found);

}  // namespace pipewise::tools
