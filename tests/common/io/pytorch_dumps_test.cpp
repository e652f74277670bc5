// PyTorch's own schedule dumps (torch.distributed.pipelining), read and written by
// pipewise: the three CSV artifacts of PyTorch's test suite
// (test/distributed/pipelining/artifacts/), copied verbatim below, and dumps in the forms
// its lowering passes write (REDUCE_GRAD after a stage's last backward, UNSHARD/RESHARD
// around a stage's ops), written by hand from PyTorch's test expectations
// (test_schedule.py: test_reduce_grad, test_unshard_reshard).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/io/pytorch_text.hpp"
#include "common/ir/schedule.hpp"
#include "common/schedules/registry.hpp"
#include "common/validate/validate.hpp"

namespace pipewise {
namespace {

// dualpipev_4rank_10mb.csv: ScheduleDualPipeV, 4 ranks, 8 stages in a V, 10 micro-batches,
// compute only; rank r holds stages r and 7-r.
const std::string kDualPipeV4Rank10Mb =
    "0F0,0F1,0F2,0F3,0F4,0F5,0F6,7F0,7I0,7W0,7F1,7I1,7W1,7F2,7I2,7W2,7F3,"
    "(0F7;7B3)OVERLAP_F_B,(7F4;0B0)OVERLAP_F_B,(0F8;7B4)OVERLAP_F_B,(7F5;0B1)OVERLAP_F_B,"
    "(0F9;7B5)OVERLAP_F_B,(7F6;0B2)OVERLAP_F_B,7B6,(7F7;0B3)OVERLAP_F_B,7B7,"
    "(7F8;0B4)OVERLAP_F_B,7B8,(7F9;0B5)OVERLAP_F_B,7B9,0I6,0W6,0I7,0W7,0I8,0W8,0I9,0W9\n"
    "1F0,1F1,1F2,1F3,1F4,6F0,1F5,6F1,6I0,6W0,6F2,6I1,6W1,6F3,(1F6;6B2)OVERLAP_F_B,"
    "(6F4;1B0)OVERLAP_F_B,(1F7;6B3)OVERLAP_F_B,(6F5;1B1)OVERLAP_F_B,(1F8;6B4)OVERLAP_F_B,"
    "(6F6;1B2)OVERLAP_F_B,(1F9;6B5)OVERLAP_F_B,(6F7;1B3)OVERLAP_F_B,6B6,"
    "(6F8;1B4)OVERLAP_F_B,6B7,(6F9;1B5)OVERLAP_F_B,6B8,1B6,6I9,1I7,6W9,1I8,1W7,1I9,1W8,"
    "1W9\n"
    "2F0,2F1,2F2,5F0,2F3,5F1,2F4,5F2,5I0,5W0,5F3,(2F5;5B1)OVERLAP_F_B,"
    "(5F4;2B0)OVERLAP_F_B,(2F6;5B2)OVERLAP_F_B,(5F5;2B1)OVERLAP_F_B,(2F7;5B3)OVERLAP_F_B,"
    "(5F6;2B2)OVERLAP_F_B,(2F8;5B4)OVERLAP_F_B,(5F7;2B3)OVERLAP_F_B,(2F9;5B5)OVERLAP_F_B,"
    "(5F8;2B4)OVERLAP_F_B,5B6,(5F9;2B5)OVERLAP_F_B,5B7,2B6,5B8,2I7,5I9,2I8,2W7,2I9,5W9,"
    "2W8,2W9\n"
    "3F0,4F0,3F1,4F1,3F2,4F2,3F3,4F3,3F4,4B0,(4F4;3B0)OVERLAP_F_B,(3F5;4B1)OVERLAP_F_B,"
    "(4F5;3B1)OVERLAP_F_B,(3F6;4B2)OVERLAP_F_B,(4F6;3B2)OVERLAP_F_B,(3F7;4B3)OVERLAP_F_B,"
    "(4F7;3B3)OVERLAP_F_B,(3F8;4B4)OVERLAP_F_B,(4F8;3B4)OVERLAP_F_B,(3F9;4B5)OVERLAP_F_B,"
    "(4F9;3B5)OVERLAP_F_B,4B6,3B6,4B7,3B7,4I8,3I8,4I9,3I9,4W8,3W8,4W9,3W9\n";

// zb1p_2rank_2stagep_compute.csv: ScheduleInterleavedZeroBubble, 2 ranks, 2 looped stages
// each, 8 micro-batches; empty cells are idle slots.
const std::string kZb1p2Rank2StageCompute =
    "0F0,0F1,2F0,,2F1,2I0,2W0,0F2,2I1,2W1,0F3,0I0,0W0,2F2,0I1,0W1,2F3,2I2,2W2,0F4,2I3,"
    "2W3,0F5,0I2,0W2,2F4,0I3,0W3,2F5,2I4,2W4,0F6,2I5,2W5,0F7,0I4,0W4,2F6,0I5,0W5,2F7,2I6,"
    "2W6,2I7,2W7,0I6,0W6,0I7,0W7\n"
    ",1F0,1F1,3F0,3I0,3F1,3I1,3W0,1F2,1I0,3W1,1F3,1I1,1W0,3F2,3I2,1W1,3F3,3I3,3W2,1F4,"
    "1I2,3W3,1F5,1I3,1W2,3F4,3I4,1W3,3F5,3I5,3W4,1F6,1I4,3W5,1F7,1I5,1W4,3F6,3I6,1W5,3F7,"
    "3I7,3W6,1I6,3W7,1I7,1W6,1W7\n";

// zb1p_2rank_2stagep_comms.csv: the same schedule lowered by PyTorch (_merge_bw, then
// _add_send_recv): rank 0's adjacent I,W pairs merged into B, sends and receives added.
const std::string kZb1p2Rank2StageComms =
    "0F0,0SEND_F0,2RECV_F0,0F1,0SEND_F1,2RECV_F1,2F0,2SEND_F0,2F1,2SEND_F1,2RECV_B0,2B0,"
    "2SEND_B0,0F2,0SEND_F2,2RECV_B1,2B1,2SEND_B1,0F3,0SEND_F3,2RECV_F2,0RECV_B0,0B0,2F2,"
    "2SEND_F2,2RECV_F3,0RECV_B1,0B1,2F3,2SEND_F3,2RECV_B2,2B2,2SEND_B2,0F4,0SEND_F4,"
    "2RECV_B3,2B3,2SEND_B3,0F5,0SEND_F5,2RECV_F4,0RECV_B2,0B2,2F4,2SEND_F4,2RECV_F5,"
    "0RECV_B3,0B3,2F5,2SEND_F5,2RECV_B4,2B4,2SEND_B4,0F6,0SEND_F6,2RECV_B5,2B5,2SEND_B5,"
    "0F7,0SEND_F7,2RECV_F6,0RECV_B4,0B4,2F6,2SEND_F6,2RECV_F7,0RECV_B5,0B5,2F7,2SEND_F7,"
    "2RECV_B6,2B6,2SEND_B6,2RECV_B7,2B7,2SEND_B7,0RECV_B6,0B6,0RECV_B7,0B7\n"
    "1RECV_F0,1F0,1SEND_F0,1RECV_F1,1F1,1SEND_F1,3RECV_F0,3F0,3RECV_F1,3I0,3SEND_B0,"
    "1RECV_B0,3F1,1RECV_F2,3I1,3SEND_B1,1RECV_B1,3W0,1RECV_F3,1F2,1SEND_F2,1I0,1SEND_B0,"
    "3W1,3RECV_F2,1F3,1SEND_F3,1I1,1SEND_B1,1W0,3RECV_F3,3F2,3I2,3SEND_B2,1RECV_B2,1W1,"
    "1RECV_F4,3F3,3I3,3SEND_B3,1RECV_B3,3W2,1RECV_F5,1F4,1SEND_F4,1I2,1SEND_B2,3W3,"
    "3RECV_F4,1F5,1SEND_F5,1I3,1SEND_B3,1W2,3RECV_F5,3F4,3I4,3SEND_B4,1RECV_B4,1W3,"
    "1RECV_F6,3F5,3I5,3SEND_B5,1RECV_B5,3W4,1RECV_F7,1F6,1SEND_F6,1I4,1SEND_B4,3W5,"
    "3RECV_F6,1F7,1SEND_F7,1I5,1SEND_B5,1W4,3RECV_F7,3F6,3I6,3SEND_B6,1RECV_B6,1W5,3F7,"
    "3I7,3SEND_B7,1RECV_B7,3W6,1I6,1SEND_B6,3W7,1I7,1SEND_B7,1W6,1W7\n";

std::string first_issue(const Schedule& schedule) {
  const ValidationReport report = validate_schedule(schedule);
  return report.ok() ? "" : format_issue(report.issues.front());
}

// `schedule` without its optimizer steps: PyTorch's compute-only dumps have none.
Schedule without_steps(Schedule schedule) {
  for (auto& program : schedule.programs) {
    std::erase_if(program, [](const Op& op) { return op.kind == OpKind::OptimizerStep; });
  }
  return schedule;
}

TEST(PytorchDumps, DualPipeVCsvIsPipewisesDualPipeVAndWritesBackByteForByte) {
  const Schedule read = schedule_from_pytorch_text(kDualPipeV4Rank10Mb);
  EXPECT_EQ(read.problem, (Problem{4, 2, 10, 1, Placement::VShape}));
  EXPECT_EQ(first_issue(read), "");
  Schedule generated = without_steps(generate_schedule("dualpipe-v", read.problem));
  generated.name = read.name;
  EXPECT_EQ(read, generated);
  EXPECT_EQ(schedule_to_pytorch_text(generate_schedule("dualpipe-v", read.problem), true),
            kDualPipeV4Rank10Mb);
}

TEST(PytorchDumps, Zb1pComputeCsvIsPipewisesInterleavedZb) {
  const Schedule read = schedule_from_pytorch_text(kZb1p2Rank2StageCompute);
  EXPECT_EQ(read.problem, (Problem{2, 2, 8, 1, Placement::Looped}));
  EXPECT_EQ(first_issue(read), "");
  Schedule generated = without_steps(generate_schedule("interleaved-zb", read.problem));
  generated.name = read.name;
  EXPECT_EQ(read, generated);
}

TEST(PytorchDumps, Zb1pCommsCsvLoadsAsALoweredSchedule) {
  const Schedule read = schedule_from_pytorch_text(kZb1p2Rank2StageComms);
  EXPECT_EQ(read.problem, (Problem{2, 2, 8, 1, Placement::Looped}));
  EXPECT_TRUE(read.is_lowered());
  EXPECT_EQ(first_issue(read), "");
  // Rank 0 runs full backwards (merged), rank 1 split ones.
  std::size_t full = 0, input = 0;
  for (const Op& op : read.programs[0]) full += op.kind == OpKind::Backward;
  for (const Op& op : read.programs[1]) input += op.kind == OpKind::BackwardInput;
  EXPECT_EQ(full, 16u);
  EXPECT_EQ(input, 16u);
  EXPECT_EQ(schedule_from_pytorch_text(schedule_to_pytorch_text(read)), read);
}

// PyTorch's Schedule1F1B, 2 ranks, 4 micro-batches, as its lowering writes it: REDUCE_GRAD
// after each stage's last backward. That is pipewise's 1F1B with its optimizer steps.
TEST(PytorchDumps, ReduceGradIsTheStepAfterTheLastBackward) {
  const Schedule read = schedule_from_pytorch_text(
      "0F0,0F1,0B0,0F2,0B1,0F3,0B2,0B3,0REDUCE_GRAD\n"
      "1F0,1B0,1F1,1B1,1F2,1B2,1F3,1B3,1REDUCE_GRAD\n");
  EXPECT_EQ(first_issue(read), "");
  Schedule generated = generate_schedule("1f1b", Problem{2, 1, 4, 1, Placement::Looped});
  generated.name = read.name;
  EXPECT_EQ(read, generated);
}

// test_unshard_reshard's expectation for two stages on one rank: UNSHARD before a stage's
// first op, RESHARD after its last; pipewise keeps them as zero-cost ops.
TEST(PytorchDumps, UnshardAndReshardLoadAndRoundTrip) {
  const std::string text =
      "0UNSHARD,1UNSHARD,0F0,0F1,1F0,1F1,1B0,1B1,1RESHARD,0B0,0B1,0RESHARD\n";
  const Schedule read = schedule_from_pytorch_text(text);
  EXPECT_EQ(read.problem, (Problem{1, 2, 2, 1, Placement::Looped}));
  EXPECT_EQ(first_issue(read), "");
  EXPECT_EQ(read.programs[0].front().kind, OpKind::Unshard);
  EXPECT_EQ(read.programs[0].back().kind, OpKind::Reshard);
  EXPECT_EQ(schedule_to_pytorch_text(read, true), text);
}

}  // namespace
}  // namespace pipewise
