// The costs a pipeline layout derives from a model description: per-stage times and memory,
// the embedding on the first stage and the loss on the last, messages and data parallelism.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/ir/error.hpp"
#include "tests/tools/whatif/layer_list_model.hpp"
#include "tools/whatif/pipeline_costs.hpp"

namespace pipewise::tools {
namespace {

ModelDescription two_layer_model() { return testing::layer_list_model(2); }

TEST(PipelineCosts, OneLayerPerStageScalesWithTheMicrobatch) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.devices = 2;
  shape.replicas = 2;
  shape.micro_batch_size = 3;
  shape.distributed_optimizer = true;
  const PipelineCosts costs = pipeline_costs(model, shape).value();
  ASSERT_EQ(costs.config.stages.size(), 2u);
  const sim::StageOverride& last = costs.config.stages[1];
  EXPECT_DOUBLE_EQ(*last.costs.forward, 3.0);  // 3 samples × 1 ms
  EXPECT_DOUBLE_EQ(*last.costs.backward_input, 3.0);
  EXPECT_DOUBLE_EQ(*last.costs.backward_weight, 3.0);
  EXPECT_DOUBLE_EQ(costs.config.communication.activation_bytes, 30.0);
  EXPECT_DOUBLE_EQ(*last.memory.parameter_bytes, 1000.0);
  EXPECT_DOUBLE_EQ(*last.memory.gradient_bytes, 2000.0);         // 500 parameters × 4 bytes
  EXPECT_DOUBLE_EQ(*last.memory.optimizer_state_bytes, 1500.0);  // 500 × 6, sharded over d = 2
  EXPECT_DOUBLE_EQ(*last.memory.stash_bytes, 300.0);
  EXPECT_EQ(costs.config.data_parallel.replicas, 2u);
  EXPECT_TRUE(costs.config.data_parallel.sharded);
  EXPECT_FALSE(costs.config.memory.recompute);
}

TEST(PipelineCosts, FullRecomputationKeepsEveryLayersInputAndRebuildsOneLayer) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.devices = 1;
  shape.replicas = 4;
  shape.recompute = Recompute::Full;
  const PipelineCosts costs = pipeline_costs(model, shape).value();
  const sim::StageOverride& only = costs.config.stages[0];
  EXPECT_TRUE(costs.config.memory.recompute);
  EXPECT_DOUBLE_EQ(*only.memory.checkpoint_bytes, 20.0);   // both layers' inputs, 10 each
  EXPECT_DOUBLE_EQ(*only.memory.working_set_bytes, 100.0);  // one layer rebuilt at a time
  EXPECT_DOUBLE_EQ(*only.costs.recompute_forward, 2.0);     // both layers' forward again
  // Without the distributed optimizer every replica keeps the whole state: 1000 × 6.
  EXPECT_DOUBLE_EQ(*only.memory.optimizer_state_bytes, 6000.0);
}

// h = 4, s = 2, a = 2, L = 2, V = 100, no biases: a layer is 208 parameters (12h² and two
// LayerNorms), the embedding 400 words and 8 positions, the head a LayerNorm (8) and the
// output weights (400).
ModelDescription tiny_gpt() {
  ModelDescription model;
  TransformerShape shape{2, 4, 2, 2};
  shape.vocabulary = 100;
  shape.vocabulary_divisor = 1;
  shape.linear_bias = false;
  model.transformer = shape;
  model.device.count = 2;
  model.batch = {8, {1}};
  return model;
}

TEST(PipelineCosts, TheFirstStageHoldsTheEmbeddingAndTheLastTheLoss) {
  const ModelDescription model = tiny_gpt();
  PipelineShape shape;
  shape.devices = 2;
  const PipelineCosts costs = pipeline_costs(model, shape).value();
  ASSERT_EQ(costs.memory.size(), 2u);
  EXPECT_DOUBLE_EQ(costs.memory[0].parameters, 208 + 408);
  // Tied embeddings with p > 1: the last stage keeps its own copy of the word embeddings.
  EXPECT_DOUBLE_EQ(costs.memory[1].parameters, 208 + 408);
  EXPECT_DOUBLE_EQ(costs.memory[0].gradient_bytes, 616 * 4.0);
  // Per micro-batch: a layer keeps s·h·(34 + 5as/h) = 312 bytes; the embedding its dropout
  // mask (s·h) and token ids (8·s); the head the inputs of its norm and output layer
  // (2·2·s·h) and the logits in bf16 and fp32 (6·s·V).
  EXPECT_DOUBLE_EQ(costs.memory[0].kept_bytes, 312 + 8 + 16);
  EXPECT_DOUBLE_EQ(costs.memory[1].kept_bytes, 312 + 32 + 1200);
  // One stage: the output layer is the embedding itself.
  shape.devices = 1;
  shape.replicas = 2;
  EXPECT_DOUBLE_EQ(pipeline_costs(model, shape).value().memory[0].parameters, 2 * 208 + 408 + 8);
}

TEST(PipelineCosts, FullRecomputationRerunsTheLayersButNotTheLoss) {
  const ModelDescription model = tiny_gpt();
  PipelineShape shape;
  shape.devices = 2;
  shape.recompute = Recompute::Full;
  const PipelineCosts costs = pipeline_costs(model, shape).value();
  const sim::StageOverride& last = costs.config.stages[1];
  EXPECT_LT(*last.costs.recompute_forward, *last.costs.forward);
  // The head keeps everything (1232 bytes); the layer only its input, 2·s·h.
  EXPECT_DOUBLE_EQ(costs.memory[1].kept_bytes, 16 + 1232);
  EXPECT_DOUBLE_EQ(costs.memory[1].working_set_bytes, 312);
}

TEST(PipelineCosts, MessagesAreSplitOverTheTensorParallelRanksWithSequenceParallelismOrScatterGather) {
  ModelDescription model = tiny_gpt();
  model.device.count = 4;
  PipelineShape shape;
  shape.devices = 2;
  shape.tensor = {2, true};
  EXPECT_DOUBLE_EQ(pipeline_costs(model, shape).value().message_bytes, 16 / 2.0);
  shape.tensor = {2, false};
  EXPECT_DOUBLE_EQ(pipeline_costs(model, shape).value().message_bytes, 16 / 2.0);
  model.communication.scatter_gather = false;
  EXPECT_DOUBLE_EQ(pipeline_costs(model, shape).value().message_bytes, 16.0);
}

// NCCL runs a ring per network card, so a data-parallel group spanning nodes crosses the
// network through each of its members' cards at once (nccl-tests on two 8-GPU nodes with
// four 200 Gb/s cards: about 86 of the 100 GB/s the four cards carry), up to NVLink's rate.
TEST(PipelineCosts, TheDataParallelRingCrossesTheNetworkThroughEveryCardOfItsNodes) {
  ModelDescription model = tiny_gpt();
  HardwareSpec& hardware = model.device.hardware;
  hardware.gpus_per_node = 4;
  hardware.inter_node_gb_per_s = 50;
  hardware.intra_node_gb_per_s = 450;
  const auto bandwidth = [&](std::uint32_t tensor, std::uint32_t replicas) {
    model.device.count = tensor * replicas;
    PipelineShape shape;
    shape.devices = 1;
    shape.replicas = replicas;
    shape.tensor = {tensor, false};
    return pipeline_costs(model, shape).value().config.data_parallel.bandwidth_gb_per_s;
  };
  const double network = 50 * kLinkEfficiency;
  const double nvlink = 450 * kLinkEfficiency;
  EXPECT_DOUBLE_EQ(bandwidth(1, 4), nvlink);        // one node
  EXPECT_DOUBLE_EQ(bandwidth(1, 8), 4 * network);   // 4 replicas in each of 2 nodes
  EXPECT_DOUBLE_EQ(bandwidth(2, 4), 2 * network);   // 2 in each: the others hold the other half
  EXPECT_DOUBLE_EQ(bandwidth(2, 16), 2 * network);
  hardware.gpus_per_node = 16;                     // 16 cards would outrun NVLink
  EXPECT_DOUBLE_EQ(bandwidth(1, 32), nvlink);
  model.interconnect.data_parallel_bandwidth_gb_per_s = 7;  // the user's figure stands
  EXPECT_DOUBLE_EQ(bandwidth(1, 32), 7);
}

// Megatron-LM today overlaps the interleaved schedule's messages (--no-overlap-p2p-communication
// turns it off) and cannot overlap 1F1B's; a model that says which keeps it for every v.
TEST(PipelineCosts, PipelineMessagesOverlapWithChunksUnlessTheModelSays) {
  ModelDescription model = tiny_gpt();
  model.transformer->layers = 4;
  PipelineShape shape;
  shape.devices = 2;
  const auto mode = [&](std::uint32_t chunks) {
    shape.chunks = chunks;
    return pipeline_costs(model, shape).value().config.communication.mode;
  };
  EXPECT_EQ(mode(1), sim::CommMode::Blocking);
  EXPECT_EQ(mode(2), sim::CommMode::Overlapped);
  model.communication.pipeline_overlap = false;
  EXPECT_EQ(mode(2), sim::CommMode::Blocking);
  model.communication.pipeline_overlap = true;
  EXPECT_EQ(mode(1), sim::CommMode::Overlapped);
}

TEST(PipelineCosts, ABalancedSplitGivesTheHeavyLastStageFewerLayers) {
  ModelDescription model = tiny_gpt();
  model.transformer->layers = 8;
  model.transformer->vocabulary = 50000;  // logits far costlier than a layer
  PipelineShape shape;
  shape.devices = 2;
  shape.split = LayerSplit::Balanced;
  const PipelineCosts balanced = pipeline_costs(model, shape).value();
  EXPECT_LT(balanced.stages[1].layer_count, balanced.stages[0].layer_count);
  const auto slowest = [](const PipelineCosts& costs) {
    double slowest_ms = 0;
    for (const sim::StageOverride& stage : costs.config.stages) {
      slowest_ms = std::max(slowest_ms, *stage.costs.forward + *stage.costs.backward_input +
                                            *stage.costs.backward_weight);
    }
    return slowest_ms;
  };
  shape.split = LayerSplit::Even;
  EXPECT_LT(slowest(balanced), slowest(pipeline_costs(model, shape).value()));
  shape.chunks = 2;
  shape.split = LayerSplit::Balanced;
  EXPECT_EQ(pipeline_costs(model, shape).status().reason(), "a balanced split needs v = 1");
}

// Megatron-LM's --account-for-embedding-in-pipeline-split --account-for-loss-in-pipeline-split:
// 126 layers on p·v = 16 · 4 stages are 128 slots of 2, the first and last stage one layer.
TEST(PipelineCosts, CountingTheEmbeddingAndTheLossAsLayersSplitsWhatAnEvenSplitCannot) {
  ModelDescription model = tiny_gpt();
  model.transformer->layers = 126;
  PipelineShape shape;
  shape.devices = 16;
  shape.chunks = 4;
  EXPECT_FALSE(pipeline_costs(model, shape).ok());  // 64 does not divide 126
  shape.split = LayerSplit::EmbeddingAndLossAsLayers;
  const PipelineCosts costs = pipeline_costs(model, shape).value();
  ASSERT_EQ(costs.stages.size(), 64u);
  std::uint32_t next = 0;
  for (std::size_t s = 0; s < costs.stages.size(); ++s) {
    const std::uint32_t expected = s == 0 || s + 1 == costs.stages.size() ? 1 : 2;
    EXPECT_EQ(costs.stages[s].layer_count, expected) << "stage " << s;
    EXPECT_EQ(costs.stages[s].first_layer, next) << "stage " << s;
    next += costs.stages[s].layer_count;
  }
  EXPECT_EQ(next, 126u);
  // 126 + 2 = 128 slots: 3 stages do not divide them, and 128 stages would leave the first
  // and the last none.
  shape.devices = 3;
  shape.chunks = 1;
  EXPECT_EQ(pipeline_costs(model, shape).status().reason(),
            "p·v = 3 does not divide the 126 layers with the embedding and the loss counted as layers "
            "(128 slots, at least two per stage)");
  shape.devices = 16;
  shape.chunks = 3;
  shape.split = LayerSplit::Even;
  EXPECT_EQ(pipeline_costs(model, shape).status().reason(),
            "p·v = 48 divides neither the 126 layers (an even split) nor 128 (the embedding and the loss "
            "counted as layers)");
  EXPECT_TRUE(splits_counting_embedding_and_loss(126, 64));
  EXPECT_FALSE(splits_counting_embedding_and_loss(126, 128));
  EXPECT_FALSE(splits_counting_embedding_and_loss(126, 1));
}

TEST(PipelineCosts, AnEvenSplitNeedsTheLayersToDivide) {
  ModelDescription model = tiny_gpt();
  model.transformer->layers = 3;
  PipelineShape shape;
  shape.devices = 2;
  EXPECT_EQ(pipeline_costs(model, shape).status().reason(),
            "p·v = 2 does not divide the 3 layers (an even split)");
}

// A split partition chose: any contiguous cover of the layers, even where an even split
// cannot be; stages keep their embedding and loss. Anything else is refused with why.
TEST(PipelineCosts, AGivenSplitIsCostedAsGiven) {
  ModelDescription model = tiny_gpt();
  model.transformer->layers = 3;
  PipelineShape shape;
  shape.devices = 2;
  const PipelineCosts costs = pipeline_costs(model, shape, {{0, 1, 0, 0}, {1, 2, 0, 0}}).value();
  ASSERT_EQ(costs.memory.size(), 2u);
  EXPECT_EQ(costs.stages[1].first_layer, 1u);
  EXPECT_EQ(costs.stages[1].layer_count, 2u);
  // One layer and the embedding; two layers and the head (see the test above).
  EXPECT_DOUBLE_EQ(costs.memory[0].kept_bytes, 312 + 8 + 16);
  EXPECT_DOUBLE_EQ(costs.memory[1].kept_bytes, 2 * 312 + 32 + 1200);

  EXPECT_EQ(pipeline_costs(model, shape, {{0, 3, 0, 0}}).status().reason(), "1 stage splits for p·v = 2 stages");
  EXPECT_EQ(pipeline_costs(model, shape, {{0, 1, 0, 0}, {2, 1, 0, 0}}).status().reason(),
            "stage splits must cover the layers in order, each stage non-empty");
  EXPECT_EQ(pipeline_costs(model, shape, {{0, 1, 0, 0}, {1, 1, 0, 0}}).status().reason(),
            "stage splits cover 2 of the 3 layers");
}

TEST(PipelineCosts, SelectiveRecomputationNeedsATransformer) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.recompute = Recompute::Selective;
  EXPECT_EQ(pipeline_costs(model, shape).status().reason(),
            "selective recomputation needs a transformer model (layer \"layer\" is not one)");
}

TEST(PipelineCosts, MoreStagesThanLayersIsAnAnswerNotAnError) {
  const ModelDescription model = two_layer_model();
  PipelineShape shape;
  shape.devices = 2;
  shape.chunks = 2;
  EXPECT_EQ(pipeline_costs(model, shape).status().reason(),
            "p·v = 4 stages cannot hold 2 layers (at most one stage per layer)");
}

}  // namespace
}  // namespace pipewise::tools
