// Weight stashing's optimizer steps: a step that keeps the version it replaces (a micro-batch
// that read it in its F has yet to run its B or W) costs StageCosts::stashing_step, every
// other step optimizer_step; checked on schedules derived by hand.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "sim/cost_file.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"

namespace pipewise::sim {
namespace {

constexpr double kStep = 1.0;
constexpr double kStashingStep = 10.0;

StageCosts costs_with_stashing() {
  StageCosts costs{1.0, 1.0, 1.0, kStep};
  costs.stashing_step = kStashingStep;
  return costs;
}

TEST(StashingStep, PipeDreamKeepsAVersionWhileAnotherMicroBatchStillReadsIt) {
  // PipeDream p = 2, m = 4, device 0: F0 F1 B0 STEP F2 B1 STEP F3 B2 STEP B3 STEP.
  // Each of the first three steps finds a micro-batch forwarded on the version it replaces
  // whose B is still to come (F1, F2, F3): it keeps that version. The last finds none.
  // Device 1 (the last stage) runs F B STEP four times: every step in place.
  const Schedule schedule = generate_schedule("pipedream", Problem{.devices = 2, .microbatches = 4});
  const SimulationResult result = simulate(schedule, CostModel(schedule.problem, costs_with_stashing()));
  EXPECT_DOUBLE_EQ(result.devices[0].step_ms, 3 * kStashingStep + kStep);
  EXPECT_DOUBLE_EQ(result.devices[1].step_ms, 4 * kStep);
  // Its lowered form (sends and receives in the programs) prices the same steps.
  const Schedule lowered = lower_communication(schedule);
  const SimulationResult lowered_result =
      simulate(lowered, CostModel(lowered.problem, costs_with_stashing()));
  EXPECT_DOUBLE_EQ(lowered_result.devices[0].step_ms, result.devices[0].step_ms);
  EXPECT_DOUBLE_EQ(lowered_result.devices[1].step_ms, result.devices[1].step_ms);
  EXPECT_DOUBLE_EQ(lowered_result.makespan_ms, result.makespan_ms);
}

TEST(StashingStep, WithoutAStashingTimeEveryStepCostsTheStep) {
  const Schedule schedule = generate_schedule("pipedream", Problem{.devices = 2, .microbatches = 4});
  const SimulationResult result =
      simulate(schedule, CostModel(schedule.problem, StageCosts{1.0, 1.0, 1.0, kStep}));
  EXPECT_DOUBLE_EQ(result.devices[0].step_ms, 4 * kStep);
}

TEST(StashingStep, FlushedSchedulesStepInPlace) {
  // Every micro-batch of an iteration ends its backward before the iteration's step.
  for (const char* name : {"gpipe", "1f1b", "zb-h1"}) {
    const Schedule schedule = generate_schedule(name, Problem{.devices = 3, .microbatches = 6, .iterations = 2});
    const SimulationResult result = simulate(schedule, CostModel(schedule.problem, costs_with_stashing()));
    for (std::uint32_t d = 0; d < 3; ++d) {
      EXPECT_DOUBLE_EQ(result.devices[d].step_ms, 2 * kStep) << name << " device " << d;
    }
  }
  const Schedule interleaved = generate_schedule("interleaved", Problem{.devices = 2, .chunks = 2, .microbatches = 4, .iterations = 2});
  const SimulationResult result = simulate(interleaved, CostModel(interleaved.problem, costs_with_stashing()));
  EXPECT_DOUBLE_EQ(result.devices[0].step_ms, 2 * 2 * kStep);  // two chunks, two iterations
}

TEST(StashingStep, PipeDream2BWKeepsTheOldBufferWhileTheNextBatchStarts) {
  // 2BW does not flush: at the end of iteration 0 a stage before the last has forwarded
  // iteration 1's first micro-batches on the version its step replaces, so the step keeps
  // it (the second buffer); the iteration-1 step ends the run with nothing in flight. The
  // last stage runs each micro-batch's F and B back to back: in place.
  const Schedule schedule = generate_schedule("pipedream-2bw", Problem{.devices = 3, .microbatches = 6, .iterations = 2});
  const SimulationResult result = simulate(schedule, CostModel(schedule.problem, costs_with_stashing()));
  EXPECT_DOUBLE_EQ(result.devices[0].step_ms, kStashingStep + kStep);
  EXPECT_DOUBLE_EQ(result.devices[1].step_ms, kStashingStep + kStep);
  EXPECT_DOUBLE_EQ(result.devices[2].step_ms, 2 * kStep);
}

TEST(StashingStep, ACostFileGivesItPerStageAndPerDeviceShare) {
  const CostConfig config = parse_cost_config(
      R"({"compute": {"forward": 1, "backward": 2, "optimizer_step": 1, "stashing_step": 4},
          "stages": [{"stage": 1, "stashing_step": 9}]})");
  const Problem chunked{.devices = 2, .chunks = 2, .microbatches = 4};
  const CostModel costs = resolve_costs(config, chunked);
  EXPECT_DOUBLE_EQ(costs.stage(0).stashing_step_time(), 2.0);  // the device share over v = 2
  EXPECT_DOUBLE_EQ(costs.stage(1).stashing_step_time(), 9.0);  // absolute
  EXPECT_DOUBLE_EQ(costs.stage(1).optimizer_step, 0.5);
  // Absent, it is the optimizer step.
  const CostModel plain = resolve_costs(parse_cost_config(R"({"compute": {"optimizer_step": 3}})"),
                                        Problem{.devices = 2, .microbatches = 4});
  EXPECT_DOUBLE_EQ(plain.stage(0).stashing_step_time(), 3.0);
  EXPECT_THROW(parse_cost_config(R"({"stages": [{"stage": 0, "stashing_step": -1}]})"), Error);
}

TEST(StashingStep, ItRoundTripsThroughTheCostFileText) {
  CostFileContents contents;
  StageOverride stage;
  stage.stage = 0;
  stage.costs.forward = 1.0;
  stage.costs.optimizer_step = 2.0;
  stage.costs.stashing_step = 5.0;
  contents.stages.push_back(stage);
  const CostConfig read = parse_cost_config(cost_file_text(contents));
  ASSERT_EQ(read.stages.size(), 1u);
  ASSERT_TRUE(read.stages[0].costs.stashing_step.has_value());
  EXPECT_DOUBLE_EQ(*read.stages[0].costs.stashing_step, 5.0);
}

}  // namespace
}  // namespace pipewise::sim
