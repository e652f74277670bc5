#pragma once
// The question Megatron-LM's memory estimator answers (tools/model/megatron_memory.hpp),
// asked of a model and a layout: what `recommend` and `published-runs` print beside
// pipewise's own per-stage accounting.
#include <cstdint>

#include "tools/model/megatron_memory.hpp"
#include "tools/model/model_description.hpp"
#include "tools/whatif/pipeline_costs.hpp"

namespace pipewise::tools {

// Megatron-LM's estimator ignores --context-parallel-size: with cp > 1 the query is about
// one rank's share, s/cp tokens of each sequence, and the d·cp ranks its distributed
// optimizer shards over.
// REQUIRES: model.transformer.
MegatronMemoryQuery megatron_query(const ModelDescription& model, const PipelineShape& shape,
                                   std::uint32_t microbatches);

}  // namespace pipewise::tools
