// Weight-version lifetimes read from a program, and the run-time version checks.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "exec/core/weight_lifetimes.hpp"
#include "exec/core/weight_version_guard.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

TEST(WeightLifetimes, PipeDreamKeepsVersionsUntilTheirLastBackward) {
  // PipeDream, p = 2, m = 1, n = 3. Device 0 (one warm-up forward):
  //   #0 F0 v0, #1 F1 v0, #2 B0 v0, #3 STEP 0->1, #4 F2 v1, #5 B1 v0, #6 STEP 1->2,
  //   #7 B2 v1, #8 STEP 2->3.
  // Step #3 must keep v0 (B1 reads it at #5), step #6 must keep v1 (B2 at #7); step #8
  // updates v2 in place (nobody reads it). v0 is freed after #5, v1 after #7.
  const Schedule schedule = generate_schedule("pipedream", test::problem(2, 1, 3));
  const auto lifetimes = plan_weight_lifetimes(schedule);
  ASSERT_EQ(schedule.programs[0].size(), 9u);
  EXPECT_EQ(lifetimes[0].keep_previous, (std::vector<std::uint8_t>{0, 0, 0, 1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(lifetimes[0].releases,
            (std::vector<WeightRelease>{{5, 0, 0}, {7, 0, 1}}));
  // Device 1 (the last stage) runs F B STEP three times: every step is in place.
  EXPECT_EQ(lifetimes[1].keep_previous, (std::vector<std::uint8_t>(9, 0)));
  EXPECT_TRUE(lifetimes[1].releases.empty());
}

TEST(WeightLifetimes, FlushedSchedulesUpdateInPlace) {
  const auto lifetimes = plan_weight_lifetimes(generate_schedule("gpipe", test::problem(3, 4, 2)));
  for (const auto& device : lifetimes) {
    for (std::uint8_t keep : device.keep_previous) EXPECT_EQ(keep, 0);
    EXPECT_TRUE(device.releases.empty());
  }
}

TEST(WeightLifetimes, TheSimulatorPricesAsStashingExactlyTheStepsThatKeepTheirVersion) {
  // The simulator decides which steps keep the version they replace as it replays
  // (sim/engine.cpp, NewestVersionReaders); the executor from the whole program. With a
  // stashing step of 1 ms and an in-place step of 0, each device's step time counts the
  // steps the simulator priced as stashing: the executor's count, for every schedule.
  sim::StageCosts costs{1.0, 1.0, 1.0, 0.0};
  costs.stashing_step = 1.0;
  std::uint32_t stashing_steps = 0;
  for (const ScheduleInfo& info : schedule_catalog()) {
    for (const std::uint32_t devices : {2u, 3u, 4u}) {
      for (const std::uint32_t microbatches : {4u, 8u}) {
        Problem problem = test::problem(devices, microbatches, 3);
        problem.chunks = info.fixed_chunks > 0 ? info.fixed_chunks : (info.uses_chunks ? 2 : 1);
        problem.placement = info.placement;
        if (!schedule_accepts(info.name, problem).ok()) continue;
        const Schedule lowered = lower_communication(generate_schedule(info.name, problem));
        const auto lifetimes = plan_weight_lifetimes(lowered);
        const sim::SimulationResult result = sim::simulate(lowered, sim::CostModel(problem, costs));
        for (std::uint32_t d = 0; d < problem.devices; ++d) {
          std::uint32_t kept = 0;
          for (const std::uint8_t keep : lifetimes[d].keep_previous) kept += keep;
          stashing_steps += kept;
          EXPECT_DOUBLE_EQ(result.devices[d].step_ms, kept)
              << info.name << " p=" << devices << " m=" << microbatches << " device " << d;
        }
      }
    }
  }
  EXPECT_GT(stashing_steps, 0u);  // PipeDream's, at least
}

TEST(WeightLifetimes, AStepThatSkipsAVersionIsRejected) {
  Schedule schedule = generate_schedule("gpipe", test::problem(1, 1, 2));
  for (Op& op : schedule.programs[0]) {
    if (op.kind == OpKind::OptimizerStep && op.iteration == 1) op.weight_version = 2;
  }
  try {
    plan_weight_lifetimes(schedule);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "optimizer step 0STEP (optimizer_step, stage 0, weight version 2) on device 0 "
              "replaces version 2 but the stage's newest is version 1");
  }
}

Op op(OpKind kind, std::uint32_t microbatch, std::uint32_t version) {
  return Op{kind, 0, 0, microbatch, 0, version};
}

TEST(WeightVersionGuard, AcceptsStashedVersionsAndRejectsOthers) {
  WeightVersionGuard guard(test::problem(1, 4));
  guard.admit(op(OpKind::Forward, 0, 0));
  guard.admit(op(OpKind::OptimizerStep, 0, 0));  // newest becomes 1
  guard.admit(op(OpKind::Forward, 1, 1));
  guard.admit(op(OpKind::BackwardInput, 0, 0));  // stashed version of micro-batch 0
  guard.admit(op(OpKind::BackwardWeight, 0, 0));
  try {
    guard.admit(op(OpKind::Backward, 1, 0));
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "reads weight version 0 but its forward read version 1 (weight stashing)");
  }
  EXPECT_THROW(guard.admit(op(OpKind::Forward, 2, 0)), Error);       // not the newest
  EXPECT_THROW(guard.admit(op(OpKind::Backward, 3, 1)), Error);      // no forward yet
  EXPECT_THROW(guard.admit(op(OpKind::BackwardWeight, 0, 0)), Error);  // already finished
  EXPECT_THROW(guard.admit(op(OpKind::OptimizerStep, 0, 0)), Error);   // replaces an old one
}

}  // namespace
}  // namespace pipewise::exec
