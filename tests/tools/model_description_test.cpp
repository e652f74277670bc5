// Model descriptions: the JSON form, its errors, and the costs a layout derives from it.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "tools/model_json.hpp"
#include "tools/model_presets.hpp"
#include "tools/pipeline_costs.hpp"
#include "tools/units.hpp"

namespace pipewise::cli {
namespace {

std::string error_of(const std::string& json) {
  try {
    model_from_json(json, "m.json");
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(ModelJson, EveryPresetRoundTrips) {
  for (const ModelPreset& preset : model_presets()) {
    const std::string json = model_to_json(preset.model);
    EXPECT_EQ(model_to_json(model_from_json(json, preset.name)), json) << preset.name;
  }
}

TEST(ModelJson, LayerValuesArePerMicrobatchOfTheMeasuredSize) {
  const ModelDescription model = model_from_json(
      R"({"measured_micro_batch_size": 4,
          "layers": [{"count": 3, "forward_ms": 8, "activation_bytes": 400, "parameters": 10}],
          "device": {"memory_bytes": 1e9}})",
      "m.json");
  const std::vector<LayerCost> layers = resolve_layers(model);
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_DOUBLE_EQ(layers[0].forward_ms, 2.0);         // 8 ms for 4 samples
  EXPECT_DOUBLE_EQ(layers[0].backward_ms, 4.0);        // twice the forward by default
  EXPECT_DOUBLE_EQ(layers[0].activation_bytes, 100.0);
  EXPECT_DOUBLE_EQ(layers[0].parameter_bytes, 20.0);   // 10 parameters of 2 bytes
  EXPECT_DOUBLE_EQ(model.device.memory_bytes, 1e9);
}

TEST(ModelJson, FlopsBecomeTimeAtTheDeviceThroughput) {
  // 2·10^12 FLOPs at 400 TFLOP/s = 5 ms.
  const ModelDescription model = model_from_json(
      R"({"layers": [{"forward_flops": 2e12}], "device": {"tflops": 400}})", "m.json");
  EXPECT_DOUBLE_EQ(resolve_layers(model)[0].forward_ms, 5.0);
  EXPECT_DOUBLE_EQ(resolve_layers(model)[0].backward_ms, 10.0);
}

TEST(ModelJson, ErrorsNameTheFileAndThePath) {
  EXPECT_EQ(error_of(R"({"layers": [{"forward_ms": -1}]})"), "m.json: $.layers[0].forward_ms must be a number >= 0 (got -1)");
  EXPECT_EQ(error_of(R"({"layers": [{"backward_ms": 1}]})"), "m.json: $.layers[0] needs forward_ms or forward_flops");
  EXPECT_EQ(error_of(R"({"transformer": {"layers": 2, "hidden": 8, "sequence": 4}})"),
            "m.json: $.transformer.heads is required");
  EXPECT_EQ(error_of(R"({"layers": [{"forward_ms": 1}], "batch": {"micro": [0]}})"),
            "m.json: $.batch.micro[0] must be a whole number >= 1");
  EXPECT_EQ(error_of(R"({"layers": [{"forward_ms": 1}], "schema": "pipewise.costs"})"),
            "m.json: $.schema must be \"pipewise.model\" (got \"pipewise.costs\")");
  EXPECT_EQ(error_of(R"({"name": "x"})"), "m.json: the model needs $.transformer or $.layers");
  EXPECT_EQ(error_of(R"({"layers": [{"forward_ms": 1}], "device": {"count": 6}, "parallelism": {"tensor": 4}})"),
            "m.json: tensor-parallel size 4 does not divide the 6 devices");
  EXPECT_NE(error_of(R"({"layers": [{"forward_ms": 1}])").find("m.json: invalid JSON at byte"), std::string::npos);
}

// Two layers of F = 1, B = 2 ms per sample (B split I = W = 1), 100 bytes of activations,
// 10 of output, 1000 of weights; 4 devices, 2 + 6 bytes per parameter with the distributed
// optimizer.
ModelDescription two_layer_model() {
  ModelDescription model;
  LayerGroup group;
  group.count = 2;
  group.forward = {1, false};
  group.backward = {2, false};
  group.activation_bytes = 100;
  group.output_bytes = 10;
  group.parameter_bytes = 1000;
  model.layers = {group};
  model.device.count = 4;
  model.training.optimizer_state_bytes_per_parameter = 6;
  model.training.distributed_optimizer = true;
  return model;
}

TEST(PipelineCosts, OneLayerPerStageScalesWithTheMicrobatch) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.devices = 2;
  shape.replicas = 2;
  shape.micro_batch_size = 3;
  const PipelineCosts costs = pipeline_costs(model, resolve_layers(model), shape);
  ASSERT_EQ(costs.config.stages.size(), 2u);
  EXPECT_DOUBLE_EQ(*costs.config.stages[1].costs.forward, 3.0);  // 3 samples × 1 ms
  EXPECT_DOUBLE_EQ(*costs.config.stages[1].costs.backward_input, 3.0);
  EXPECT_DOUBLE_EQ(*costs.config.stages[1].costs.backward_weight, 3.0);
  EXPECT_DOUBLE_EQ(costs.config.communication.activation_bytes, 30.0);
  EXPECT_DOUBLE_EQ(costs.config.memory.parameter_bytes, 1000.0);
  // 500 parameters × 6 bytes, sharded over d = 2.
  EXPECT_DOUBLE_EQ(*costs.config.memory.optimizer_state_bytes, 1500.0);
  EXPECT_DOUBLE_EQ(costs.config.memory.activation_bytes_per_layer, 300.0);
  EXPECT_EQ(costs.config.data_parallel.replicas, 2u);
  EXPECT_FALSE(costs.config.memory.recompute);
}

TEST(PipelineCosts, FullRecomputationKeepsEveryLayersInputAndRebuildsOneLayer) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.devices = 1;
  shape.replicas = 4;
  shape.recompute = Recompute::Full;
  const PipelineCosts costs = pipeline_costs(model, resolve_layers(model), shape);
  // One stage of both layers: stash 200, one layer's 100 rebuilt at a time.
  EXPECT_TRUE(costs.config.memory.recompute);
  EXPECT_DOUBLE_EQ(costs.config.memory.working_set_factor, 0.5);
  // Checkpoints: both layers' inputs (2 × 10) less the boundary (10) the simulator keeps.
  EXPECT_DOUBLE_EQ(costs.extra_checkpoint_bytes, 10.0);
}

TEST(PipelineCosts, SelectiveRecomputationNeedsATransformer) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.recompute = Recompute::Selective;
  EXPECT_THROW(pipeline_costs(model, resolve_layers(model), shape), Error);
}

TEST(PipelineCosts, MoreStagesThanLayersIsAnError) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.devices = 2;
  shape.chunks = 2;
  EXPECT_THROW(pipeline_costs(model, resolve_layers(model), shape), Error);
}

}  // namespace
}  // namespace pipewise::cli
