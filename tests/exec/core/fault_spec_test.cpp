// The text form of a fault (`pipewise run --inject-fault`): each kind becomes the FaultPlan
// rule it names, aimed at the op of the device's program, and bad text is refused in one
// line that names the problem.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/ir/error.hpp"
#include "exec/core/fault_spec.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

Op op(OpKind kind, std::uint16_t stage, std::uint32_t microbatch, std::uint32_t iteration = 0) {
  return Op{kind, 0, stage, microbatch, iteration, 0};
}

// 1F1B, p = 2, m = 4, lowered: device 0 holds 0F0..0F3, 0SEND_F0..3, 0RECV_B0..3, 0B0..3,
// 0STEP; device 1 the stage-1 mirror.
const Schedule& one_f_one_b() {
  static const Schedule schedule = test::lowered("1f1b", test::problem(2, 4));
  return schedule;
}

TEST(FaultSpec, ThrowFailsExactlyTheNamedOpOnTheNamedDevice) {
  FaultPlan plan;
  add_fault_from_text(plan, "throw@1:1F2", one_f_one_b());
  EXPECT_NO_THROW(plan.before_op(1, op(OpKind::Forward, 1, 1)));
  EXPECT_NO_THROW(plan.before_op(0, op(OpKind::Forward, 1, 2)));
  EXPECT_THROW(plan.before_op(1, op(OpKind::Forward, 1, 2)), Error);
  EXPECT_EQ(plan.fired(), 1u);
}

TEST(FaultSpec, KillKillsTheWorkerBeforeTheOp) {
  FaultPlan plan;
  add_fault_from_text(plan, "kill@0:0B3", one_f_one_b());
  EXPECT_THROW(plan.before_op(0, op(OpKind::Backward, 0, 3)), WorkerKilled);
}

TEST(FaultSpec, DelayWaitsItsMilliseconds) {
  FaultPlan plan;
  add_fault_from_text(plan, "delay@0:0F1:60", one_f_one_b());
  const auto start = std::chrono::steady_clock::now();
  plan.before_op(0, op(OpKind::Forward, 0, 1));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(60));
}

TEST(FaultSpec, MessageFaultsHitTheMessageOfTheSendOp) {
  FaultPlan plan;
  add_fault_from_text(plan, "drop@0:0SEND_F1", one_f_one_b());
  add_fault_from_text(plan, "fail-send@1:1SEND_B2", one_f_one_b());
  EXPECT_FALSE(plan.corrupts_messages());
  add_fault_from_text(plan, "corrupt@0:0SEND_F3", one_f_one_b());
  EXPECT_TRUE(plan.corrupts_messages());
  EXPECT_EQ(plan.on_message(0, op(OpKind::SendActivation, 0, 1)), MessageFault::Drop);
  EXPECT_EQ(plan.on_message(1, op(OpKind::SendGrad, 1, 2)), MessageFault::Fail);
  EXPECT_EQ(plan.on_message(0, op(OpKind::SendActivation, 0, 3)), MessageFault::Corrupt);
  EXPECT_EQ(plan.on_message(0, op(OpKind::SendActivation, 0, 2)), MessageFault::None);
}

TEST(FaultSpec, MicroBatchesOfLaterIterationsAreNumberedIterationTimesMPlusMicroBatch) {
  // m = 4, n = 2: 1F5 is micro-batch 1 of iteration 1.
  const Schedule schedule = test::lowered("1f1b", test::problem(2, 4, 2));
  FaultPlan plan;
  add_fault_from_text(plan, "throw@1:1F5", schedule);
  EXPECT_NO_THROW(plan.before_op(1, op(OpKind::Forward, 1, 1, 0)));
  EXPECT_THROW(plan.before_op(1, op(OpKind::Forward, 1, 1, 1)), Error);
}

struct BadSpec {
  const char* name;
  const char* spec;
  const char* message;
};

class FaultSpecRefuses : public ::testing::TestWithParam<BadSpec> {};

TEST_P(FaultSpecRefuses, WithOneLineNamingTheProblemAndAddsNothing) {
  FaultPlan plan;
  try {
    add_fault_from_text(plan, GetParam().spec, one_f_one_b());
    ADD_FAILURE() << "accepted " << GetParam().spec;
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), GetParam().message);
  }
  EXPECT_NO_THROW(plan.before_op(0, op(OpKind::Forward, 0, 0)));
  EXPECT_NO_THROW(plan.before_op(1, op(OpKind::Forward, 1, 0)));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FaultSpecRefuses,
    ::testing::Values(
        BadSpec{"NoAt", "throw1:1F0", "expected KIND@DEVICE:OP[:ARG], such as throw@1:1F0"},
        BadSpec{"NoOp", "throw@1", "expected KIND@DEVICE:OP[:ARG], such as throw@1:1F0"},
        BadSpec{"UnknownKind", "explode@0:0F0",
                "unknown fault \"explode\" (throw, delay, kill, drop, corrupt or fail-send)"},
        BadSpec{"DeviceOutside", "kill@2:0F0", "device \"2\" is not one of 0 to 1"},
        BadSpec{"DeviceNotANumber", "kill@x:0F0", "device \"x\" is not one of 0 to 1"},
        BadSpec{"OpOnAnotherDevice", "throw@0:1F0", "device 0 has no op \"1F0\" in its program"},
        BadSpec{"MicroBatchOutside", "throw@0:0F4", "device 0 has no op \"0F4\" in its program"},
        BadSpec{"DropOfACompute", "drop@1:1F0",
                "drop needs a send op (SEND_F or SEND_B), not \"1F0\""},
        BadSpec{"CorruptOfAReceive", "corrupt@1:1RECV_F0",
                "corrupt needs a send op (SEND_F or SEND_B), not \"1RECV_F0\""},
        BadSpec{"DelayWithoutTime", "delay@0:0F1",
                "delay needs its milliseconds: delay@DEVICE:OP:MS"},
        BadSpec{"DelayNotANumber", "delay@0:0F1:soon",
                "delay \"soon\" is not a number of milliseconds from 0 to 3600000"},
        BadSpec{"DelayTooLong", "delay@0:0F1:3600001",
                "delay \"3600001\" is not a number of milliseconds from 0 to 3600000"},
        BadSpec{"ArgumentNotTaken", "kill@0:0F1:5", "kill takes no argument after the op"}),
    [](const ::testing::TestParamInfo<BadSpec>& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace pipewise::exec
