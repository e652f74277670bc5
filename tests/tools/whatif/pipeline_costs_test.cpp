// The costs a pipeline layout derives from a model description.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "tools/whatif/pipeline_costs.hpp"

namespace pipewise::tools {
namespace {

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
  const PipelineCosts costs = pipeline_costs(model, resolve_layers(model), shape).value();
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
  const PipelineCosts costs = pipeline_costs(model, resolve_layers(model), shape).value();
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
  EXPECT_EQ(pipeline_costs(model, resolve_layers(model), shape).status().reason(),
            "selective recomputation needs a transformer model (layer \"layer\" is not one)");
}

TEST(PipelineCosts, MoreStagesThanLayersIsAnAnswerNotAnError) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.devices = 2;
  shape.chunks = 2;
  EXPECT_EQ(pipeline_costs(model, resolve_layers(model), shape).status().reason(),
            "p·v = 4 stages cannot hold 2 layers (at most one stage per layer)");
}

}  // namespace
}  // namespace pipewise::tools
