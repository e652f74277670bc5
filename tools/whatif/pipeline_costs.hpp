#pragma once
// From a model description to the simulator's costs for one layout: which layers each of
// the p·v stages holds, what each stage's forward and backward cost (tensor-parallel
// communication included), its memory (weights, gradients, optimizer state and what each
// micro-batch keeps), the messages between stages and the data-parallel synchronisation.
// Every stage gets its own costs: the first holds the embedding, the last the output
// layer and the loss.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/ir/status.hpp"
#include "common/partition/stage_partition.hpp"
#include "sim/cost_model.hpp"
#include "tools/model/model_description.hpp"

namespace pipewise::tools {

// Activation recomputation, as Megatron-LM's --recompute-granularity names it.
enum class Recompute : std::uint8_t {
  None,       // stash every activation
  Selective,  // transformers: recompute the attention core only (Korthikanti et al. §5)
  Full,       // keep each layer's input, rerun the whole forward during backward
  // Full recomputation of the first PipelineShape::recompute_layers layers of each stage
  // (model chunk), the others keeping everything: Megatron-LM's --recompute-granularity
  // full --recompute-method block --recompute-num-layers N, for when full recomputation
  // of every layer is more than the memory needs.
  Block,
};
std::string_view recompute_name(Recompute recompute);  // "off", "selective", "full", "block"
// Inverse of recompute_name (also accepts "none"); throws pipewise::Error otherwise.
Recompute recompute_from_name(std::string_view name);

// A recomputation as the command line spells it: a name, or "block:N" for block
// recomputation of N >= 1 layers per stage (`layers` 0 for a name alone). Throws
// pipewise::Error, naming the text, otherwise.
struct RecomputeSetting {
  Recompute recompute = Recompute::None;
  std::uint32_t layers = 0;
};
RecomputeSetting recompute_setting_from_text(std::string_view text);

// The N of "block:N" (or of Megatron-LM's --recompute-num-layers) as text: a whole number of
// layers from 1 to kMostRecomputedLayers, or nullopt for anything else.
std::optional<std::uint32_t> recomputed_layers_from_text(std::string_view digits);
// More layers per stage than any model has: an N above it is a typo.
inline constexpr std::uint32_t kMostRecomputedLayers = 1u << 20;

// How a transformer's layers are split into stages.
enum class LayerSplit : std::uint8_t {
  Even,      // L / (p·v) each, Megatron-LM's default
  Balanced,  // v = 1: the first and last stages hold fewer or more layers so that the
             // embedding and the loss do not slow them (Megatron-LM's
             // --decoder-first-pipeline-num-layers / --decoder-last-pipeline-num-layers),
             // the others L' / (p−2) each
  // The embedding and the loss each count as one layer: (L + 2) / (p·v) per stage, the
  // first and the last one layer fewer (Megatron-LM's
  // --account-for-embedding-in-pipeline-split --account-for-loss-in-pipeline-split), any v.
  EmbeddingAndLossAsLayers,
};
// "even", "balanced", "embedding-and-loss-as-layers"
std::string_view split_name(LayerSplit split);
// Whether EmbeddingAndLossAsLayers splits `layers` into `stages`: S divides L + 2 with at
// least two slots per stage (so the first and the last stage keep a layer).
bool splits_counting_embedding_and_loss(std::uint64_t layers, std::uint64_t stages);
// The split Megatron-LM uses for a transformer's `layers` on `devices` × `chunks` stages:
// even where p·v divides them; else balanced with v = 1 and p >= 2, the embedding and the
// loss counted as layers with v > 1 where that divides; else even (which pipeline_costs
// then refuses, saying why).
LayerSplit megatron_layer_split(std::uint64_t layers, std::uint32_t devices, std::uint32_t chunks);

// How the model is laid out on the devices.
struct PipelineShape {
  std::uint32_t devices = 1;       // p, pipeline stages' devices
  std::uint32_t chunks = 1;        // v, model chunks per device
  std::uint32_t replicas = 1;      // d, data-parallel copies of the pipeline
  std::uint32_t micro_batch_size = 1;
  Recompute recompute = Recompute::None;
  std::uint32_t recompute_layers = 0;  // N of Recompute::Block (at least 1); else 0
  TensorParallelism tensor{1, false};
  // cp, ranks sharing each sequence (context parallelism): the job has t·cp·p·d devices;
  // gradients are reduced, and the distributed optimizer sharded, over the d·cp ranks
  // that hold the same weights, as Megatron-LM does.
  std::uint32_t context = 1;
  bool distributed_optimizer = false;
  LayerSplit split = LayerSplit::Even;
};

// The recomputation as reports name it: "off", "selective", "full", or "block:N".
std::string recompute_label(const PipelineShape& shape);

// The bytes one stage holds, by kind (for reports).
struct StageMemoryBreakdown {
  double parameters = 0;           // on one tensor-parallel rank
  double weight_bytes = 0;
  double gradient_bytes = 0;
  double optimizer_state_bytes = 0;
  double kept_bytes = 0;           // per micro-batch in flight (stash or checkpoint)
  double working_set_bytes = 0;    // rebuilt during a backward under full recomputation

  double static_bytes() const { return weight_bytes + gradient_bytes + optimizer_state_bytes; }
};

struct PipelineCosts {
  sim::CostConfig config;          // for resolve_costs with Problem{p, v, m}
  std::vector<StageSplit> stages;  // the layers of each of the p·v stages
  std::vector<StageMemoryBreakdown> memory;  // per stage
  double message_bytes = 0;        // one micro-batch's message on one link
};

// The costs of `model` laid out as `shape`. Layer groups (not transformers) are split by
// partition_layers on forward+backward time, whatever `shape.split` says. Fails, with the
// reason, on layouts a search skips: p·v above the layer count, an even split that p·v
// does not divide (L + 2 for EmbeddingAndLossAsLayers, with at least two per stage), a
// balanced split with v > 1 or p = 1, selective recomputation or tensor
// parallelism of a model that is not a transformer, t not dividing the heads, a context
// parallelism the model does not allow (context_parallel_problem), block recomputation
// of no layer (recompute_layers 0).
Result<PipelineCosts> pipeline_costs(const ModelDescription& model, const PipelineShape& shape);

// The same, with each stage's layers given (`splits`: every layer once, in order, one
// non-empty run per stage, as partition_layers returns them) instead of shape.split: the
// costs of a split `pipewise partition` chose. Fails, with the reason, on splits that are
// not such a cover, and as above.
Result<PipelineCosts> pipeline_costs(const ModelDescription& model, const PipelineShape& shape,
                                     const std::vector<StageSplit>& splits);

}  // namespace pipewise::tools
