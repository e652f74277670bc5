// Hand-derived programs of the synchronous (flushed) schedules: naive, gpipe, 1f1b and
// interleaved. Labels are op_label's: "2F5" is stage 2's forward of micro-batch 5
// (multi-iteration micro-batches are numbered i*m + j), "0STEP" stage 0's optimizer step.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/ir/weight_versions.hpp"
#include "common/schedules/registry.hpp"
#include "tests/common/schedules/generator_test_support.hpp"

namespace pipewise {
namespace {

using testing::program_text;
using testing::versions_text;

Problem make_problem(std::uint32_t p, std::uint32_t m, std::uint32_t v = 1, std::uint32_t n = 1) {
  Problem problem;
  problem.devices = p;
  problem.microbatches = m;
  problem.chunks = v;
  problem.iterations = n;
  return problem;
}

TEST(NaiveGenerator, RunsEachMicrobatchForwardThenBackwardAndStepsEveryIteration) {
  const Schedule schedule = generate_schedule("naive", make_problem(2, 2, 1, 2));
  EXPECT_EQ(schedule.name, "naive");
  EXPECT_EQ(versions_text(schedule, 0),
            "0F0@0 0B0@0 0F1@0 0B1@0 0STEP@0 0F2@1 0B2@1 0F3@1 0B3@1 0STEP@1");
  EXPECT_EQ(versions_text(schedule, 1),
            "1F0@0 1B0@0 1F1@0 1B1@0 1STEP@0 1F2@1 1B2@1 1F3@1 1B3@1 1STEP@1");
}

TEST(NaiveGenerator, WithOneMicrobatchIsThePlainModelParallelBaseline) {
  const Schedule schedule = generate_schedule("naive", make_problem(3, 1));
  EXPECT_EQ(program_text(schedule, 0), "0F0 0B0 0STEP");
  EXPECT_EQ(program_text(schedule, 1), "1F0 1B0 1STEP");
  EXPECT_EQ(program_text(schedule, 2), "2F0 2B0 2STEP");
}

TEST(GpipeGenerator, RunsAllForwardsThenAllBackwardsInMicrobatchOrder) {
  const Schedule schedule = generate_schedule("gpipe", make_problem(2, 3));
  EXPECT_EQ(schedule.name, "gpipe");
  EXPECT_EQ(program_text(schedule, 0), "0F0 0F1 0F2 0B0 0B1 0B2 0STEP");
  EXPECT_EQ(program_text(schedule, 1), "1F0 1F1 1F2 1B0 1B1 1B2 1STEP");
}

TEST(GpipeGenerator, RepeatsTheIterationAfterEachFlushWithTheNextWeightVersion) {
  const Schedule schedule = generate_schedule("gpipe", make_problem(2, 2, 1, 2));
  EXPECT_EQ(versions_text(schedule, 1),
            "1F0@0 1F1@0 1B0@0 1B1@0 1STEP@0 1F2@1 1F3@1 1B2@1 1B3@1 1STEP@1");
}

TEST(OneFOneBGenerator, FirstDeviceWarmsUpWithPMinusOneForwards) {
  // p = 4, m = 8: device 0 runs w = 3 warm-up forwards, then 5 pairs F(k+3) B(k), then the
  // 3 cool-down backwards.
  const Schedule schedule = generate_schedule("1f1b", make_problem(4, 8));
  EXPECT_EQ(program_text(schedule, 0),
            "0F0 0F1 0F2 "
            "0F3 0B0 0F4 0B1 0F5 0B2 0F6 0B3 0F7 0B4 "
            "0B5 0B6 0B7 0STEP");
}

TEST(OneFOneBGenerator, SecondDeviceWarmsUpWithTwoForwards) {
  const Schedule schedule = generate_schedule("1f1b", make_problem(4, 8));
  EXPECT_EQ(program_text(schedule, 1),
            "1F0 1F1 "
            "1F2 1B0 1F3 1B1 1F4 1B2 1F5 1B3 1F6 1B4 1F7 1B5 "
            "1B6 1B7 1STEP");
}

TEST(OneFOneBGenerator, LastDeviceAlternatesFromTheStart) {
  const Schedule schedule = generate_schedule("1f1b", make_problem(4, 8));
  EXPECT_EQ(program_text(schedule, 3),
            "3F0 3B0 3F1 3B1 3F2 3B2 3F3 3B3 3F4 3B4 3F5 3B5 3F6 3B6 3F7 3B7 3STEP");
}

TEST(OneFOneBGenerator, WithFewerMicrobatchesThanWarmupRunsAllForwardsFirst) {
  // p = 4, m = 2: device 0 would warm up with 3 forwards but only has 2; device 2 warms up
  // with min(1, 2) = 1; device 3 with none.
  const Schedule schedule = generate_schedule("1f1b", make_problem(4, 2));
  EXPECT_EQ(program_text(schedule, 0), "0F0 0F1 0B0 0B1 0STEP");
  EXPECT_EQ(program_text(schedule, 1), "1F0 1F1 1B0 1B1 1STEP");
  EXPECT_EQ(program_text(schedule, 2), "2F0 2F1 2B0 2B1 2STEP");
  EXPECT_EQ(program_text(schedule, 3), "3F0 3B0 3F1 3B1 3STEP");
}

TEST(OneFOneBGenerator, PipedreamFlushAliasGivesTheSameSchedule) {
  const Problem problem = make_problem(4, 8, 1, 2);
  const Schedule by_alias = generate_schedule("pipedream-flush", problem);
  EXPECT_EQ(by_alias.name, "1f1b");
  EXPECT_EQ(by_alias, generate_schedule("1f1b", problem));
}

TEST(InterleavedGenerator, TwoDevicesTwoChunksFourMicrobatches) {
  // p = 2, v = 2, m = 4 (groups of p = 2). Forward virtual micro-batches k = 0..7 run
  // (chunk, mb) = (0,0) (0,1) (1,0) (1,1) (0,2) (0,3) (1,2) (1,3); backwards the same with
  // the chunk mirrored. Device 0 owns stages 0 (chunk 0) and 2 (chunk 1) and warms up with
  // 2(p-1) + (v-1)p = 4 forwards; device 1 owns stages 1 and 3 and warms up with 2.
  const Schedule schedule = generate_schedule("interleaved", make_problem(2, 4, 2));
  EXPECT_EQ(program_text(schedule, 0),
            "0F0 0F1 2F0 2F1 "
            "0F2 2B0 0F3 2B1 2F2 0B0 2F3 0B1 "
            "2B2 2B3 0B2 0B3 0STEP 2STEP");
  EXPECT_EQ(program_text(schedule, 1),
            "1F0 1F1 "
            "3F0 3B0 3F1 3B1 1F2 1B0 1F3 1B1 3F2 3B2 3F3 3B3 "
            "1B2 1B3 1STEP 3STEP");
}

TEST(InterleavedGenerator, MicrobatchCountNotAMultipleOfPUsesMegatronsGroups) {
  // p = 2, v = 2, m = 5: groups of 2 would leave a last group of 1 < p, which Megatron
  // rejects; the smallest accepted group size is 3 (5 mod 3 = 2 >= p). The table is the
  // one Megatron's get_schedule_table documents for PP2 N3 M5 VP2:
  //   k:  0 1 2 3 4 5 6 7 8 9,  mb: 0 1 2 0 1 2 3 4 3 4,  chunk: 0 0 0 1 1 1 0 0 1 1.
  // Warm-up: 2(p-d-1) + (v-1)*3, i.e. 5 on device 0 and 3 on device 1.
  const Schedule schedule = generate_schedule("interleaved", make_problem(2, 5, 2));
  EXPECT_EQ(program_text(schedule, 0),
            "0F0 0F1 0F2 2F0 2F1 "
            "2F2 2B0 0F3 2B1 0F4 2B2 2F3 0B0 2F4 0B1 "
            "0B2 2B3 2B4 0B3 0B4 0STEP 2STEP");
  EXPECT_EQ(program_text(schedule, 1),
            "1F0 1F1 1F2 "
            "3F0 3B0 3F1 3B1 3F2 3B2 1F3 1B0 1F4 1B1 3F3 1B2 3F4 3B3 "
            "3B4 1B3 1B4 1STEP 3STEP");
}

TEST(InterleavedGenerator, ForwardOrderFollowsThePapersFormulaWhenPDividesM) {
  // Narayanan et al. SC'21 / Megatron-LM: forward k runs chunk (k/p) mod v on micro-batch
  // (k/(p*v))*p + k mod p, on stage chunk*p + d.
  const std::uint32_t p = 4, v = 3, m = 8;
  const Schedule schedule = generate_schedule("interleaved", make_problem(p, m, v));
  for (std::uint32_t device = 0; device < p; ++device) {
    std::uint32_t k = 0;
    for (const Op& op : schedule.programs[device]) {
      if (op.kind != OpKind::Forward) continue;
      EXPECT_EQ(op.stage, ((k / p) % v) * p + device) << "device " << device << " k " << k;
      EXPECT_EQ(op.microbatch, (k / (p * v)) * p + k % p) << "device " << device << " k " << k;
      ++k;
    }
    EXPECT_EQ(k, m * v);
  }
}

TEST(InterleavedGenerator, WarmupIsTwiceTheDistanceToTheEndPlusOneRoundPerExtraChunk) {
  // Forwards before the first backward: the warm-up min(2(p-d-1) + (v-1)p, m*v), plus the
  // first steady-state forward when there is one.
  const std::uint32_t p = 4, v = 2, m = 8;
  const Schedule schedule = generate_schedule("interleaved", make_problem(p, m, v));
  const std::uint32_t expected_leading_forwards[] = {11, 9, 7, 5};  // 2(3-d) + 4, plus one
  for (std::uint32_t device = 0; device < p; ++device) {
    const auto& program = schedule.programs[device];
    const auto first_backward = std::find_if(
        program.begin(), program.end(), [](const Op& op) { return op.kind == OpKind::Backward; });
    EXPECT_EQ(first_backward - program.begin(), expected_leading_forwards[device])
        << "device " << device;
  }
}

TEST(InterleavedGenerator, WithOneChunkIsExactly1f1b) {
  for (std::uint32_t p = 1; p <= 8; ++p) {
    for (std::uint32_t m = 1; m <= 16; ++m) {
      for (std::uint32_t n = 1; n <= 2; ++n) {
        const Problem problem = make_problem(p, m, 1, n);
        EXPECT_EQ(generate_schedule("interleaved", problem).programs,
                  generate_schedule("1f1b", problem).programs)
            << "p=" << p << " m=" << m << " n=" << n;
      }
    }
  }
}

TEST(FlushedGenerators, HoldOneWeightVersionPerStage) {
  for (const char* name : {"naive", "gpipe", "1f1b"}) {
    const Schedule schedule = generate_schedule(name, make_problem(4, 8, 1, 3));
    EXPECT_EQ(weight_versions_held(schedule), (std::vector<std::uint32_t>{1, 1, 1, 1})) << name;
  }
  const Schedule interleaved = generate_schedule("interleaved", make_problem(4, 8, 2, 3));
  EXPECT_EQ(weight_versions_held(interleaved), (std::vector<std::uint32_t>{1, 1, 1, 1}));
}

TEST(FlushedGenerators, EveryOpOfIterationIReadsWeightVersionI) {
  for (const char* name : {"naive", "gpipe", "1f1b", "interleaved"}) {
    const Schedule schedule =
        generate_schedule(name, make_problem(3, 6, name == std::string("interleaved") ? 2 : 1, 3));
    for (const auto& program : schedule.programs) {
      for (const Op& op : program) EXPECT_EQ(op.weight_version, op.iteration) << name;
    }
  }
}

}  // namespace
}  // namespace pipewise
