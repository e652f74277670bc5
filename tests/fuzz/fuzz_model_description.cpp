// libFuzzer target: the model-description reader (tools/model/model_json.hpp), then the layers
// and pipeline costs that a read description yields.
// Properties: any input either parses or throws pipewise::Error; a description that
// parses resolves its layers, writes to JSON that reads back and writes again identically,
// and gives pipeline costs (or a pipewise::Error) for a few pipeline shapes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/ir/error.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tools/model/model_json.hpp"
#include "tools/whatif/pipeline_costs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipewise;
  tools::ModelDescription model;
  try {
    model = tools::model_from_json(std::string(fuzz::as_text(data, size)), "fuzz");
  } catch (const Error&) {
    return 0;
  }
  const std::string written = tools::model_to_json(model);
  try {
    if (tools::model_to_json(tools::model_from_json(written, "written")) != written) {
      fuzz::broken("model JSON write -> read -> write is identical");
    }
  } catch (const Error&) {
    fuzz::broken("the model reader accepts what the model writer writes");
  }
  tools::LayerLayout layout;
  layout.tensor = model.parallelism.tensor_or_default();
  layout.micro_batch_size = model.batch.micro_batch_sizes.front();
  const std::vector<tools::LayerCost> layers = tools::resolve_layers(model, layout).layers;
  if (layers.size() != model.layer_count()) fuzz::broken("one resolved cost per layer");
  for (const std::uint32_t devices : {1u, 2u, 4u}) {
    for (const tools::Recompute recompute :
         {tools::Recompute::None, tools::Recompute::Selective, tools::Recompute::Full}) {
      tools::PipelineShape shape;
      shape.devices = devices;
      shape.chunks = devices == 2 ? 2 : 1;
      shape.micro_batch_size = model.batch.micro_batch_sizes.front();
      shape.recompute = recompute;
      shape.tensor = layout.tensor;
      // A layout the model cannot take is an answer with its reason, never an exception.
      const Result<tools::PipelineCosts> costs = tools::pipeline_costs(model, shape);
      if (!costs.ok() && costs.status().reason().empty()) fuzz::broken("a failure says why");
    }
  }
  return 0;
}
