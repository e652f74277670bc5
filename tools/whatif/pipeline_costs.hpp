#pragma once
// From a model description to the simulator's costs for one pipeline shape: which layers
// each of the p·v stages holds, what each stage's forward and backward cost, the messages
// between stages, the data-parallel all-reduce, and every device's memory.
#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/cost_model.hpp"
#include "tools/model/model_description.hpp"
#include "common/partition/stage_partition.hpp"

namespace pipewise::tools {

// Activation recomputation, as Megatron-LM's --recompute-granularity names it.
enum class Recompute : std::uint8_t {
  None,       // stash every activation
  Selective,  // transformers: recompute the attention core only (Korthikanti et al. §5)
  Full,       // keep each layer's input, rerun the whole forward during backward
};
std::string_view recompute_name(Recompute recompute);  // "off", "selective", "full"
// Inverse of recompute_name (also accepts "none"); throws pipewise::Error otherwise.
Recompute recompute_from_name(std::string_view name);

// How the model is laid out on the devices.
struct PipelineShape {
  std::uint32_t devices = 1;       // p, pipeline stages' devices
  std::uint32_t chunks = 1;        // v, model chunks per device
  std::uint32_t replicas = 1;      // d, data-parallel copies of the pipeline
  std::uint32_t micro_batch_size = 1;
  Recompute recompute = Recompute::None;
};

struct PipelineCosts {
  sim::CostConfig config;          // for resolve_costs with Problem{p, v, m}
  std::vector<StageSplit> stages;  // the layers of each of the p·v stages
  // Under full recomputation Megatron-LM keeps every layer's input (a checkpoint) per
  // micro-batch in flight, not only the stage boundary the simulator keeps; these are the
  // bytes per stash beyond that boundary (0 otherwise); simulate_point adds them.
  double extra_checkpoint_bytes = 0;
};

// The costs of `model` (whose layers are `layers`, from resolve_layers) laid out as
// `shape`. The layers are split into p·v stages by partition_layers on forward+backward
// time. Memory is modelled per device; when the split is uneven, every stage is charged
// the largest stage's parameters and activations (conservative). Fails, with the reason,
// when p·v exceeds the number of layers or the shape asks for selective recomputation of
// a model that is not a transformer: layouts a search skips.
Result<PipelineCosts> pipeline_costs(const ModelDescription& model,
                                     const std::vector<LayerCost>& layers,
                                     const PipelineShape& shape);

}  // namespace pipewise::tools
