#pragma once
#include <cstdint>
#include <vector>

namespace pipewise::exec::cuda {

// What the GPU allows when its SMs are split into green-context partitions (read from the
// SM resource: minSmPartitionSize and smCoscheduledAlignment; 8 and 8 on Hopper).
struct SmLimits {
  std::uint32_t total_sms = 0;
  std::uint32_t min_partition = 1;
  std::uint32_t alignment = 1;
};

// How one GPU's SMs are shared by the pipeline devices emulated on it.
struct SmPartitionPlan {
  std::uint32_t sms_per_device = 0;  // every device gets the same partition
  std::uint32_t devices = 0;
  std::uint32_t unused_sms = 0;      // total_sms - devices * sms_per_device
};

// Equal partitions for `devices` pipeline devices, each the largest multiple of the
// alignment that fits total_sms / devices and at least min_partition (rounded up to the
// alignment); e.g. 132 SMs, min 8, alignment 8: 4 devices get 32 SMs each, 4 SMs unused.
// `requested_sms` > 0 asks for exactly that many SMs per device instead. Throws
// pipewise::Error naming the limits when the partitions cannot be made (more devices than
// minimum-size partitions fit, a requested size that is not a multiple of the alignment,
// below the minimum or too large, zero devices or limits).
SmPartitionPlan plan_sm_partitions(const SmLimits& limits, std::uint32_t devices,
                                   std::uint32_t requested_sms = 0);

}  // namespace pipewise::exec::cuda
