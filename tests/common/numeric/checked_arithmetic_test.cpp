// Byte counts never wrap: a double past 2^64 is refused naming its input instead of being
// cast to 0 or 2^63 (issue 13: --param-bytes 2e19 gave a peak of 0 B), and sums and
// products past 2^64 − 1 are reported, not wrapped.
#include "common/numeric/checked_arithmetic.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace pipewise {
namespace {

constexpr std::uint64_t kMost = ~std::uint64_t{0};

TEST(BytesFromDouble, RoundsValuesThatFit) {
  EXPECT_EQ(bytes_from_double(0.0, "x").value(), 0u);
  EXPECT_EQ(bytes_from_double(1.4, "x").value(), 1u);
  EXPECT_EQ(bytes_from_double(1.6, "x").value(), 2u);
  // The largest double below 2^64 is 2^64 − 2048: it fits exactly.
  const double below = std::nextafter(18446744073709551616.0, 0.0);
  EXPECT_EQ(bytes_from_double(below, "x").value(), kMost - 2047);
}

TEST(BytesFromDouble, RefusesValuesPastTwoToThe64NamingTheInput) {
  for (const double value : {18446744073709551616.0, 2e19, 1e308}) {
    const Result<std::uint64_t> bytes = bytes_from_double(value, "parameter bytes");
    ASSERT_FALSE(bytes.ok()) << value;
    EXPECT_EQ(bytes.status().reason().rfind("parameter bytes = ", 0), 0u) << bytes.status().reason();
    EXPECT_NE(bytes.status().reason().find("is too large: pipewise counts at most 1.84467e+19 bytes"),
              std::string::npos)
        << bytes.status().reason();
  }
}

TEST(BytesFromDouble, RefusesNegativeAndNonFiniteValues) {
  for (const double value : {-1.0, std::numeric_limits<double>::infinity(), std::nan("")}) {
    EXPECT_FALSE(bytes_from_double(value, "x").ok()) << value;
  }
}

TEST(CheckedArithmetic, ReportsSumsAndProductsPastTwoToThe64) {
  EXPECT_EQ(checked_add(kMost - 1, 1), kMost);
  EXPECT_EQ(checked_add(kMost, 1), std::nullopt);
  EXPECT_EQ(checked_multiply(std::uint64_t{1} << 32, (std::uint64_t{1} << 32) - 1),
            kMost - ((std::uint64_t{1} << 32) - 1));
  EXPECT_EQ(checked_multiply(std::uint64_t{1} << 32, std::uint64_t{1} << 32), std::nullopt);
  // 5e18 × 5 (weights, gradients and Adam's two moments) is 2.5e19: past 2^64.
  EXPECT_EQ(checked_multiply(5'000'000'000'000'000'000u, 5), std::nullopt);
}

TEST(SaturatingCountUp, SaturatesInsteadOfWrapping) {
  EXPECT_EQ(saturating_count_up(0.0), 0u);
  EXPECT_EQ(saturating_count_up(2.1), 3u);
  EXPECT_EQ(saturating_count_up(1e20), kMost);  // was: an undefined cast, 0 in practice
  EXPECT_EQ(saturating_count_up(std::numeric_limits<double>::infinity()), kMost);
  EXPECT_EQ(saturating_count_up(std::nan("")), 0u);
}

TEST(TooManyBytes, NamesWhatAndWhichInput) {
  EXPECT_EQ(too_many_bytes("device 0's memory", "the activation bytes are too large").reason(),
            "device 0's memory exceeds the 1.84467e+19 bytes (2^64 - 1) pipewise can count: "
            "the activation bytes are too large");
}

}  // namespace
}  // namespace pipewise
