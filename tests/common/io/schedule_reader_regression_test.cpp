// Regression tests for schedule files that broke the readers (common/io/json_schedule.hpp,
// common/io/pytorch_text.hpp), found while fuzzing them (tests/fuzz/). docs/reliability.md
// lists them.
#include <gtest/gtest.h>

#include <string>

#include "common/io/json_schedule.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "common/validate/validate.hpp"

namespace pipewise {
namespace {

// A problem of p = 1, v = 65536 (so 65536 stages), m = 65536 and n = 65536: 2^48
// (stage, iteration, micro-batch) slots, which the readers accept (Problem::check allows
// p*v <= 2^16 and m*n <= 2^32). A file that claims it with a single op is 100 bytes; reading
// it must take memory in proportion to those bytes, not to the slots (4 bytes each would be
// 1 PiB: a std::bad_alloc, or, for a claim of 2^32 slots, 16 GiB that the kernel hands out
// and then kills the process for).
constexpr std::uint32_t kHugeSide = 65536;

void expect_one_forward_in_the_huge_problem(const Schedule& schedule) {
  EXPECT_EQ(schedule.problem.devices, 1u);
  EXPECT_EQ(schedule.problem.chunks, kHugeSide);
  EXPECT_EQ(schedule.problem.microbatches, kHugeSide);
  EXPECT_EQ(schedule.problem.iterations, kHugeSide);
  ASSERT_EQ(schedule.programs.size(), 1u);
  ASSERT_EQ(schedule.programs[0].size(), 1u);
  EXPECT_EQ(schedule.programs[0][0].kind, OpKind::Forward);
  EXPECT_EQ(schedule.programs[0][0].weight_version, 0u);  // no step before it
}

TEST(ScheduleReaderRegression, TextClaimingAHugeProblemWithOneOpIsReadInSmallMemory) {
  const Schedule schedule = schedule_from_pytorch_text(
      "# pipewise p=1 v=65536 m=65536 n=65536 placement=looped\n0F0\n");
  expect_one_forward_in_the_huge_problem(schedule);
}

TEST(ScheduleReaderRegression, JsonClaimingAHugeProblemWithOneOpIsReadInSmallMemory) {
  const Schedule schedule = schedule_from_json(
      R"({"schema": "pipewise.schedule", "version": 1,
          "problem": {"devices": 1, "chunks": 65536, "microbatches": 65536, "iterations": 65536},
          "programs": [[{"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 0}]]})");
  expect_one_forward_in_the_huge_problem(schedule);
}

TEST(ScheduleReaderRegression, HeaderlessTextInferringAHugeProblemIsReadInSmallMemory) {
  // Found by fuzzing as "49F027649295" (5.5 GB for 12 bytes). Without a header the problem
  // is inferred: p = 1 rank line, p*v = 65535 + 1 stages, m = 4294967294 + 1, n = 1:
  // 2^16 * (2^32 - 1) slots.
  const Schedule schedule = schedule_from_pytorch_text("65535F4294967294\n");
  EXPECT_EQ(schedule.problem.devices, 1u);
  EXPECT_EQ(schedule.problem.chunks, 65536u);
  EXPECT_EQ(schedule.problem.microbatches, 4294967295u);
  EXPECT_EQ(schedule.problem.iterations, 1u);
  ASSERT_EQ(schedule.op_count(), 1u);
  EXPECT_EQ(schedule.programs[0][0].weight_version, 0u);
}

TEST(ScheduleReaderRegression, AHeaderNameEndingInACarriageReturnIsRefused) {
  // "name=a\r\r\n": the line ends at "\r\n", leaving the name "a\r", which the writer
  // then refuses ("cannot hold a schedule name with a line break"): the reader must not
  // accept a schedule that cannot be written back.
  std::string message;
  try {
    schedule_from_pytorch_text(
        "# pipewise p=1 v=1 m=1 n=1 placement=looped name=a\r\r\n"
        "0F0,0B0\n");
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_EQ(message.rfind("line 1: ", 0), 0u) << message;
}

TEST(ScheduleReaderRegression, TheValidatorReportsTheHugeClaimsMissingOpsWithoutVisitingThem) {
  // 2^48 slots, each missing its backward and all but one missing its forward: the
  // validator shows 20 missing-op issues and counts the rest in a 21st, in O(ops) time.
  const ValidationReport report = validate_schedule(schedule_from_pytorch_text(
      "# pipewise p=1 v=65536 m=65536 n=65536 placement=looped\n0F0\n"));
  ASSERT_EQ(report.issues.size(), 21u);
  EXPECT_EQ(report.issues.back().rule, "missing-op");
  EXPECT_NE(report.issues.back().message.find("more missing-op issues not shown"),
            std::string::npos)
      << report.issues.back().message;
}

}  // namespace
}  // namespace pipewise
