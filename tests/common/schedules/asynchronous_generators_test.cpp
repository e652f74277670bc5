// Hand-derived programs and weight versions of the asynchronous schedules: PipeDream and
// PipeDream-2BW. "0F3@1" is stage 0's forward of stream micro-batch 3 (= iteration 3/m,
// micro-batch 3 mod m) reading weight version 1; "0STEP@2" is the step that replaces
// version 2 of stage 0.
#include <gtest/gtest.h>

#include "common/ir/weight_versions.hpp"
#include "common/schedules/registry.hpp"
#include "tests/common/schedules/generator_test_support.hpp"

namespace pipewise {
namespace {

using testing::versions_text;

Problem make_problem(std::uint32_t p, std::uint32_t m, std::uint32_t n) {
  Problem problem;
  problem.devices = p;
  problem.microbatches = m;
  problem.iterations = n;
  return problem;
}

TEST(PipedreamGenerator, StepsAfterEveryBackwardAndStashesWeightsForBackwards) {
  // p = 3, m = 2, n = 2: a stream of 4 micro-batches. Device d warms up with p-d-1
  // forwards. Each backward reads the version its forward read; each forward the newest.
  const Schedule schedule = generate_schedule("pipedream", make_problem(3, 2, 2));
  EXPECT_EQ(schedule.name, "pipedream");
  EXPECT_EQ(versions_text(schedule, 0),
            "0F0@0 0F1@0 "
            "0F2@0 0B0@0 0STEP@0 0F3@1 0B1@0 0STEP@1 "
            "0B2@0 0STEP@2 0B3@1 0STEP@3");
  EXPECT_EQ(versions_text(schedule, 1),
            "1F0@0 "
            "1F1@0 1B0@0 1STEP@0 1F2@1 1B1@0 1STEP@1 1F3@2 1B2@1 1STEP@2 "
            "1B3@2 1STEP@3");
  EXPECT_EQ(versions_text(schedule, 2),
            "2F0@0 2B0@0 2STEP@0 2F1@1 2B1@1 2STEP@1 2F2@2 2B2@2 2STEP@2 2F3@3 2B3@3 2STEP@3");
}

TEST(PipedreamGenerator, StepsCarryTheMicrobatchTheyApply) {
  const Schedule schedule = generate_schedule("pipedream", make_problem(3, 2, 2));
  std::vector<std::pair<std::uint32_t, std::uint32_t>> steps;  // (iteration, micro-batch)
  for (const Op& op : schedule.programs[0]) {
    if (op.kind == OpKind::OptimizerStep) steps.emplace_back(op.iteration, op.microbatch);
  }
  EXPECT_EQ(steps,
            (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
}

TEST(PipedreamGenerator, StageSHoldsPMinusSWeightVersions) {
  // At steady state stage s has p - s micro-batches in flight, each pinned to its own
  // version (PipeDream §3.3, weight stashing).
  const Schedule small = generate_schedule("pipedream", make_problem(3, 2, 2));
  EXPECT_EQ(weight_versions_held(small), (std::vector<std::uint32_t>{3, 2, 1}));
  const Schedule large = generate_schedule("pipedream", make_problem(6, 4, 5));
  EXPECT_EQ(weight_versions_held(large), (std::vector<std::uint32_t>{6, 5, 4, 3, 2, 1}));
}

TEST(Pipedream2bwGenerator, StepsOncePerIterationAndReadsAtMostTwoVersions) {
  // p = 3, m = 3, n = 2: the 1F1B order over a stream of 6 micro-batches; each stage steps
  // after the backward of stream micro-batch 2 (last of iteration 0) and 5.
  const Schedule schedule = generate_schedule("pipedream-2bw", make_problem(3, 3, 2));
  EXPECT_EQ(schedule.name, "pipedream-2bw");
  EXPECT_EQ(versions_text(schedule, 0),
            "0F0@0 0F1@0 "
            "0F2@0 0B0@0 0F3@0 0B1@0 0F4@0 0B2@0 0STEP@0 0F5@1 0B3@0 "
            "0B4@0 0B5@1 0STEP@1");
  EXPECT_EQ(versions_text(schedule, 1),
            "1F0@0 "
            "1F1@0 1B0@0 1F2@0 1B1@0 1F3@0 1B2@0 1STEP@0 1F4@1 1B3@0 1F5@1 1B4@1 "
            "1B5@1 1STEP@1");
  EXPECT_EQ(versions_text(schedule, 2),
            "2F0@0 2B0@0 2F1@0 2B1@0 2F2@0 2B2@0 2STEP@0 "
            "2F3@1 2B3@1 2F4@1 2B4@1 2F5@1 2B5@1 2STEP@1");
}

TEST(Pipedream2bwGenerator, StagesWhereMicrobatchesStraddleAnUpdateHoldTwoVersions) {
  // Stage s < p-1 runs forwards of iteration i+1 before the last backwards of iteration i,
  // so it holds the old and the new version; the last stage never does.
  const Schedule small = generate_schedule("pipedream-2bw", make_problem(3, 3, 2));
  EXPECT_EQ(weight_versions_held(small), (std::vector<std::uint32_t>{2, 2, 1}));
  const Schedule large = generate_schedule("pipedream-2bw", make_problem(4, 8, 3));
  EXPECT_EQ(weight_versions_held(large), (std::vector<std::uint32_t>{2, 2, 2, 1}));
  const Schedule fewest_microbatches = generate_schedule("pipedream-2bw", make_problem(4, 4, 3));
  EXPECT_EQ(weight_versions_held(fewest_microbatches), (std::vector<std::uint32_t>{2, 2, 2, 1}));
}

TEST(Pipedream2bwGenerator, OneIterationNeverStraddles) {
  const Schedule schedule = generate_schedule("pipedream-2bw", make_problem(4, 8, 1));
  EXPECT_EQ(weight_versions_held(schedule), (std::vector<std::uint32_t>{1, 1, 1, 1}));
}

}  // namespace
}  // namespace pipewise
