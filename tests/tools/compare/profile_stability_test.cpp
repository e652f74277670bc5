// profile warns when its pipeline steps disagree (the machine's speed changed while it
// profiled) and stays quiet when they agree.
#include <gtest/gtest.h>

#include <vector>

#include "tools/compare/profile_stability.hpp"

namespace pipewise::tools {
namespace {

TEST(ProfileStability, StepsWithinTenPercentRaiseNoWarning) {
  EXPECT_FALSE(profile_spread_warning(std::vector<double>{160.0, 165.0, 170.0}).has_value());
  EXPECT_FALSE(profile_spread_warning(std::vector<double>{100.0, 110.0}).has_value());
  EXPECT_FALSE(profile_spread_warning(std::vector<double>{300.0}).has_value());
  EXPECT_FALSE(profile_spread_warning(std::vector<double>{}).has_value());
}

TEST(ProfileStability, StepsFurtherApartAreNamedInOneLine) {
  const auto warning = profile_spread_warning(std::vector<double>{160.0, 320.0, 170.0});
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("took 160 to 320 ms (100 % apart)"), std::string::npos) << *warning;
  EXPECT_EQ(warning->find('\n'), std::string::npos);
}

}  // namespace
}  // namespace pipewise::tools
