// CUDA event timings placed on the host clock (exec/cuda/planning/event_timeline.hpp), from
// synthetic event logs.
#include <gtest/gtest.h>

#include <vector>

#include "common/ir/error.hpp"
#include "exec/cuda/planning/event_timeline.hpp"

namespace pipewise::exec::cuda {
namespace {

constexpr std::int64_t kOrigin = 400'000;

TEST(EventTimeline, SpansAreReferencePlusElapsedMinusOrigin) {
  // Reference at host 1'000'000 ns; an op from 0.5 ms to 1.25 ms after it runs over
  // [1'000'000 + 500'000 - 400'000, 1'000'000 + 1'250'000 - 400'000).
  const DeviceEventLog log{1'000'000, 1, {{0, 0.5f, 1.25f}}};
  const auto timeline = event_timeline({log}, kOrigin);
  ASSERT_EQ(timeline.size(), 1u);
  ASSERT_EQ(timeline[0].size(), 1u);
  EXPECT_EQ(timeline[0][0].start_ns, 1'100'000);
  EXPECT_EQ(timeline[0][0].end_ns, 1'850'000);
}

TEST(EventTimeline, TheTwoCallsOfABackwardMergeIntoOneOp) {
  // Position 1 is a B: backward-input over [2.0, 2.5] ms, backward-weight over [2.5, 3.0].
  const DeviceEventLog log{1'000'000, 3, {{0, 0.0f, 1.0f}, {1, 2.0f, 2.5f}, {1, 2.5f, 3.0f}}};
  const auto timeline = event_timeline({log}, kOrigin);
  EXPECT_EQ(timeline[0][1].start_ns, 1'000'000 + 2'000'000 - kOrigin);
  EXPECT_EQ(timeline[0][1].end_ns, 1'000'000 + 3'000'000 - kOrigin);
  // Position 2 was never timed: it did not run.
  EXPECT_FALSE(timeline[0][2].ran());
  EXPECT_EQ(timeline[0][2].start_ns, -1);
}

TEST(EventTimeline, EachDeviceUsesItsOwnReference) {
  // Device 1's reference is 1 ms later on the host clock: the same elapsed times land 1 ms
  // later on the common timeline. 0.001 ms = 1 µs.
  const DeviceEventLog first{1'000'000, 1, {{0, 0.001f, 0.002f}}};
  const DeviceEventLog second{2'000'000, 1, {{0, 0.001f, 0.002f}}};
  const auto timeline = event_timeline({first, second}, kOrigin);
  EXPECT_EQ(timeline[0][0].start_ns, 601'000);
  EXPECT_EQ(timeline[0][0].end_ns, 602'000);
  EXPECT_EQ(timeline[1][0].start_ns, 1'601'000);
  EXPECT_EQ(timeline[1][0].end_ns, 1'602'000);
}

TEST(EventTimeline, ElapsedTimesRoundToTheNearestNanosecond) {
  // 4e-7 ms = 0.4 ns rounds down, 6e-7 ms = 0.6 ns up.
  const DeviceEventLog log{0, 1, {{0, 4e-7f, 6e-7f}}};
  const auto timeline = event_timeline({log}, 0);
  EXPECT_EQ(timeline[0][0].start_ns, 0);
  EXPECT_EQ(timeline[0][0].end_ns, 1);
}

TEST(EventTimeline, InconsistentLogsAreRefused) {
  EXPECT_THROW(event_timeline({DeviceEventLog{0, 1, {{0, 2.0f, 1.0f}}}}, 0), Error);
  EXPECT_THROW(event_timeline({DeviceEventLog{0, 1, {{1, 0.0f, 1.0f}}}}, 0), Error);
}

TEST(EventTimeline, OpIntervalsOfTheCoreMeasureDurations) {
  const DeviceEventLog log{0, 1, {{0, 1.0f, 3.5f}}};
  EXPECT_EQ(event_timeline({log}, 0)[0][0].duration_ns(), 2'500'000);
}

}  // namespace
}  // namespace pipewise::exec::cuda
