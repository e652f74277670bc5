// The pieces of one step recorded by different ranks, on different clocks, become one
// timeline on rank 0's clock.
#include <gtest/gtest.h>

#include <vector>

#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "exec/mpi/planning/gathered_steps.hpp"

namespace pipewise::exec::mpi {
namespace {

Schedule two_device_pipeline() {
  Problem problem;
  problem.devices = 2;
  problem.microbatches = 1;
  return lower_communication(generate_schedule("gpipe", problem));
}

// What device `device`'s rank records when its run starts at `origin_ns` on its clock and op
// i of its program runs over [origin + 1000·i, origin + 1000·i + 500).
TimingRecorder recorded(const Schedule& schedule, std::uint32_t device, std::int64_t origin_ns) {
  TimingRecorder recorder;
  recorder.on_run_start(schedule, origin_ns);
  for (std::size_t i = 0; i < schedule.programs[device].size(); ++i) {
    const auto start = origin_ns + 1000 * static_cast<std::int64_t>(i);
    recorder.on_op(device, i, schedule.programs[device][i], start, start + 500);
  }
  return recorder;
}

TEST(GatheredSteps, EachDevicesTimesAreMappedOntoTheReferenceClockFromTheEarliestOrigin) {
  const Schedule schedule = two_device_pipeline();
  // Rank 0 (device 0) starts at 10'000 on its clock; device 1's rank starts at 50'000 on a
  // clock that runs 45'000 ahead, i.e. at 5'000 on rank 0's: the merged step starts there.
  const std::vector<DeviceStep> pieces = {
      {0, pack_device_step(recorded(schedule, 0, 10000), 0), ClockMapping{}},
      {1, pack_device_step(recorded(schedule, 1, 50000), 1), ClockMapping{45000, 0, 0}}};
  const TimingRecorder merged = merge_device_steps(schedule, pieces);
  // Device 1's op i: 50'000 + 1000·i on its clock = 5'000 + 1000·i on rank 0's = 1000·i from
  // the merged origin 5'000; device 0's op i: 10'000 + 1000·i = 5'000 + 1000·i from it.
  ASSERT_EQ(merged.intervals().size(), 2u);
  EXPECT_EQ(merged.intervals()[1][0].start_ns, 0);
  EXPECT_EQ(merged.intervals()[1][1].start_ns, 1000);
  EXPECT_EQ(merged.intervals()[1][1].end_ns, 1500);
  EXPECT_EQ(merged.intervals()[0][0].start_ns, 5000);
  EXPECT_EQ(merged.intervals()[0][2].end_ns, 5000 + 2000 + 500);
  EXPECT_TRUE(merged.succeeded());
}

TEST(GatheredSteps, OpsThatDidNotRunStayUnrun) {
  const Schedule schedule = two_device_pipeline();
  TimingRecorder partial;
  partial.on_run_start(schedule, 0);
  partial.on_op(1, 0, schedule.programs[1][0], 100, 200);
  const std::vector<DeviceStep> pieces = {{0, pack_device_step(recorded(schedule, 0, 0), 0), {}},
                                          {1, pack_device_step(partial, 1), {}}};
  const TimingRecorder merged = merge_device_steps(schedule, pieces);
  EXPECT_TRUE(merged.intervals()[1][0].ran());
  EXPECT_FALSE(merged.intervals()[1][1].ran());
}

TEST(GatheredSteps, AMissingDeviceOrOneThatDoesNotFitItsProgramIsAnError) {
  const Schedule schedule = two_device_pipeline();
  const std::vector<DeviceStep> one = {{0, pack_device_step(recorded(schedule, 0, 0), 0), {}}};
  EXPECT_THROW(merge_device_steps(schedule, one), Error);
  const std::vector<DeviceStep> short_piece = {
      {0, pack_device_step(recorded(schedule, 0, 0), 0), {}}, {1, {0, 1, 2}, {}}};
  EXPECT_THROW(merge_device_steps(schedule, short_piece), Error);
  const std::vector<DeviceStep> twice = {{0, pack_device_step(recorded(schedule, 0, 0), 0), {}},
                                         {0, pack_device_step(recorded(schedule, 0, 0), 0), {}}};
  EXPECT_THROW(merge_device_steps(schedule, twice), Error);
}

}  // namespace
}  // namespace pipewise::exec::mpi
