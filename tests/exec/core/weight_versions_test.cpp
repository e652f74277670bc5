// The weight-version rules every backend follows (exec/core/weight_versions.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/weight_versions.hpp"

namespace pipewise::exec {
namespace {

TEST(WeightVersions, StepsMakeNewerVersionsAndOlderOnesAreReleased) {
  WeightVersions<std::string> versions;
  versions.start_from("v0");
  versions.check_step_replaces(0);
  versions.add_newer("v1");  // a step that keeps version 0 for a later backward
  versions.check_step_replaces(1);
  versions.advance_newest();  // a step in place: "v1" is now version 2
  EXPECT_EQ(versions.count(), 2u);
  EXPECT_EQ(versions.at(0), "v0");
  EXPECT_EQ(versions.at(2), "v1");
  EXPECT_EQ(versions.release_older(0, 3), "v0");
  EXPECT_EQ(versions.count(), 1u);
  EXPECT_EQ(versions.newest().version, 2u);
}

TEST(WeightVersions, ANewRunStartsFromTheNewestAsVersionZero) {
  WeightVersions<std::string> versions;
  versions.start_from("a");
  versions.add_newer("b");
  versions.add_newer("c");
  EXPECT_EQ(versions.restart_from_newest(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(versions.count(), 1u);
  EXPECT_EQ(versions.at(0), "c");
  EXPECT_EQ(versions.take_all(), std::vector<std::string>{"c"});
  EXPECT_EQ(versions.count(), 0u);
}

TEST(WeightVersions, ReadingStepsAndReleasesOutsideTheRulesAreNamed) {
  WeightVersions<std::string> versions;
  versions.start_from("a");
  versions.add_newer("b");
  try {
    versions.at(5);
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "the stage does not hold weight version 5 (it holds versions 0 to 1)");
  }
  try {
    versions.check_step_replaces(0);
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "the step replaces weight version 0 but the stage's newest is version 1");
  }
  try {
    versions.release_older(1, 4);  // the newest is never released
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "cannot release weight version 1 of stage 4: it is not an older version the stage "
                 "holds");
  }
}

TEST(WeightVersions, TheGradientScaleAveragesOverTheAccumulatedMicrobatches) {
  EXPECT_EQ(gradient_scale(4), 0.25f);
  EXPECT_EQ(gradient_scale(1), 1.0f);
  EXPECT_EQ(gradient_scale(0), 0.0f);
}

}  // namespace
}  // namespace pipewise::exec
