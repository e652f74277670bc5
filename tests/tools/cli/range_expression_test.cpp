// The grid syntax: numbers, ranges, stepped ranges and powers of two.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "tools/cli/range_expression.hpp"

namespace pipewise::tools {
namespace {

using Values = std::vector<std::uint32_t>;

TEST(RangeExpression, ReadsNumbersRangesStepsAndPowersOfTwo) {
  EXPECT_EQ(parse_range_expression("8", "m"), Values{8});
  EXPECT_EQ(parse_range_expression("2..5", "m"), (Values{2, 3, 4, 5}));
  EXPECT_EQ(parse_range_expression("2..9:3", "m"), (Values{2, 5, 8}));
  EXPECT_EQ(parse_range_expression("pow2:2..64", "m"), (Values{2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(parse_range_expression("pow2:3..20", "m"), (Values{4, 8, 16}));
  EXPECT_EQ(parse_range_expression("4,8,16", "m"), (Values{4, 8, 16}));
}

TEST(RangeExpression, SortsAndMergesItems) {
  EXPECT_EQ(parse_range_expression("16, 1..3 ,pow2:2..8", "m"), (Values{1, 2, 3, 4, 8, 16}));
}

TEST(RangeExpression, RejectsBadItemsNamingTheOption) {
  const auto message = [](const char* expression) {
    try {
      parse_range_expression(expression, "stages", 1, 100);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("8..2"), "--stages: bad item \"8..2\": the range ends (2) before it starts (8)");
  EXPECT_EQ(message("-3"), "--stages: bad item \"-3\": sizes cannot be negative");
  EXPECT_EQ(message("2,,4"), "--stages: empty item in \"2,,4\"");
  EXPECT_EQ(message("x"), "--stages: bad item \"x\": \"x\" is not a whole number");
  EXPECT_EQ(message("0"), "--stages: bad item \"0\": 0 is outside 1..100");
  EXPECT_EQ(message("1..200"), "--stages: bad item \"1..200\": 101 is outside 1..100");
  EXPECT_EQ(message("2..8:0"), "--stages: bad item \"2..8:0\": the step must be at least 1");
  EXPECT_EQ(message("pow2:5..7"), "--stages: bad item \"pow2:5..7\": no power of two lies in the range");
  EXPECT_EQ(message("pow2:8"), "--stages: bad item \"pow2:8\": pow2: needs a range such as pow2:2..64");
  EXPECT_EQ(message("99999999999999999999999"), "--stages: bad item \"99999999999999999999999\": number too large");
}

}  // namespace
}  // namespace pipewise::tools
