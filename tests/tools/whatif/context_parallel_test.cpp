// Context parallelism (Megatron-LM's --context-parallel-size): each rank's share of a
// sequence in the layer formulas, the model's rules, the layout's costs and memory beside
// Megatron-LM's accounting, and recommend's search.
#include <gtest/gtest.h>

#include <set>

#include "common/ir/error.hpp"
#include "tools/model/megatron_memory.hpp"
#include "tools/model/model_presets.hpp"
#include "tools/model/transformer_shape.hpp"
#include "tools/whatif/candidates.hpp"
#include "tools/whatif/megatron_query.hpp"
#include "tools/whatif/pipeline_costs.hpp"
#include "tools/whatif/point_simulation.hpp"

namespace pipewise::tools {
namespace {

// h = 4, s = 4, a = 2 (d = 2), g = 2, f = 16, no biases, flash attention.
TransformerShape tiny_flash() {
  TransformerShape shape{1, 4, 4, 2};
  shape.linear_bias = false;
  shape.flash_attention = true;
  return shape;
}

TEST(ContextParallelism, EachRankComputesAndKeepsItsShareOfTheSequence) {
  const TransformerLayerCosts whole = transformer_layer_costs(tiny_flash(), {1, true}, 1, 1);
  const TransformerLayerCosts halves = transformer_layer_costs(tiny_flash(), {1, true}, 1, 2);
  // 24·s·h² + 4·s²·h = 1536 + 256 FLOPs for the whole sequence; each of two ranks does half
  // (its queries against every key: two 2×2 blocks of scores per head).
  EXPECT_DOUBLE_EQ(whole.block.forward_flops(), 1792);
  EXPECT_DOUBLE_EQ(halves.block.forward_flops(), 1792 / 2.0);
  ASSERT_EQ(halves.core_gemms.size(), 2u);
  EXPECT_DOUBLE_EQ(halves.core_gemms[0].m, 2);
  EXPECT_DOUBLE_EQ(halves.core_gemms[0].n, 2);
  EXPECT_DOUBLE_EQ(halves.core_gemms[0].batch, 2 * 2);  // b·a/t heads, cp blocks each
  // Activations (34·T·h, flash attention's 4·b·a·s of log-sum-exp), the checkpoint, the
  // message: half each. The weights are every rank's.
  EXPECT_DOUBLE_EQ(whole.block.activation_bytes, 34 * 4 * 4 + 4 * 2 * 4);
  EXPECT_DOUBLE_EQ(halves.block.activation_bytes, whole.block.activation_bytes / 2);
  EXPECT_DOUBLE_EQ(halves.checkpoint_bytes, whole.checkpoint_bytes / 2);
  EXPECT_DOUBLE_EQ(halves.output_bytes, 2 * 2 * 4);
  EXPECT_DOUBLE_EQ(halves.block.collective_bytes, whole.block.collective_bytes / 2);
  EXPECT_DOUBLE_EQ(halves.block.parameters, whole.block.parameters);
  // The ring: one step of K and V for 2 tokens of g·d = 4 values, 2 bytes each.
  EXPECT_EQ(whole.ring_steps, 0u);
  EXPECT_EQ(halves.ring_steps, 1u);
  EXPECT_DOUBLE_EQ(halves.ring_step_bytes, 2 * 2 * 4 * 2);
  const TransformerLayerCosts quarters = transformer_layer_costs(tiny_flash(), {2, true}, 1, 2);
  EXPECT_DOUBLE_EQ(quarters.ring_step_bytes, halves.ring_step_bytes / 2);  // t splits the heads
  EXPECT_DOUBLE_EQ(embedding_costs(tiny_flash(), {1, true}, 1, 2).activation_bytes,
                   embedding_costs(tiny_flash(), {1, true}, 1, 1).activation_bytes / 2);
  EXPECT_DOUBLE_EQ(output_head_costs(tiny_flash(), {1, true}, 1, true, 2).activation_bytes,
                   output_head_costs(tiny_flash(), {1, true}, 1, true, 1).activation_bytes / 2);
}

ModelDescription llama3_70b() { return find_model_preset("llama3-70b")->model; }

std::string problem_of(const ModelDescription& model, std::uint32_t context) {
  return context_parallel_problem(model, context);
}

TEST(ContextParallelism, NeedsATransformerWithFlashAttentionAndSequencesOfTwoChunksPerRank) {
  ModelDescription model = llama3_70b();
  EXPECT_EQ(problem_of(model, 1), "");
  EXPECT_EQ(problem_of(model, 2), "");
  EXPECT_EQ(problem_of(model, 0), "context-parallel size must be at least 1");
  EXPECT_EQ(problem_of(model, 3),
            "context-parallel size 3: the sequence length 8192 is not a multiple of 2·cp = 6");
  model.transformer->flash_attention = false;
  EXPECT_EQ(problem_of(model, 2),
            "context-parallel size 2 needs flash attention (Megatron-LM runs context parallelism only in "
            "Transformer Engine's fused attention)");
  ModelDescription groups;
  groups.layers = {LayerGroup{}};
  EXPECT_EQ(problem_of(groups, 2),
            "context-parallel size 2 needs a transformer model (layer groups give one rank's costs)");

  model = llama3_70b();
  model.parallelism.context = 2;
  model.parallelism.tensor = 8;
  model.device.count = 24;
  try {
    model.check();
    ADD_FAILURE() << "t·cp = 16 does not divide 24 devices";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "tensor-parallel size 8 × context-parallel size 2 does not divide the 24 devices");
  }
  model.device.count = 64;
  model.parallelism.data = 3;
  EXPECT_THROW(model.check(), Error);
  model.parallelism.data = 2;
  EXPECT_NO_THROW(model.check());
}

TEST(ContextParallelism, RecommendTriesItWhereEveryRankKeepsTwoThousandTokens) {
  EXPECT_EQ(context_parallel_sizes(llama3_70b()), (std::vector<std::uint32_t>{1, 2, 4}));
  ModelDescription longer = llama3_70b();
  longer.transformer->sequence = 32768;
  EXPECT_EQ(context_parallel_sizes(longer), (std::vector<std::uint32_t>{1, 2, 4, 8, 16}));
  longer.device.count = 4;  // cp must divide the devices
  EXPECT_EQ(context_parallel_sizes(longer), (std::vector<std::uint32_t>{1, 2, 4}));
  // GPT-3's 2048-token sequences and no flash attention: never split.
  EXPECT_EQ(context_parallel_sizes(find_model_preset("gpt3-175b")->model), (std::vector<std::uint32_t>{1}));
  longer.parallelism.context = 4;
  EXPECT_EQ(context_parallel_sizes(longer), (std::vector<std::uint32_t>{4}));
}

TEST(ContextParallelism, TheSearchLaysOutTensorContextPipelineAndDataOnEveryDevice) {
  const ModelDescription model = llama3_70b();
  RecommendOptions options;
  options.schedules = {"1f1b"};
  std::set<std::uint32_t> contexts;
  for (const Candidate& candidate : enumerate_candidates(model, model.layer_count(), options).candidates) {
    if (!candidate.validity.ok()) continue;
    const PipelineShape& shape = candidate.shape;
    contexts.insert(shape.context);
    EXPECT_EQ(std::uint64_t{shape.tensor.size} * shape.context * shape.devices * shape.replicas, 64u);
    EXPECT_EQ(std::uint64_t{candidate.microbatches} * shape.micro_batch_size * shape.replicas, 256u);
  }
  EXPECT_EQ(contexts, (std::set<std::uint32_t>{1, 2, 4}));
}

PipelineShape llama_shape(std::uint32_t context, std::uint32_t replicas) {
  PipelineShape shape;
  shape.devices = 4;
  shape.tensor = {4, true};
  shape.context = context;
  shape.replicas = replicas;
  shape.distributed_optimizer = true;
  return shape;
}

TEST(ContextParallelism, GradientsAndTheDistributedOptimizerSpanTheReplicasAndTheContextRanks) {
  const ModelDescription model = llama3_70b();
  const PipelineCosts split = pipeline_costs(model, llama_shape(2, 2)).value();
  const PipelineCosts whole = pipeline_costs(model, llama_shape(1, 4)).value();
  // Both shard the optimizer state and reduce the gradients over four ranks.
  EXPECT_EQ(split.config.data_parallel.replicas, 4u);
  EXPECT_DOUBLE_EQ(split.memory[1].optimizer_state_bytes, whole.memory[1].optimizer_state_bytes);
  EXPECT_DOUBLE_EQ(split.memory[1].weight_bytes, whole.memory[1].weight_bytes);
  // Each rank keeps, and sends, half of every micro-batch.
  EXPECT_DOUBLE_EQ(split.memory[1].kept_bytes, whole.memory[1].kept_bytes / 2);
  EXPECT_DOUBLE_EQ(split.message_bytes, whole.message_bytes / 2);
  // Half the tokens, in smaller GEMMs, plus what the ring leaves exposed: more than half
  // the time, less than all of it.
  const double split_forward = *split.config.stages[1].costs.forward;
  const double whole_forward = *whole.config.stages[1].costs.forward;
  EXPECT_GT(split_forward, whole_forward / 2);
  EXPECT_LT(split_forward, whole_forward);

  ModelDescription gpt = find_model_preset("gpt3-175b")->model;
  PipelineShape shape;
  shape.devices = 8;
  shape.context = 2;
  EXPECT_EQ(pipeline_costs(gpt, shape).status().reason(),
            "context-parallel size 2 needs flash attention (Megatron-LM runs context parallelism only in "
            "Transformer Engine's fused attention)");
}

// Megatron-LM's estimator ignores context parallelism; asked about one rank's s/cp tokens it
// halves that rank's activations with cp = 2, as pipewise does, and the two accountings stay
// as close as they are without it.
TEST(ContextParallelism, ARanksActivationsHalveInPipewiseAndInMegatronLmsAccountingOfItsShare) {
  const ModelDescription model = llama3_70b();
  double pipewise_activations[2] = {0, 0};
  double megatron_activations[2] = {0, 0};
  double difference[2] = {0, 0};
  for (const std::uint32_t context : {1u, 2u}) {
    const PipelineShape shape = llama_shape(context, 4 / context);
    const PipelineCosts costs = pipeline_costs(model, shape).value();
    Problem problem;
    problem.devices = shape.devices;
    problem.microbatches = 256 / shape.replicas;
    const PointMetrics metrics = simulate_point("1f1b", problem, costs.config).value();
    const MegatronMemory megatron = megatron_theoretical_memory(megatron_query(model, shape, problem.microbatches));
    pipewise_activations[context - 1] = metrics.devices[0].activation_bytes;
    megatron_activations[context - 1] = megatron.activation_bytes;
    difference[context - 1] = metrics.devices[0].peak_bytes / megatron.total_bytes() - 1;
  }
  EXPECT_NEAR(pipewise_activations[1] / pipewise_activations[0], 0.5, 1e-9);
  EXPECT_NEAR(megatron_activations[1] / megatron_activations[0], 0.5, 1e-9);
  EXPECT_NEAR(difference[1], difference[0], 0.02);
}

}  // namespace
}  // namespace pipewise::tools
