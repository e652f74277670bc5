#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/mpi/planning/clock_alignment.hpp"

// One recorded step of a multi-process run, from the pieces each rank records of it to one
// timeline of every device, as rank 0 puts them together.

namespace pipewise::exec::mpi {

// What a rank sends rank 0 of one recorded step of device `device`: the origin of its run on
// its own clock, then the start and end of each op of its program counted from that origin
// (TimingRecorder's intervals; −1 for an op that did not run).
std::vector<std::int64_t> pack_device_step(const TimingRecorder& step, std::uint32_t device);

// One device's part of a step as it arrived at rank 0.
struct DeviceStep {
  std::uint32_t device = 0;
  std::vector<std::int64_t> packed;  // pack_device_step
  ClockMapping clock;                // its rank's clock onto rank 0's
};

// The step every device of `schedule` ran, as one TimingRecorder (without memory samples) on
// rank 0's clock, its origin the earliest of the devices' origins so that no time is negative.
// Throws pipewise::Error when a device is missing or named twice, or its packed times do not
// fit its program.
TimingRecorder merge_device_steps(const Schedule& schedule, std::span<const DeviceStep> devices);

}  // namespace pipewise::exec::mpi
