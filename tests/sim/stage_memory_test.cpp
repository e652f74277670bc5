// Stages that differ: per-stage memory, gradient buffers larger than the weights, a
// recomputation that reruns only part of a stage's forward, and the sharded (distributed
// optimizer) gradient synchronisation, each worked out by hand.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"

#include "sim/cost_file.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

using testing::gpipe_schedule;
using testing::one_f_one_b_schedule;

SimulationResult run(const Schedule& schedule, const CostConfig& config) {
  return simulate(schedule, resolve_costs(config, schedule.problem));
}

CostConfig unit_config() {
  CostConfig config;
  config.device_share = {1.0, 1.0, 1.0, 0.0};
  config.memory.activation_bytes_per_layer = 1000;
  return config;
}

TEST(StageMemory, AStageOverrideReplacesItsShareOnly) {
  // 1F1B p = 2, m = 4: device 0 holds min(m, p) = 2 stashes, device 1 holds 1. The last
  // stage stashes 3000 bytes (say, the logits) instead of 1000 and holds 7 weight bytes.
  CostConfig config = unit_config();
  StageOverride last;
  last.stage = 1;
  last.memory.stash_bytes = 3000;
  last.memory.parameter_bytes = 7;
  config.stages.push_back(last);
  const SimulationResult result = run(one_f_one_b_schedule(2, 4), config);
  EXPECT_EQ(result.devices[0].peak_activation_bytes, 2000u);
  EXPECT_EQ(result.devices[1].peak_activation_bytes, 3000u);
  // Weights and a gradient buffer as large (no gradient_bytes given), no optimizer state.
  EXPECT_EQ(result.devices[1].static_bytes, 14u);
  EXPECT_EQ(result.devices[0].static_bytes, 0u);
}

TEST(StageMemory, BothCopiesOfABidirectionalModelStageTakeItsOverride) {
  // DualPipe-style placement, p = 2: stages 0 and 2 compute model stage 0 (devices 0 and
  // 1), stages 1 and 3 model stage 1. An override of model stage 0 (times, the forward that
  // recomputation reruns, memory) holds for both of its copies and for nothing else.
  Problem problem;
  problem.devices = 2;
  problem.chunks = 2;
  problem.microbatches = 4;
  problem.placement = Placement::Bidirectional;
  CostConfig config = unit_config();
  config.memory.recompute = true;
  StageOverride first;
  first.stage = 0;
  first.costs.forward = 3.0;
  first.costs.recompute_forward = 2.0;
  first.memory.parameter_bytes = 7;
  first.memory.gradient_bytes = 11;
  first.memory.working_set_bytes = 500;
  config.stages.push_back(first);
  const CostModel costs = resolve_costs(config, problem);
  for (const std::uint32_t stage : {0u, problem.mirror_stage(0)}) {
    EXPECT_DOUBLE_EQ(costs.stage(stage).forward, 3.0) << "stage " << stage;
    EXPECT_DOUBLE_EQ(costs.rerun_ms(stage), 2.0) << "stage " << stage;
    EXPECT_EQ(costs.stage_memory(stage).parameter_bytes, 7u) << "stage " << stage;
    EXPECT_EQ(costs.stage_memory(stage).gradient_bytes, 11u) << "stage " << stage;
    EXPECT_EQ(costs.stage_memory(stage).working_set_bytes, 500u) << "stage " << stage;
  }
  for (const std::uint32_t stage : {1u, problem.mirror_stage(1)}) {
    EXPECT_DOUBLE_EQ(costs.stage(stage).forward, 1.0) << "stage " << stage;
    EXPECT_DOUBLE_EQ(costs.rerun_ms(stage), 1.0) << "stage " << stage;
    EXPECT_EQ(costs.stage_memory(stage).parameter_bytes, 0u) << "stage " << stage;
    EXPECT_EQ(costs.stage_memory(stage).working_set_bytes, 1000u) << "stage " << stage;
  }
}

TEST(StageMemory, GradientBuffersMayBeLargerThanTheWeights) {
  // bf16 weights with fp32 gradients: 100 + 200 bytes, plus 300 of optimizer state.
  CostConfig config = unit_config();
  config.memory.parameter_bytes = 100;
  config.memory.gradient_bytes = 200;
  config.memory.optimizer_state_bytes = 300;
  const SimulationResult result = run(one_f_one_b_schedule(1, 1), config);
  EXPECT_EQ(result.devices[0].static_bytes, 600u);
  EXPECT_EQ(result.devices[0].weight_bytes, 100u);
}

TEST(StageMemory, RecomputationKeepsTheCheckpointAndRebuildsTheWorkingSet) {
  // GPipe p = 1, m = 3 under recomputation: three checkpoints of 10 bytes are alive when
  // the first backward rebuilds its 50-byte working set: 3·10 + 50.
  CostConfig config = unit_config();
  config.memory.recompute = true;
  StageOverride only;
  only.memory.checkpoint_bytes = 10;
  only.memory.working_set_bytes = 50;
  config.stages.push_back(only);
  const SimulationResult result = run(gpipe_schedule(1, 3), config);
  EXPECT_EQ(result.devices[0].peak_activation_bytes, 80u);
}

TEST(StageMemory, RecomputationRerunsOnlyTheGivenForward) {
  // One stage, F = 1, B = 2 (I = W = 1) ms, m = 3: each backward reruns 0.25 ms of the
  // forward, not all of it: 3 · (1 + 2 + 0.25).
  CostConfig config = unit_config();
  config.memory.recompute = true;
  StageOverride only;
  only.costs.recompute_forward = 0.25;
  config.stages.push_back(only);
  EXPECT_DOUBLE_EQ(run(gpipe_schedule(1, 3), config).makespan_ms, 9.75);
  // A slow device reruns slowly too: × 2 everything.
  config.devices.push_back({0, 2.0});
  EXPECT_DOUBLE_EQ(run(gpipe_schedule(1, 3), config).makespan_ms, 19.5);
}

TEST(DataParallel, ShardedSynchronisationReduceScattersGradientsAndGathersWeights) {
  DataParallelCosts dp;
  dp.replicas = 4;
  dp.latency_ms = 0.01;
  dp.bandwidth_gb_per_s = 100;  // 10^8 bytes per ms
  // All-reduce of 10^9 gradient bytes: 2·(3/4)·10 ms + 6 · 0.01.
  EXPECT_DOUBLE_EQ(dp.synchronisation_ms(1e9, 5e8), 15.06);
  // Reduce-scatter of the gradients and all-gather of 5·10^8 weight bytes:
  // (3/4)·(10 + 5) ms + 6 · 0.01.
  dp.sharded = true;
  EXPECT_DOUBLE_EQ(dp.synchronisation_ms(1e9, 5e8), 11.31);
}

TEST(CostFile, StagesCarryTheirMemoryAndRecomputedForward) {
  const CostConfig config = parse_cost_config(R"({
    "stages": [{"stage": 1, "recompute_forward": 0.5, "parameter_bytes": 1, "gradient_bytes": 2,
                "optimizer_state_bytes": 3, "stash_bytes": 4, "checkpoint_bytes": 5,
                "working_set_bytes": 6}],
    "data_parallel": {"replicas": 2, "sharded": true},
    "memory": {"gradient_bytes": 8}
  })");
  ASSERT_EQ(config.stages.size(), 1u);
  const StageMemoryOverride& memory = config.stages[0].memory;
  EXPECT_EQ(*config.stages[0].costs.recompute_forward, 0.5);
  EXPECT_EQ(*memory.parameter_bytes, 1);
  EXPECT_EQ(*memory.gradient_bytes, 2);
  EXPECT_EQ(*memory.optimizer_state_bytes, 3);
  EXPECT_EQ(*memory.stash_bytes, 4);
  EXPECT_EQ(*memory.checkpoint_bytes, 5);
  EXPECT_EQ(*memory.working_set_bytes, 6);
  EXPECT_TRUE(config.data_parallel.sharded);
  EXPECT_EQ(*config.memory.gradient_bytes, 8);
  Problem problem;
  problem.devices = 2;
  const CostModel model = resolve_costs(config, problem);
  EXPECT_EQ(model.stage_memory(1).gradient_bytes, 2u);
  EXPECT_EQ(model.stage_memory(0).gradient_bytes, 8u);
  EXPECT_EQ(model.stage_memory(1).boundary_bytes, 5u);
  EXPECT_DOUBLE_EQ(model.rerun_ms(1), 0.5);
}

TEST(CostFile, NegativeStageMemoryNamesItsPath) {
  try {
    parse_cost_config(R"({"stages": [{"stage": 0, "stash_bytes": -1}]})");
    FAIL() << "accepted a negative stash";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "$.stages[0].stash_bytes must be a number >= 0 (got -1)");
  }
}

}  // namespace
}  // namespace pipewise::sim
