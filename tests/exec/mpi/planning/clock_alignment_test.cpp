// Clock offsets from ping-pongs, and the mapping of another rank's clock onto rank 0's.
#include <gtest/gtest.h>

#include <vector>

#include "exec/mpi/planning/clock_alignment.hpp"

namespace pipewise::exec::mpi {
namespace {

TEST(ClockAlignment, TheOffsetComesFromTheSampleOfShortestRoundTrip) {
  // A slow exchange (round trip 100 ns) and a quick one (20 ns): the quick one is read.
  const std::vector<ClockSample> samples = {{0, 150, 100}, {1000, 1600, 1020}};
  const ClockOffset offset = estimate_offset(samples);
  EXPECT_DOUBLE_EQ(offset.at_ns, 1010);       // the middle of the quick exchange
  EXPECT_DOUBLE_EQ(offset.offset_ns, 590);    // 1600 − 1010
  EXPECT_DOUBLE_EQ(offset.uncertainty_ns, 10);
}

TEST(ClockAlignment, AClockThatOnlyDiffersByAnOffsetMapsBackExactly) {
  const ClockMapping mapping = clock_mapping({0, 5000, 1}, {1e9, 5000, 1});
  EXPECT_DOUBLE_EQ(mapping.drift, 0);
  EXPECT_EQ(mapping.to_reference(123456 + 5000), 123456);
}

TEST(ClockAlignment, DriftBetweenTheStartAndTheEndIsFollowedLinearly) {
  // The other clock is 100 ns ahead at reference time 0 and 200 ns ahead at 10^6: it gains
  // 1e-4 ns per ns. At reference time 5·10^5 it reads 5·10^5 + 150.
  const ClockMapping mapping = clock_mapping({0, 100, 1}, {1e6, 200, 1});
  EXPECT_DOUBLE_EQ(mapping.drift, 1e-4);
  EXPECT_EQ(mapping.to_reference(500000 + 150), 500000);
  EXPECT_EQ(mapping.to_reference(1000000 + 200), 1000000);
}

TEST(ClockAlignment, OffsetsReadAtOneMomentGiveNoDrift) {
  const ClockMapping mapping = clock_mapping({10, 300, 1}, {10, 900, 1});
  EXPECT_DOUBLE_EQ(mapping.drift, 0);
  EXPECT_EQ(mapping.to_reference(1300), 1000);
}

}  // namespace
}  // namespace pipewise::exec::mpi
