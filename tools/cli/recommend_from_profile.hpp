#pragma once
// `pipewise recommend --costs FILE`: recommend's answer for the model a `pipewise profile`
// cost file measured (tools/compare/profiled_recommend.hpp), as a table or JSON.
#include <boost/program_options.hpp>
#include <cstddef>
#include <string>

#include "tools/compare/profiled_recommend.hpp"

namespace pipewise::tools {

// Runs `pipewise recommend --costs FILE` with the parsed `values`: --devices and
// --global-batch-size are required, --memory-cap (GiB), -s, -p, -v, --top, -f table|json,
// -o and --svg apply; every other model or search flag is refused in one line (the file
// describes the model). Returns the exit status: 0 when some configuration fits, else
// throws pipewise::Error saying why none does (the report still goes to stdout).
int recommend_from_profile_command(const boost::program_options::variables_map& values);

// The report: what was searched, the `top` fastest configurations that fit with their
// predicted step, bubble, peak memory and how each compares with the best, the fastest ones
// over the cap that beat the best, why the others could not be predicted, and the `pipewise
// run` command that measures the best one against this prediction.
std::string profiled_recommendation_report(const ProfiledRecommendation& recommendation,
                                           const ProfiledSearch& search, const sim::ProfileOrigin& origin,
                                           const std::string& costs_path, std::size_t top);

// The picture (--svg, configuration_chart.hpp): the eight best that fit and the faster ones
// over the cap, step time and peak memory against the cap, and the best one's predicted
// timeline (at m = 2p when its m is larger). `file` is the cost file read from `costs_path`.
std::string profiled_recommendation_svg(const ProfiledRecommendation& recommendation, const ProfiledSearch& search,
                                        const sim::CostConfig& file, const std::string& costs_path);

// The same as JSON (schema "pipewise.profiled-recommendation", version 1; README).
std::string profiled_recommendation_json(const ProfiledRecommendation& recommendation,
                                         const ProfiledSearch& search, const sim::ProfileOrigin& origin,
                                         const std::string& costs_path, std::size_t top);

}  // namespace pipewise::tools
