// Specification of validate_schedule: hand-written schedules, each valid or broken in one
// planted way, with the issue text each rule must give worked out by hand.
#include "common/validate/validate.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/lower.hpp"
#include "tests/common/schedule_test_support.hpp"

namespace pipewise {
namespace {

using testing::B;
using testing::F;
using testing::hand_schedule;
using testing::I;
using testing::make_problem;
using testing::RecvB;
using testing::RecvF;
using testing::SendB;
using testing::SendF;
using testing::Step;
using testing::W;

std::vector<std::string> issue_lines(const ValidationReport& report) {
  std::vector<std::string> lines;
  for (const ValidationIssue& issue : report.issues) lines.push_back(format_issue(issue));
  return lines;
}

using Lines = std::vector<std::string>;

// The naive schedule for p = 2, m = 1, lowered: F0 crosses to device 1, B1's gradient
// crosses back.
Schedule naive_p2_m1_lowered() {
  return hand_schedule(make_problem(2, 1), {{F(0, 0), SendF(0, 0), RecvB(0, 0), B(0, 0)},
                                            {RecvF(1, 0), F(1, 0), B(1, 0), SendB(1, 0)}});
}

TEST(ValidateSchedule, HandWrittenOneFOneBIsValidAndHoldsOneVersionPerDevice) {
  const ValidationReport report = validate_schedule(testing::one_f_one_b_p2_m2());
  EXPECT_EQ(issue_lines(report), Lines{});
  // A flushed schedule keeps one version of each stage's weights.
  EXPECT_EQ(report.weight_versions_held, (std::vector<std::uint32_t>{1, 1}));
}

TEST(ValidateSchedule, HandLoweredOneFOneBIsValid) {
  const ValidationReport report = validate_schedule(testing::one_f_one_b_p2_m2_lowered());
  EXPECT_EQ(issue_lines(report), Lines{});
}

TEST(ValidateSchedule, SplitBackwardWithoutAndWithCommunicationIsValid) {
  // Zero-bubble style: each backward split into I (sends the gradient on) and W.
  const Schedule split =
      hand_schedule(make_problem(2, 1), {{F(0, 0), I(0, 0), W(0, 0)}, {F(1, 0), I(1, 0), W(1, 0)}});
  EXPECT_EQ(issue_lines(validate_schedule(split)), Lines{});
  EXPECT_EQ(issue_lines(validate_schedule(lower_communication(split))), Lines{});
}

TEST(ValidateSchedule, ReportsTheCycleWhenDeviceZeroRunsB0BeforeF1ThatDeviceOneNeedsFirst) {
  // Device 0 runs B0 before F1, but device 1 runs F1 before B0: 0B0 waits for 1B0, which
  // (program order) waits for 1F1, which waits for 0F1, which (program order) waits for 0B0.
  // This is the only cycle, so the report names exactly it, from the lowest op.
  const Schedule schedule =
      hand_schedule(make_problem(2, 2),
                    {{F(0, 0), B(0, 0), F(0, 1), B(0, 1)}, {F(1, 0), F(1, 1), B(1, 0), B(1, 1)}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"deadlock: d0:0B0 -> d0:0F1 -> d1:1F1 -> d1:1B0 -> d0:0B0"});
}

TEST(ValidateSchedule, ReportsTheCycleThroughSendsAndRecvsOfALoweredSchedule) {
  // The same mistake lowered: the cycle passes through the recv and send of each crossing.
  const Schedule schedule = hand_schedule(
      make_problem(2, 2),
      {{F(0, 0), SendF(0, 0), RecvB(0, 0), B(0, 0), F(0, 1), SendF(0, 1), RecvB(0, 1), B(0, 1)},
       {RecvF(1, 0), F(1, 0), RecvF(1, 1), F(1, 1), B(1, 0), SendB(1, 0), B(1, 1), SendB(1, 1)}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"deadlock: d0:0RECV_B0 -> d0:0B0 -> d0:0F1 -> d0:0SEND_F1 -> d1:1RECV_F1 -> "
                  "d1:1F1 -> d1:1B0 -> d1:1SEND_B0 -> d0:0RECV_B0"});
}

TEST(ValidateSchedule, ABackwardBeforeItsOwnForwardIsACycleOnOneDevice) {
  const Schedule schedule = hand_schedule(make_problem(1, 1), {{B(0, 0), F(0, 0)}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"deadlock: d0:0B0 -> d0:0F0 -> d0:0B0"});
}

TEST(ValidateSchedule, ALongCycleHidesTheStretchThatOnlyProgramOrderCrosses) {
  // p = 1, m = 20: B0 first, then F1..F19, then F0. The cycle is 0B0, the 19 forwards
  // F1..F19 (each just the next op), 0F0, back to 0B0: 21 ops, more than 16, so F1..F19
  // collapse.
  std::vector<Op> program{B(0, 0)};
  for (std::uint32_t j = 1; j < 20; ++j) program.push_back(F(0, j));
  program.push_back(F(0, 0));
  for (std::uint32_t j = 1; j < 20; ++j) program.push_back(B(0, j));
  const Schedule schedule = hand_schedule(make_problem(1, 20), {program});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"deadlock: d0:0B0 -> (19 more ops on d0) -> d0:0F0 -> d0:0B0"});
}

TEST(ValidateSchedule, NamesTheSlotWhoseBackwardIsMissing) {
  Schedule schedule = testing::one_f_one_b_p2_m2();
  auto& device1 = schedule.programs[1];
  device1.erase(device1.begin() + 3);  // B(1, 1)
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"missing-op: no backward (B or I+W) for stage 1, micro-batch 1, iteration 0"});
}

TEST(ValidateSchedule, NamesADuplicateOpAndBothPositions) {
  Schedule schedule = testing::one_f_one_b_p2_m2();
  auto& device1 = schedule.programs[1];
  device1.insert(device1.begin() + 4, F(1, 0));  // before the step, so versions still hold
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"duplicate-op: 1F0 appears twice (device 1 positions 0 and 4)"});
}

TEST(ValidateSchedule, NamesAnOpOnADeviceThatDoesNotOwnItsStage) {
  const Schedule schedule =
      hand_schedule(make_problem(2, 1), {{F(0, 0), B(1, 0), B(0, 0)}, {F(1, 0)}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"wrong-device: 1B0 runs on device 0, but stage 1 belongs to device 1"});
}

TEST(ValidateSchedule, BAlongsideIOrWIsADuplicateBackward) {
  const Schedule schedule =
      hand_schedule(make_problem(1, 1), {{F(0, 0), B(0, 0), I(0, 0), W(0, 0)}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            (Lines{"duplicate-op: 0B0 and 0I0 both compute the backward of stage 0, "
                   "micro-batch 0, iteration 0",
                   "duplicate-op: 0B0 and 0W0 both compute the backward of stage 0, "
                   "micro-batch 0, iteration 0"}));
}

TEST(ValidateSchedule, AnIWithoutItsWOrAWWithoutItsIIsMissingAnOp) {
  EXPECT_EQ(issue_lines(validate_schedule(hand_schedule(make_problem(1, 1), {{F(0, 0), I(0, 0)}}))),
            Lines{"missing-op: no weight backward (W) for stage 0, micro-batch 0, iteration 0 "
                  "to follow its 0I0"});
  EXPECT_EQ(issue_lines(validate_schedule(hand_schedule(make_problem(1, 1), {{F(0, 0), W(0, 0)}}))),
            Lines{"missing-op: no input backward (I) for stage 0, micro-batch 0, iteration 0, "
                  "which its 0W0 needs"});
}

TEST(ValidateSchedule, ASendWithoutItsRecvIsUnmatched) {
  Schedule schedule = naive_p2_m1_lowered();
  schedule.programs[1].erase(schedule.programs[1].begin());  // 1RECV_F0
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"unmatched-send: 0SEND_F0 on device 0 has no matching 1RECV_F0 on device 1"});
}

TEST(ValidateSchedule, ARecvWithoutItsSendIsUnmatched) {
  Schedule schedule = naive_p2_m1_lowered();
  schedule.programs[0].erase(schedule.programs[0].begin() + 1);  // 0SEND_F0
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"unmatched-recv: 1RECV_F0 on device 1 has no matching 0SEND_F0 on device 0"});
}

TEST(ValidateSchedule, ALoweredCrossingWithNeitherSendNorRecvIsMissing) {
  Schedule activation = naive_p2_m1_lowered();
  activation.programs[0].erase(activation.programs[0].begin() + 1);  // 0SEND_F0
  activation.programs[1].erase(activation.programs[1].begin());      // 1RECV_F0
  EXPECT_EQ(issue_lines(validate_schedule(activation)),
            Lines{"missing-op: no SEND_F/RECV_F pair carries 0F0 on device 0 to 1F0 on device 1"});

  Schedule gradient = naive_p2_m1_lowered();
  gradient.programs[0].erase(gradient.programs[0].begin() + 2);  // 0RECV_B0
  gradient.programs[1].pop_back();                               // 1SEND_B0
  EXPECT_EQ(issue_lines(validate_schedule(gradient)),
            Lines{"missing-op: no SEND_B/RECV_B pair carries 1B0 on device 1 to 0B0 on device 0"});
}

TEST(ValidateSchedule, CommunicationAcrossASameDeviceBoundaryIsBad) {
  // p = 1, v = 2: stages 0 and 1 both live on device 0.
  const Schedule schedule = hand_schedule(
      make_problem(1, 1, 2), {{F(0, 0), SendF(0, 0), RecvF(1, 0), F(1, 0), B(1, 0), B(0, 0)}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            (Lines{"bad-comm: 0SEND_F0 on device 0 connects stages 0 and 1, which share device 0: "
                   "a same-device boundary needs no send or recv",
                   "bad-comm: 1RECV_F0 on device 0 connects stages 1 and 0, which share device 0: "
                   "a same-device boundary needs no send or recv"}));
}

TEST(ValidateSchedule, CommunicationBeyondTheFirstOrLastStageIsBad) {
  Schedule schedule = naive_p2_m1_lowered();
  schedule.programs[0].insert(schedule.programs[0].begin(), RecvF(0, 0));
  schedule.programs[1].insert(schedule.programs[1].begin() + 2, SendF(1, 0));
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            (Lines{"bad-comm: 0RECV_F0 on device 0 has no peer: stage 0 is the first stage",
                   "bad-comm: 1SEND_F0 on device 1 has no peer: stage 1 is the last stage"}));
}

// Naive order for p = 1, m = 1, n = 2 with a step after each iteration: the second
// iteration's ops read version 1, the second step replaces version 1.
Schedule two_iterations(std::uint32_t second_forward_version, std::uint32_t second_backward_version,
                        std::uint32_t second_step_version) {
  return hand_schedule(
      make_problem(1, 1, 1, 2),
      {{F(0, 0, 0, 0), B(0, 0, 0, 0), Step(0, 0, 0, 0), F(0, 0, 1, second_forward_version),
        B(0, 0, 1, second_backward_version), Step(0, 0, 1, second_step_version)}});
}

TEST(ValidateSchedule, WeightVersionsFollowStepsAndStashing) {
  EXPECT_EQ(issue_lines(validate_schedule(two_iterations(1, 1, 1))), Lines{});
  EXPECT_EQ(issue_lines(validate_schedule(two_iterations(1, 0, 1))),
            Lines{"weight-version: 0B1 reads version 0 but its forward read version 1"});
  EXPECT_EQ(issue_lines(validate_schedule(two_iterations(0, 0, 1))),
            Lines{"weight-version: 0F1 reads version 0 but the newest version of stage 0 at its "
                  "place is 1"});
  EXPECT_EQ(issue_lines(validate_schedule(two_iterations(1, 1, 0))),
            Lines{"weight-version: 0STEP (after micro-batch 0 of iteration 1) replaces version 0 "
                  "but follows 1 earlier step of stage 0"});
}

TEST(ValidateSchedule, AStepBeforeTheBackwardItIsDatedToIsOutOfOrder) {
  const Schedule schedule =
      hand_schedule(make_problem(1, 2), {{F(0, 0), F(0, 1), B(0, 0), Step(0, 1), B(0, 1)}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"step-order: 0STEP (after micro-batch 1 of iteration 0) comes before 0B1, whose "
                  "gradient it applies (device 0 positions 3 and 4)"});
}

TEST(ValidateSchedule, ProgramCountOtherThanPIsOutOfRange) {
  const Schedule schedule = hand_schedule(make_problem(2, 1), {{F(0, 0), B(0, 0)}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            (Lines{"out-of-range: 1 program for p = 2 devices",
                   "missing-op: no forward (F) for stage 1, micro-batch 0, iteration 0",
                   "missing-op: no backward (B or I+W) for stage 1, micro-batch 0, iteration 0"}));
}

TEST(ValidateSchedule, OpsOutsideTheProblemAreOutOfRange) {
  Op unknown_kind = F(0, 0);
  unknown_kind.kind = static_cast<OpKind>(12);
  const Schedule schedule = hand_schedule(
      make_problem(1, 2),
      {{F(0, 0), F(0, 1), B(0, 1), B(0, 0), F(1, 0), F(0, 2), F(0, 0, 1), unknown_kind}});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            (Lines{"out-of-range: F at device 0 position 4 names stage 1 but p*v = 1",
                   "out-of-range: F at device 0 position 5 names micro-batch 2 but m = 2",
                   "out-of-range: F at device 0 position 6 names iteration 1 but n = 1",
                   "out-of-range: the op at device 0 position 7 has unknown kind 12"}));
}

TEST(ValidateSchedule, AnInvalidProblemIsReportedNotThrown) {
  const Schedule schedule = hand_schedule(make_problem(0, 1), {});
  EXPECT_EQ(issue_lines(validate_schedule(schedule)),
            Lines{"out-of-range: problem: devices (p) must be at least 1"});
}

TEST(ValidateSchedule, ShowsTwentyIssuesPerRuleAndCountsTheRest) {
  // p = 1, m = 100 and no ops: each micro-batch misses its F and its backward, 200 issues.
  const ValidationReport report = validate_schedule(hand_schedule(make_problem(1, 100), {{}}));
  ASSERT_EQ(report.issues.size(), 21u);
  EXPECT_EQ(format_issue(report.issues[0]),
            "missing-op: no forward (F) for stage 0, micro-batch 0, iteration 0");
  EXPECT_EQ(format_issue(report.issues[19]),
            "missing-op: no backward (B or I+W) for stage 0, micro-batch 9, iteration 0");
  EXPECT_EQ(format_issue(report.issues[20]),
            "missing-op: and 180 more missing-op issues not shown");
}

TEST(ValidateSchedule, AHugeProblemWithFewOpsNeedsNoMemoryPerSlot) {
  // m = 2^31 slots but two ops: every slot but micro-batch 5 misses both its F and its
  // backward, 2 * (2^31 - 1) = 4294967294 issues, of which 20 are shown. A dense table
  // would need tens of gigabytes.
  const ValidationReport report =
      validate_schedule(hand_schedule(make_problem(1, 1u << 31), {{F(0, 5), B(0, 5)}}));
  ASSERT_EQ(report.issues.size(), 21u);
  EXPECT_EQ(format_issue(report.issues[0]),
            "missing-op: no forward (F) for stage 0, micro-batch 0, iteration 0");
  EXPECT_EQ(format_issue(report.issues[20]),
            "missing-op: and 4294967274 more missing-op issues not shown");
}

TEST(ValidateSchedule, AMillionOpGPipeScheduleValidates) {
  // p = 8, m = 62500: 8 devices * 62500 micro-batches * (F + B) = 10^6 ops.
  const std::uint32_t p = 8;
  const std::uint32_t m = 62500;
  Schedule schedule = hand_schedule(make_problem(p, m), std::vector<std::vector<Op>>(p));
  for (std::uint32_t d = 0; d < p; ++d) {
    for (std::uint32_t j = 0; j < m; ++j) schedule.programs[d].push_back(F(d, j));
    for (std::uint32_t j = 0; j < m; ++j) schedule.programs[d].push_back(B(d, j));
  }
  const ValidationReport report = validate_schedule(schedule);
  EXPECT_EQ(issue_lines(report), Lines{});
  EXPECT_EQ(report.weight_versions_held, std::vector<std::uint32_t>(p, 1));
}

}  // namespace
}  // namespace pipewise
