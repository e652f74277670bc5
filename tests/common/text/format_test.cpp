// How reports write quantities for people (common/text/format.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/text/format.hpp"

namespace pipewise {
namespace {

TEST(FormatBytes, UsesBinaryUnitsWithThreeSignificantDigits) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(23 * kGiB + 400 * (kGiB / 1000)), "23.4 GiB");
  EXPECT_EQ(format_bytes(512 * kGiB), "512 GiB");
  EXPECT_EQ(format_bytes(16 * kGiB * 1024), "16.0 TiB");
  EXPECT_EQ(format_bytes(-1.5 * kGiB), "-1.50 GiB");
}

TEST(FormatBytes, RoundingThatCarriesMovesToTheNextUnit) {
  // 1023.9 KiB would print as "1024 KiB" at three digits: it is 1.00 MiB.
  EXPECT_EQ(format_bytes(1023.9 * 1024), "1.00 MiB");
  EXPECT_EQ(format_bytes(9.999 * kMiB), "10.0 MiB");
  EXPECT_EQ(format_bytes(99.99 * kMiB), "100 MiB");
}

TEST(FormatBytes, NonFiniteSizesSayWhatTheyAre) {
  EXPECT_EQ(format_bytes(std::numeric_limits<double>::infinity()), "inf B");
  EXPECT_EQ(format_bytes(std::nan("")), "nan B");
}

TEST(ByteUnit, IsTheUnitInWhichTheLargestValueReadsBelow1024) {
  EXPECT_STREQ(byte_unit_for(0).name, "B");
  EXPECT_STREQ(byte_unit_for(1023).name, "B");
  EXPECT_STREQ(byte_unit_for(1024).name, "KiB");
  EXPECT_STREQ(byte_unit_for(3e10).name, "GiB");
  EXPECT_EQ(byte_unit_for(3e10).bytes, kGiB);
  EXPECT_STREQ(byte_unit_for(1e30).name, "EiB");
}

TEST(FormatSignificant, KeepsThreeDigits) {
  EXPECT_EQ(format_significant(0), "0");
  EXPECT_EQ(format_significant(0.5123), "0.51");
  EXPECT_EQ(format_significant(5.123), "5.12");
  EXPECT_EQ(format_significant(51.23), "51.2");
  EXPECT_EQ(format_significant(512.3), "512");
}

TEST(FormatCount, IsExactBelowAMillionAndScientificAbove) {
  EXPECT_EQ(format_count(999999), "999999");
  EXPECT_EQ(format_count(1000000), "1.0e+06");
  EXPECT_EQ(format_count(2048000001024), "2.0e+12");
}

TEST(FormatPercent, OneDecimalFromOnePercentTwoBelowAndNoSpace) {
  EXPECT_EQ(format_percent(0.27272), "27.3%");
  EXPECT_EQ(format_percent(0.0045), "0.45%");
  EXPECT_EQ(format_percent(1.0), "100.0%");
  EXPECT_EQ(format_signed_percent(0.029), "+2.9%");
  EXPECT_EQ(format_signed_percent(-0.5), "-50.0%");
}

TEST(FormatDuration, SwitchesToSecondsAtOneSecondWithFourSignificantDigits) {
  EXPECT_EQ(format_duration_ms(0.25), "0.2500 ms");
  EXPECT_EQ(format_duration_ms(12.345), "12.35 ms");
  EXPECT_EQ(format_duration_ms(132400), "132.4 s");
}

TEST(FormatMs, PrecisionFollowsTheSize) {
  EXPECT_EQ(format_ms(0), "0");
  EXPECT_EQ(format_ms(0.0125), "0.0125");
  EXPECT_EQ(format_ms(3.5), "3.500");
  EXPECT_EQ(format_ms(1234.56), "1234.6");
}

TEST(FormatNumber, ShortestFormUpToSixDigits) {
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(12), "12");
  EXPECT_EQ(format_number(1.5e12), "1.5e+12");
}

// An error that writes back what the user typed says "nan", not the tables' "n/a".
TEST(FormatGiven, WritesBackNumbersAsTypedNotANumberIncluded) {
  EXPECT_EQ(format_given(-80), "-80");
  EXPECT_EQ(format_given(1e9), "1e+09");
  EXPECT_EQ(format_given(std::nan("")), "nan");
  EXPECT_EQ(format_given(-std::numeric_limits<double>::infinity()), "-inf");
}

// Issue 13: an undefined ratio (0 / 0, NaN) must never read as a number in a table.
TEST(FormatUndefined, NaNReadsNotApplicableInEveryFormatButBytes) {
  const double undefined = std::nan("");
  EXPECT_EQ(format_percent(undefined), "n/a");
  EXPECT_EQ(format_signed_percent(undefined), "n/a");
  EXPECT_EQ(format_fixed(undefined, 3), "n/a");
  EXPECT_EQ(format_number(undefined), "n/a");
  EXPECT_EQ(format_ms(undefined), "n/a");
  EXPECT_EQ(format_duration_ms(undefined), "n/a");
}

// Issue 13: a throughput of 2.5e-298 micro-batches/s read "0.00", and a makespan of
// 4e300 ms was written out in 301 digits.
TEST(FormatMisstatement, ANonZeroValueNeverReadsAsZeroAndHugeOnesAreScientific) {
  EXPECT_EQ(format_fixed(2.5e-298, 2), "2.50e-298");
  EXPECT_EQ(format_fixed(0.004, 2), "4.00e-03");
  EXPECT_EQ(format_fixed(0.005, 2), "0.01");  // rounds to a non-zero value: fixed
  EXPECT_EQ(format_fixed(-0.001, 2), "-1.00e-03");
  EXPECT_EQ(format_fixed(0, 2), "0.00");
  EXPECT_EQ(format_ms(4e300), "4.00e+300");
  EXPECT_EQ(format_ms(1e-5), "1.00e-05");
  EXPECT_EQ(format_significant(1e20), "1.00e+20");
  EXPECT_EQ(format_duration_ms(1e300), "1.00e+297 s");
  EXPECT_EQ(format_percent(3.3e298), "3.30e+300%");
  EXPECT_EQ(format_percent(1e-9), "0.00%");  // a share near zero rounds as people expect
}

}  // namespace
}  // namespace pipewise
