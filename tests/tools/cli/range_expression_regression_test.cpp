// Regression tests for inputs that broke parse_range_expression (tools/cli/range_expression.hpp),
// found by reading its loops for overflow while writing tests/fuzz/fuzz_range_expression.cpp
// (the fuzzer, whose inputs rarely hold 20-digit numbers, had not reached them).
// docs/reliability.md lists them.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "common/ir/error.hpp"
#include "tools/cli/range_expression.hpp"

namespace pipewise::tools {
namespace {

// Parses `expression` in a child process that SIGALRM kills after 5 s, so that a hang
// fails the test instead of stalling the suite. The child prints the error message, if
// any, to stderr and exits 0 when parsing ended with a pipewise::Error, 1 when it ended
// with values.
void parse_in_child(const char* expression) {
  alarm(5);
  try {
    parse_range_expression(expression, "stages");
  } catch (const Error& error) {
    std::fprintf(stderr, "%s\n", error.what());
    std::_Exit(0);
  }
  std::_Exit(1);
}

TEST(RangeExpressionRegression, PowersOfTwoRangeAboveTwoToThe63EndsWithAnError) {
  // Every power of two that fits in 64 bits is below 18446744073709551600, so the range
  // holds none; the doubling must stop at 2^63 rather than wrap to 0 and loop forever.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(parse_in_child("pow2:18446744073709551600..18446744073709551609"),
              ::testing::ExitedWithCode(0), "--stages: bad item \"pow2:");
}

TEST(RangeExpressionRegression, AStepPastTwoToThe64EndsTheRangeInsteadOfWrapping) {
  // 10..20 with a step of 18446744073709551609: 10 is the only value in the range; adding
  // the step must not wrap around to 10 + step - 2^64 = 3, which lies outside 10..20.
  EXPECT_EQ(parse_range_expression("10..20:18446744073709551609", "stages"),
            std::vector<std::uint32_t>{10});
}

}  // namespace
}  // namespace pipewise::tools
