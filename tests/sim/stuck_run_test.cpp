// Schedules that cannot run are reported with one line naming the ops involved.
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
            "deadlock: 0B0 (device 0) waits for 1B0, which device 1 runs after 1F1; "
            "1F1 (device 1) waits for 0F1, which device 0 runs after 0B0");
}

TEST(StuckRun, BackwardBeforeItsForwardOnOneDevice) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  schedule.programs[0] = {make_op(OpKind::Backward, 0, 0), make_op(OpKind::Forward, 0, 0)};
  EXPECT_EQ(failure_of(schedule),
            "deadlock: 0B0 (device 0) waits for 0F0, which comes after it on the same device");
}

TEST(StuckRun, ProducerThatNoDeviceRuns) {
  // Device 1 has no F(1,0), so its B(1,0) and device 0's B(0,0) can never run.
  Schedule schedule = empty_schedule("custom", 2, 1);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::Backward, 0, 0)};
  schedule.programs[1] = {make_op(OpKind::Backward, 1, 0)};
  EXPECT_EQ(failure_of(schedule), "stuck: 1B0 (device 1) waits for 1F0, which no device will run");
}

TEST(StuckRun, WeightGradientWithoutItsInputGradient) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::BackwardWeight, 0, 0)};
  EXPECT_EQ(failure_of(schedule), "stuck: 0W0 (device 0) waits for 0I0, which no device will run");
}

TEST(StuckRun, OpThatRunsTwice) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), make_op(OpKind::Forward, 0, 0)};
  EXPECT_EQ(failure_of(schedule),
            "op 0F0 on device 0 runs a second time, or after the backward of its micro-batch");
}

TEST(StuckRun, OpOnTheWrongDevice) {
  Schedule schedule = empty_schedule("custom", 2, 1);
  schedule.programs[0] = {make_op(OpKind::Forward, 1, 0)};
  EXPECT_EQ(failure_of(schedule),
            "op 1F0 is in device 0's program but stage 1 runs on device 1");
}

TEST(StuckRun, OpOutsideTheProblem) {
  Schedule schedule = empty_schedule("custom", 1, 2);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 5)};
  EXPECT_EQ(failure_of(schedule),
            "op 0F5 on device 0 is outside the problem (p*v = 1, m = 2, n = 1)");
}

TEST(StuckRun, OpOfUnknownKind) {
  Schedule schedule = empty_schedule("custom", 1, 1);
  Op unknown = make_op(OpKind::Forward, 0, 0);
  unknown.kind = static_cast<OpKind>(kOpKindCount + 3);
  schedule.programs[0] = {make_op(OpKind::Forward, 0, 0), unknown};
  EXPECT_EQ(failure_of(schedule), "op 1 of device 0's program has the unknown kind 12");
}

TEST(StuckRun, ProgramCountMustMatchTheProblem) {
  Schedule schedule = empty_schedule("custom", 2, 1);
  schedule.programs.pop_back();
  EXPECT_EQ(failure_of(schedule),
            "the schedule has 1 device programs but its problem has p = 2");
}

}  // namespace
}  // namespace pipewise::sim
