// Specification of the PyTorch-pipelining text form: the exact text of small schedules in
// both flavours, reading CSVs as torch.distributed.pipelining writes them, round trips, and
// the message for each malformed input.
#include "common/io/pytorch_text.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "common/validate/validate.hpp"
#include "tests/common/schedule_test_support.hpp"

namespace pipewise {
namespace {

using testing::B;
using testing::F;
using testing::hand_schedule;
using testing::I;
using testing::make_problem;
using testing::Step;
using testing::W;

// The message schedule_from_pytorch_text throws for `text`, or "" when it accepts it.
std::string read_error(const std::string& text) {
  try {
    schedule_from_pytorch_text(text);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(PytorchText, WritesTheHeaderThenOneLineOfActionsPerRank) {
  EXPECT_EQ(schedule_to_pytorch_text(testing::one_f_one_b_p2_m2()),
            "# pipewise p=2 v=1 m=2 n=1 placement=looped name=1f1b\n"
            "0F0,0F1,0B0,0B1,0STEP\n"
            "1F0,1B0,1F1,1B1,1STEP\n");
}

// PyTorch's compute-only form has no step (its lowering adds REDUCE_GRAD); its compute and
// comms form ends each stage's backwards with REDUCE_GRAD, which is where pipewise's step is.
TEST(PytorchText, PytorchCompatibleTextHasNoHeaderAndReducesGradientsWhenLowered) {
  EXPECT_EQ(schedule_to_pytorch_text(testing::one_f_one_b_p2_m2(), true),
            "0F0,0F1,0B0,0B1\n"
            "1F0,1B0,1F1,1B1\n");
  EXPECT_EQ(schedule_to_pytorch_text(testing::one_f_one_b_p2_m2_lowered(), true),
            "0F0,0SEND_F0,0F1,0SEND_F1,0RECV_B0,0B0,0RECV_B1,0B1,0REDUCE_GRAD\n"
            "1RECV_F0,1F0,1B0,1SEND_B0,1RECV_F1,1F1,1B1,1SEND_B1,1REDUCE_GRAD\n");
}

TEST(PytorchText, NumbersMicroBatchesOfLaterIterationsAfterTheEarlierOnes) {
  // m = 2, n = 2: micro-batch j of iteration i is written i*2 + j.
  const Schedule schedule =
      hand_schedule(make_problem(1, 2, 1, 2),
                    {{F(0, 0), B(0, 0), F(0, 1), B(0, 1), Step(0, 1), F(0, 0, 1, 1), B(0, 0, 1, 1),
                      F(0, 1, 1, 1), B(0, 1, 1, 1), Step(0, 1, 1, 1)}},
                    "naive");
  const std::string text = schedule_to_pytorch_text(schedule);
  EXPECT_EQ(text,
            "# pipewise p=1 v=1 m=2 n=2 placement=looped name=naive\n"
            "0F0,0B0,0F1,0B1,0STEP,0F2,0B2,0F3,0B3,0STEP\n");
  // The reader splits the numbers back, dates each step to the last backward before it
  // and derives the versions.
  EXPECT_EQ(schedule_from_pytorch_text(text), schedule);
}

TEST(PytorchText, ReadsAPytorchCsvWithCrlfAndInfersTheProblem) {
  // As csv.writer writes it: "\r\n" line ends. p = 2 lines, p*v = 2, m = 2.
  const Schedule schedule = schedule_from_pytorch_text("0F0,0F1,0B0,0B1\r\n1F0,1B0,1F1,1B1\r\n");
  EXPECT_EQ(schedule, hand_schedule(make_problem(2, 2),
                                    {{F(0, 0), F(0, 1), B(0, 0), B(0, 1)},
                                     {F(1, 0), B(1, 0), F(1, 1), B(1, 1)}},
                                    "custom"));
}

TEST(PytorchText, SkipsEmptyCellsAndSpacesLikePytorchIdleSteps) {
  EXPECT_EQ(schedule_from_pytorch_text("0F0, ,0B0\n,1F0 , 1B0\n"),
            hand_schedule(make_problem(2, 1), {{F(0, 0), B(0, 0)}, {F(1, 0), B(1, 0)}}, "custom"));
}

TEST(PytorchText, InfersTheVShapeOfAZeroBubbleVCsv) {
  // p = 2, v = 2: rank 0 holds stages 0 and 3, rank 1 stages 1 and 2. That is the v-shape
  // placement, not the looped one (which would put stage 2 on rank 0).
  const Schedule schedule = schedule_from_pytorch_text(
      "0F0,3F0,3I0,3W0,0I0,0W0\n"
      "1F0,2F0,2I0,2W0,1I0,1W0\n");
  EXPECT_EQ(schedule.problem, make_problem(2, 1, 2, 1, Placement::VShape));
  EXPECT_EQ(schedule.programs[0],
            (std::vector<Op>{F(0, 0), F(3, 0), I(3, 0), W(3, 0), I(0, 0), W(0, 0)}));
  EXPECT_TRUE(validate_schedule(schedule).ok());
}

TEST(PytorchText, DatesAStepToTheLastBackwardOfItsStageBeforeIt) {
  const Schedule schedule = schedule_from_pytorch_text("0F0,0F1,0B1,0B0,0STEP\n");
  EXPECT_EQ(schedule.programs[0].back(), Step(0, 0));
}

TEST(PytorchText, HandBuiltAndGeneratedSchedulesRoundTrip) {
  for (const Schedule& schedule :
       {testing::one_f_one_b_p2_m2(), testing::one_f_one_b_p2_m2_lowered()}) {
    EXPECT_EQ(schedule_from_pytorch_text(schedule_to_pytorch_text(schedule)), schedule);
  }
  for (const ScheduleInfo& info : schedule_catalog()) {
    const Problem problem = make_problem(
        4, 8, info.fixed_chunks != 0 ? info.fixed_chunks : info.uses_chunks ? 2 : 1, 2,
        info.placement);
    const Schedule generated = generate_schedule(info.name, problem);
    for (const Schedule& schedule : {generated, lower_communication(generated)}) {
      const std::string text = schedule_to_pytorch_text(schedule);
      EXPECT_EQ(schedule_from_pytorch_text(text), schedule) << info.name;
      EXPECT_EQ(schedule_to_pytorch_text(schedule_from_pytorch_text(text)), text) << info.name;
    }
  }
}

TEST(PytorchText, ANameWithALineBreakCannotBeWritten) {
  Schedule schedule = testing::one_f_one_b_p2_m2();
  schedule.name = "two\nlines";
  EXPECT_THROW(schedule_to_pytorch_text(schedule), Error);
  EXPECT_NO_THROW(schedule_to_pytorch_text(schedule, true));  // no header, no name
}

TEST(PytorchText, NamesTheLineAndActionThatCannotBeRead) {
  EXPECT_EQ(read_error("0F0,0X1\n"), "line 1, action 2 \"0X1\": unknown action type \"X\"");
  EXPECT_EQ(read_error("0F0\n1F\n"), "line 2, action 1 \"1F\": F needs a micro-batch number");
  EXPECT_EQ(read_error("0F0,0B0,0STEP3\n"),
            "line 1, action 3 \"0STEP3\": STEP takes no micro-batch");
  EXPECT_EQ(read_error("0UNSHARD2,0F0\n"), "line 1, action 1 \"0UNSHARD2\": UNSHARD takes no micro-batch");
  EXPECT_EQ(read_error("(0F0)OVERLAP_F_B\n"),
            "line 1, action 1 \"(0F0)OVERLAP_F_B\": OVERLAP_F_B holds exactly two actions, a "
            "forward and a backward");
  EXPECT_EQ(read_error("(0B0;1F0)OVERLAP_F_B\n"),
            "line 1, action 1 \"(0B0;1F0)OVERLAP_F_B\": OVERLAP_F_B pairs a forward (F) with a "
            "backward (B or I), in that order");
  EXPECT_EQ(read_error("(0F0;1B0)OVERLAP\n"),
            "line 1, action 1 \"(0F0;1B0)OVERLAP\": expected a composite action "
            "(<forward>;<backward>)OVERLAP_F_B");
  EXPECT_EQ(read_error("F0\n"),
            "line 1, action 1 \"F0\": expected <stage><type><micro-batch>, such as 0F1");
  EXPECT_EQ(read_error("0F1x\n"),
            "line 1, action 1 \"0F1x\": micro-batch \"1x\" is not a number below 2^32");
  EXPECT_EQ(read_error("65536F0\n"), "line 1, action 1 \"65536F0\": stage is more than 65535");
}

TEST(PytorchText, NamesTheHeaderFieldThatIsWrong) {
  EXPECT_EQ(read_error("# pipewise p=1 v=1 m=1 placement=looped\n0F0,0B0\n"),
            "line 1: the header lacks n=");
  EXPECT_EQ(read_error("# pipewise p=1 v=1 m=1 n=1 q=1 placement=looped\n0F0,0B0\n"),
            "line 1: unknown header field \"q=1\"");
  EXPECT_EQ(read_error("# pipewise p=1 v=1 m=x n=1 placement=looped\n0F0,0B0\n"),
            "line 1: header field m needs an unsigned 32-bit number, got \"x\"");
  EXPECT_EQ(read_error("# pipewise p=1 v=3 m=1 n=1 placement=v-shape\n0F0,0B0\n"),
            "line 1: v-shape placement needs exactly 2 chunks per device, got v = 3");
  EXPECT_EQ(read_error("# pipewise p=3 v=1 m=1 n=1 placement=looped\n0F0,0B0\n"),
            "the header says p=3 but the text has 1 rank line");
}

TEST(PytorchText, RejectsActionsOutsideTheHeadersProblem) {
  EXPECT_EQ(read_error("# pipewise p=1 v=1 m=1 n=1 placement=looped\n0F0,1F0\n"),
            "line 2, action 2 \"1F0\": stage 1 is outside the problem (p*v = 1)");
  EXPECT_EQ(read_error("# pipewise p=1 v=1 m=1 n=2 placement=looped\n0F0,0F2\n"),
            "line 2, action 2 \"0F2\": micro-batch 2 is outside the problem (m*n = 2)");
}

TEST(PytorchText, RejectsTextWhoseProblemCannotBeInferred) {
  EXPECT_EQ(read_error("0F0,2F0\n1F0\n"),
            "line 1, action 2 \"2F0\": the largest stage makes 3 stages, not a multiple of the "
            "2 rank lines");
  EXPECT_EQ(read_error(""), "no rank lines: the schedule is empty");
  EXPECT_EQ(read_error(",\n"), "no actions: cannot infer the problem");
  EXPECT_EQ(read_error("0F0\n# a note\n"),
            "line 2: the only comment allowed is the first-line header \"# pipewise ...\"");
}

TEST(PytorchText, ABackwardBeforeItsForwardLeavesNoVersionsToDerive) {
  EXPECT_EQ(read_error("0B0,0F0\n"),
            "cannot derive weight versions: op 0B0 comes before the forward of its micro-batch "
            "on its stage");
}

}  // namespace
}  // namespace pipewise
