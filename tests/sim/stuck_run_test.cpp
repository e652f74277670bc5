// Schedules that cannot run are reported with one line naming the ops involved, in the
// validator's words (pipewise validate prints the same lines).
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

using testing::empty_schedule;
using testing::make_op;

std::string failure_of(const Schedule& schedule) {
  const CostModel costs(schedule.problem, StageCosts{});
  try {
    simulate(schedule, costs);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(StuckRun, CrossDeviceCycleNamesEveryWaitingOp) {
  // Device 0 waits in B(0,0) for B(1,0); device 1 will run that only after F(1,1), which
  // waits for F(0,1), queued on device 0 behind B(0,0).
  Schedule schedule = empty_schedule("custom", 2, 2);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::Backward, 0, 0),
                          make_op(OpKind::Forward, 0, 1), make_op(OpKind::Backward, 0, 1)};
  schedule.programs[1] = {make_op(OpKind::Forward, 1, 1), make_op(OpKind::Forward, 1, 0),
                          make_op(OpKind::Backward, 1, 0), make_op(OpKind::Backward, 1, 1)};
  EXPECT_EQ(failure_of(schedule),
            "deadlock: d0:0B0 -> d0:0F1 -> d1:1F1 -> d1:1F0 -> d1:1B0 -> d0:0B0");
}

TEST(StuckRun, BackwardBeforeItsForwardOnOneDevice) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  schedule.programs[0] = {make_op(OpKind::Backward, 0, 0), make_op(OpKind::Forward, 0, 0)};
  EXPECT_EQ(failure_of(schedule), "deadlock: d0:0B0 -> d0:0F0 -> d0:0B0");
}

TEST(StuckRun, ProducerThatNoDeviceRuns) {
  // Device 1 has no F(1,0), so its B(1,0) and device 0's B(0,0) can never run.
  Schedule schedule = empty_schedule("custom", 2, 1);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::Backward, 0, 0)};
  schedule.programs[1] = {make_op(OpKind::Backward, 1, 0)};
  EXPECT_EQ(failure_of(schedule), "missing-op: no forward (F) for stage 1, micro-batch 0, iteration 0");
}

TEST(StuckRun, WeightGradientWithoutItsInputGradient) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::BackwardWeight, 0, 0)};
  EXPECT_EQ(failure_of(schedule),
            "missing-op: no input backward (I) for stage 0, micro-batch 0, iteration 0, which "
            "its 0W0 needs");
}

TEST(StuckRun, OpThatRunsTwice) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::Forward, 0, 0)};
  EXPECT_EQ(failure_of(schedule),
            "duplicate-op: 0F0 appears twice (device 0 positions 0 and 1)");
}

TEST(StuckRun, OpOnTheWrongDevice) {
  Schedule schedule = empty_schedule("custom", 2, 1);
  schedule.programs[0] = {make_op(OpKind::Forward, 1, 0)};
  EXPECT_EQ(failure_of(schedule),
            "wrong-device: 1F0 runs on device 0, but stage 1 belongs to device 1");
}

TEST(StuckRun, OpOutsideTheProblem) {
  Schedule schedule = empty_schedule("custom", 1, 2);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 5)};
  EXPECT_EQ(failure_of(schedule),
            "out-of-range: F at device 0 position 0 names micro-batch 5 but m = 2");
}

TEST(StuckRun, OpOfUnknownKind) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  Op unknown = make_op(OpKind::Forward, 0, 0);
  unknown.kind = static_cast<OpKind>(kOpKindCount + 3);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), unknown};
  EXPECT_EQ(failure_of(schedule),
            "out-of-range: the op at device 0 position 1 has unknown kind " +
                std::to_string(kOpKindCount + 3));
}

TEST(StuckRun, ProgramCountMustMatchTheProblem) {
  Schedule schedule = empty_schedule("custom", 2, 1);
  schedule.programs.pop_back();
  EXPECT_EQ(failure_of(schedule), "out-of-range: 1 program for p = 2 devices");
}

}  // namespace
}  // namespace pipewise::sim
