#pragma once
// The picture of a recommendation (`pipewise recommend --svg FILE`).
#include <cstddef>
#include <string>

#include "tools/model/model_description.hpp"
#include "tools/whatif/recommend.hpp"

namespace pipewise::tools {

// A standalone SVG document: the model in a subtitle; a bar chart of the best fitting
// configurations and the faster ones that exceed the cap, step time on the left, peak
// memory (static part and activations) on the right against a dashed line at the cap;
// then the simulator's timeline (common/timeline/svg_timeline.hpp) of the best configuration,
// drawn at m = 2p when the real m is larger so that its ops stay legible (said in its
// caption). Without a fitting configuration the timeline is left out.
std::string recommendation_svg(const ModelDescription& model, const Recommendation& recommendation);

// How many of the best fitting configurations the picture draws (the search must keep that
// many exact: RecommendOptions::exact_answers).
inline constexpr std::size_t kSvgFittingRows = 8;

}  // namespace pipewise::tools
