// Model descriptions: the JSON form and its errors.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "tools/model/model_json.hpp"
#include "tools/model/model_presets.hpp"

namespace pipewise::tools {
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

// Pipeline overlap left unset means Megatron-LM's default, which depends on v: it stays
// unset through JSON, and a value given stays given.
TEST(ModelJson, PipelineOverlapStaysUnsetOrAsGiven) {
  ModelDescription model = find_model_preset("gpt3-175b")->model;
  ASSERT_FALSE(model.communication.pipeline_overlap.has_value());
  EXPECT_EQ(model_to_json(model).find("pipeline_overlap"), std::string::npos);
  EXPECT_FALSE(model_from_json(model_to_json(model), "m.json").communication.pipeline_overlap.has_value());
  model.communication.pipeline_overlap = false;
  EXPECT_EQ(model_from_json(model_to_json(model), "m.json").communication.pipeline_overlap, false);
}

TEST(ModelJson, AContextParallelSizeStaysAsGiven) {
  ModelDescription model = find_model_preset("llama3-70b")->model;
  EXPECT_EQ(model_to_json(model).find("\"context\""), std::string::npos);
  model.parallelism.context = 2;
  EXPECT_EQ(model_from_json(model_to_json(model), "m.json").parallelism.context, 2u);
}

TEST(ModelJson, LayerValuesArePerMicrobatchOfTheMeasuredSize) {
  const ModelDescription model = model_from_json(
      R"({"measured_micro_batch_size": 4,
          "layers": [{"count": 3, "forward_ms": 8, "activation_bytes": 400, "parameters": 10}],
          "device": {"memory_bytes": 1e9}})",
      "m.json");
  const std::vector<LayerCost> layers = resolve_layers(model, LayerLayout{}).layers;
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_DOUBLE_EQ(layers[0].forward_ms, 2.0);         // 8 ms for 4 samples
  EXPECT_DOUBLE_EQ(layers[0].backward_ms, 4.0);        // twice the forward by default
  EXPECT_DOUBLE_EQ(layers[0].activation_bytes, 100.0);
  EXPECT_DOUBLE_EQ(layers[0].parameters, 10.0);
  EXPECT_DOUBLE_EQ(model.device.hardware.memory_bytes, 1e9);
}

TEST(ModelJson, FlopsBecomeTimeAtTheDeviceThroughput) {
  // 2·10^12 FLOPs at 400 TFLOP/s = 5 ms.
  const ModelDescription model = model_from_json(
      R"({"layers": [{"forward_flops": 2e12}], "device": {"tflops": 400}})", "m.json");
  const std::vector<LayerCost> layers = resolve_layers(model, LayerLayout{}).layers;
  EXPECT_NEAR(layers[0].forward_ms, 5.0, 1e-9);
  EXPECT_NEAR(layers[0].backward_ms, 10.0, 1e-9);
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
  EXPECT_EQ(error_of(R"({"transformer": {"layers": 2, "hidden": 8, "sequence": 4, "heads": 4},
                          "device": {"count": 6}, "parallelism": {"tensor": 4}})"),
            "m.json: tensor-parallel size 4 does not divide the 6 devices");
  EXPECT_EQ(error_of(R"({"layers": [{"forward_ms": 1}], "device": {"count": 4}, "parallelism": {"tensor": 4}})"),
            "m.json: tensor parallelism needs a transformer model (layer groups give one rank's costs)");
  EXPECT_NE(error_of(R"({"layers": [{"forward_ms": 1}])").find("m.json: invalid JSON at byte"), std::string::npos);
}

}  // namespace
}  // namespace pipewise::tools
