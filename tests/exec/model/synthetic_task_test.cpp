// The synthetic task is reproducible from its seed and cycles through its data set.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/model/synthetic_task.hpp"

namespace pipewise::exec {
namespace {

TEST(SyntheticTask, TheSameSeedGivesTheSameDataAndAnotherSeedOtherData) {
  SyntheticTaskConfig config;
  config.microbatch_size = 4;
  config.distinct_microbatches = 3;
  const SyntheticTask a(6, 3, config);
  const SyntheticTask b(6, 3, config);
  config.seed += 1;
  const SyntheticTask c(6, 3, config);
  for (std::uint64_t g = 0; g < 3; ++g) {
    EXPECT_EQ(std::vector<float>(a.inputs(g), a.inputs(g) + 24),
              std::vector<float>(b.inputs(g), b.inputs(g) + 24));
    EXPECT_EQ(std::vector<int>(a.labels(g), a.labels(g) + 4),
              std::vector<int>(b.labels(g), b.labels(g) + 4));
  }
  EXPECT_NE(std::vector<float>(a.inputs(0), a.inputs(0) + 24),
            std::vector<float>(c.inputs(0), c.inputs(0) + 24));
}

TEST(SyntheticTask, MicroBatchGReadsEntryGModuloTheDataSetSize) {
  SyntheticTaskConfig config;
  config.distinct_microbatches = 5;
  const SyntheticTask task(8, 4, config);
  EXPECT_EQ(task.inputs(7), task.inputs(2));
  EXPECT_EQ(task.labels(12), task.labels(2));
  EXPECT_NE(task.inputs(1), task.inputs(2));
}

TEST(SyntheticTask, LabelsAreClassesAndTheTeacherUsesSeveral) {
  SyntheticTaskConfig config;
  config.distinct_microbatches = 8;
  const SyntheticTask task(20, 6, config);
  std::set<int> seen;
  for (std::uint64_t g = 0; g < 8; ++g) {
    for (std::uint32_t r = 0; r < task.rows(); ++r) {
      const int label = task.labels(g)[r];
      EXPECT_GE(label, 0);
      EXPECT_LT(label, 6);
      seen.insert(label);
    }
  }
  EXPECT_GE(seen.size(), 3u);
}

TEST(SyntheticTask, EmptySizesAreRejected) {
  SyntheticTaskConfig config;
  config.microbatch_size = 0;
  EXPECT_THROW(SyntheticTask(4, 2, config), Error);
  EXPECT_THROW(SyntheticTask(4, 1), Error);
}

}  // namespace
}  // namespace pipewise::exec
