// From a profile to the simulator's costs: measured times become stage overrides, the
// transfer fit becomes the link model, and each device's memory share is sized like the
// buffers the backends account.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "sim/activation_effects.hpp"
#include "tools/compare/cost_from_profile.hpp"
#include "../../exec/exec_test_support.hpp"

namespace pipewise::tools {
namespace {

exec::StageProfile stage_profile(double forward, double backward_input, double backward_weight,
                           double backward, double step, std::size_t output_bytes) {
  exec::StageProfile stage;
  stage.forward_ms = forward;
  stage.backward_input_ms = backward_input;
  stage.backward_weight_ms = backward_weight;
  stage.backward_ms = backward;
  stage.optimizer_step_ms = step;
  stage.output_bytes = output_bytes;
  return stage;
}

class CostFromProfile : public ::testing::Test {
 protected:
  // exec::test::small_mlp split by layers: stage 0 has layers 0-3 (outputs 24, 24, 32, 32), stage 1
  // layers 4-7 (input 32, outputs 24, 24, 16, 5); 2768 and 1877 parameters.
  CostFromProfile() : model_(exec::test::small_mlp(), 2, exec::PartitionRule::ByLayers) {
    profile_.stages = {stage_profile(2.0, 1.5, 1.0, 2.8, 0.3, 1024),
                       stage_profile(1.0, 0.7, 0.8, 1.9, 0.2, 160)};
    profile_.transfer.latency_ms = 0.02;
    profile_.transfer.ms_per_byte = 1e-7;  // 10^7 bytes per ms: 10 GB/s
  }

  exec::MlpModel model_;
  exec::ExecutionProfile profile_;
};

TEST_F(CostFromProfile, UnsplitSchedulesKeepTheMeasuredBackwardExact) {
  const Problem shape = exec::test::problem(2, 4);
  const sim::CostModel costs = sim::resolve_costs(
      cost_config_from_profile(profile_, model_, shape, false), shape);
  EXPECT_DOUBLE_EQ(costs.stage(0).forward, 2.0);
  EXPECT_DOUBLE_EQ(costs.stage(0).backward(), 2.8);
  EXPECT_DOUBLE_EQ(costs.stage(0).backward_weight, 1.0);
  EXPECT_NEAR(costs.stage(0).backward_input, 1.8, 1e-12);  // B − W, not the measured 1.5
  EXPECT_DOUBLE_EQ(costs.stage(0).optimizer_step, 0.3);
  EXPECT_DOUBLE_EQ(costs.stage(1).backward(), 1.9);
  EXPECT_NEAR(costs.stage(1).backward_input, 1.1, 1e-12);
}

TEST_F(CostFromProfile, SplitSchedulesUseTheMeasuredInputAndWeightGradients) {
  const Problem shape = exec::test::problem(2, 4);
  const sim::CostModel costs =
      sim::resolve_costs(cost_config_from_profile(profile_, model_, shape, true), shape);
  EXPECT_DOUBLE_EQ(costs.stage(0).backward_input, 1.5);
  EXPECT_DOUBLE_EQ(costs.stage(0).backward_weight, 1.0);
  EXPECT_DOUBLE_EQ(costs.stage(1).backward_input, 0.7);
  EXPECT_DOUBLE_EQ(costs.stage(1).backward_weight, 0.8);
}

TEST_F(CostFromProfile, AWeightGradientLongerThanTheBackwardLeavesNoInputGradientTime) {
  profile_.stages[1].backward_ms = 0.5;  // noise on tiny ops: W (0.8) measured above B
  const Problem shape = exec::test::problem(2, 4);
  const sim::CostModel costs =
      sim::resolve_costs(cost_config_from_profile(profile_, model_, shape, false), shape);
  EXPECT_DOUBLE_EQ(costs.stage(1).backward_input, 0.0);
  EXPECT_DOUBLE_EQ(costs.stage(1).backward(), 0.8);
}

TEST_F(CostFromProfile, LinksCarryTheFittedLatencyAndBandwidth) {
  const Problem shape = exec::test::problem(2, 4);
  const sim::CostConfig config = cost_config_from_profile(profile_, model_, shape, false);
  EXPECT_DOUBLE_EQ(config.communication.latency_ms, 0.02);
  EXPECT_NEAR(config.communication.bandwidth_gb_per_s, 10.0, 1e-9);
  EXPECT_EQ(config.communication.mode, sim::CommMode::Overlapped);
  // One boundary, 0 -> 1, carrying stage 0's 1024-byte output both ways.
  EXPECT_DOUBLE_EQ(config.communication.activation_bytes, 1024.0);
  EXPECT_DOUBLE_EQ(config.communication.gradient_bytes, 1024.0);
}

TEST(CostFromProfileMessages, MessagesCarryTheMeanOfTheBoundariesThatCrossDevices) {
  // Four stages on two devices (looped): boundaries 0->1, 1->2, 2->3 all cross devices.
  const exec::MlpModel model(exec::test::small_mlp(), 4, exec::PartitionRule::ByLayers);
  exec::ExecutionProfile profile;
  profile.stages = {stage_profile(1, 1, 1, 2, 0, 100), stage_profile(1, 1, 1, 2, 0, 200),
                    stage_profile(1, 1, 1, 2, 0, 600), stage_profile(1, 1, 1, 2, 0, 40)};
  const sim::CostConfig looped =
      cost_config_from_profile(profile, model, exec::test::problem(2, 4, 1, 2), false);
  EXPECT_DOUBLE_EQ(looped.communication.activation_bytes, 300.0);  // (100 + 200 + 600) / 3
  // On one device nothing crosses: no message bytes.
  const sim::CostConfig single =
      cost_config_from_profile(profile, model, exec::test::problem(1, 4, 1, 4), false);
  EXPECT_DOUBLE_EQ(single.communication.activation_bytes, 0.0);
}

TEST_F(CostFromProfile, RejectsAProfileOfAnotherModel) {
  profile_.stages.pop_back();
  EXPECT_THROW(cost_config_from_profile(profile_, model_, exec::test::problem(2, 4), false), Error);
  EXPECT_THROW(cost_config_from_profile(profile_, model_, exec::test::problem(4, 4), false), Error);
}

TEST_F(CostFromProfile, StashIsEveryLayerOutputPlusAReceivedInput) {
  // 8 rows. Stage 0: 8·(24+24+32+32) = 896 floats; stage 1: 8·(32 + 24+24+16+5) = 808.
  EXPECT_EQ(stage_stash_bytes(model_, 0, 8), 896u * 4);
  EXPECT_EQ(stage_stash_bytes(model_, 1, 8), 808u * 4);
}

TEST_F(CostFromProfile, DeviceMemoryIsSizedFromTheDevicesStages) {
  const Problem shape = exec::test::problem(2, 4);
  const sim::MemoryConfig first =
      device_memory_config(model_, shape, 0, 8, exec::OptimizerConfig::adam(0.001f));
  EXPECT_DOUBLE_EQ(first.parameter_bytes, 2768.0 * 4);
  EXPECT_DOUBLE_EQ(*first.optimizer_state_bytes, 2 * 2768.0 * 4);  // Adam: two moments
  EXPECT_EQ(first.optimizer, sim::Optimizer::Adam);
  EXPECT_DOUBLE_EQ(first.layers, 4.0);
  EXPECT_DOUBLE_EQ(first.layers * first.activation_bytes_per_layer, 896.0 * 4);
  // After I, W still needs all but the 8·32 floats of the last output.
  EXPECT_DOUBLE_EQ(first.weight_gradient_fraction, (896.0 - 256.0) / 896.0);

  const sim::MemoryConfig second =
      device_memory_config(model_, shape, 1, 8, exec::OptimizerConfig::sgd(0.1f, 0.9f));
  EXPECT_DOUBLE_EQ(second.parameter_bytes, 1877.0 * 4);
  EXPECT_DOUBLE_EQ(*second.optimizer_state_bytes, 1877.0 * 4);  // one momentum buffer
  EXPECT_EQ(second.optimizer, sim::Optimizer::Momentum);
  EXPECT_DOUBLE_EQ(second.layers * second.activation_bytes_per_layer, 808.0 * 4);
  EXPECT_DOUBLE_EQ(second.weight_gradient_fraction, (808.0 - 40.0) / 808.0);
}

TEST(CostFromProfileChunks, ADevicesShareSumsItsChunks) {
  // Four stages of two layers, looped on two devices: device 0 holds stages 0 and 2.
  const exec::MlpModel model(exec::test::small_mlp(), 4, exec::PartitionRule::ByLayers);
  const sim::MemoryConfig memory =
      device_memory_config(model, exec::test::problem(2, 4, 1, 2), 0, 8, exec::OptimizerConfig::sgd(0.1f));
  // Stage 0: layers 12->24->24, 24·13 + 24·25 = 912 parameters, stash 8·(24+24) = 384 floats.
  // Stage 2: layers 32->24->24, 24·33 + 24·25 = 1392 parameters, stash 8·(32 + 24+24) = 640
  // (its input, received from stage 1 on device 1, included).
  EXPECT_DOUBLE_EQ(memory.parameter_bytes, (912.0 + 1392.0) * 4);
  EXPECT_DOUBLE_EQ(*memory.optimizer_state_bytes, 0.0);
  EXPECT_DOUBLE_EQ(memory.layers, 4.0);
  EXPECT_DOUBLE_EQ(memory.layers * memory.activation_bytes_per_layer, (384.0 + 640.0) * 4);
}

// With bidirectional placement (DualPipe) each of a device's two stages is a whole share to
// the simulator, so the share is their mean and the device's static bytes, as the simulator
// counts them, are exactly those of the two model stages it holds (once each, not twice).
TEST(CostFromProfileBidirectional, TheDevicesTwoStagesAreChargedOnceEach) {
  // Two model stages (2768 and 1877 parameters); device 0 holds stage 0 of the copy fed at
  // device 0 and stage 1 of the copy fed at device 1.
  const exec::MlpModel model(exec::test::small_mlp(), 2, exec::PartitionRule::ByLayers);
  Problem shape = exec::test::problem(2, 4, 1, 2);
  shape.placement = Placement::Bidirectional;
  const sim::MemoryConfig memory =
      device_memory_config(model, shape, 0, 8, exec::OptimizerConfig::sgd(0.1f, 0.9f));
  EXPECT_DOUBLE_EQ(memory.parameter_bytes, (2768.0 + 1877.0) * 4 / 2);
  EXPECT_DOUBLE_EQ(memory.layers * memory.activation_bytes_per_layer, (896.0 + 808.0) * 4 / 2);
  sim::CostConfig config;
  config.memory = memory;
  const sim::CostModel costs = sim::resolve_costs(config, shape);
  // Weights, gradients and one momentum buffer of both model stages.
  EXPECT_EQ(sim::synchronous_static_bytes(costs, 0), (2768u + 1877u) * 4 * 3);
}

}  // namespace
}  // namespace pipewise::tools
