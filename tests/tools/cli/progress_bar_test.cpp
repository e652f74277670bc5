// The progress line's text.
#include <gtest/gtest.h>

#include "tools/cli/progress_bar.hpp"

namespace pipewise::tools {
namespace {

TEST(ProgressLine, ShowsFractionRateAndTimeLeft) {
  // 5000 of 10000 in 2 s: 2.5k/s, 5000 left take 2 s.
  EXPECT_EQ(progress_line(5000, 10000, 2.0),
            "[###############               ] 5000/10000   50%  2.50k/s  2s left");
}

TEST(ProgressLine, OmitsTheRateBeforeAnythingIsDone) {
  EXPECT_EQ(progress_line(0, 40, 0.5), "[                              ] 0/40    0%");
}

TEST(ProgressLine, FullWhenDone) {
  EXPECT_EQ(progress_line(7, 7, 1.0), "[##############################] 7/7  100%  7/s  0s left");
}

}  // namespace
}  // namespace pipewise::tools
