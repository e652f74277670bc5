// Equal SM partitions for emulated pipeline devices (exec/cuda/planning/sm_partition.hpp).
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "exec/cuda/planning/sm_partition.hpp"

namespace pipewise::exec::cuda {
namespace {

// An H100 (and an H200): 132 SMs, green-context partitions of at least 8 in steps of 8.
constexpr SmLimits kHopper{132, 8, 8};

TEST(SmPartition, HopperGivesFourDevicesThirtyTwoSmsEach) {
  // 132 / 4 = 33, rounded down to a multiple of 8: 32; 132 - 4 * 32 = 4 SMs unused.
  const SmPartitionPlan plan = plan_sm_partitions(kHopper, 4);
  EXPECT_EQ(plan.sms_per_device, 32u);
  EXPECT_EQ(plan.devices, 4u);
  EXPECT_EQ(plan.unused_sms, 4u);
}

TEST(SmPartition, PartitionsAreTheLargestAlignedShare) {
  // 132 / 2 = 66 -> 64 (4 unused); 132 / 3 = 44 -> 40 (12 unused); 132 / 16 = 8.25 -> 8.
  EXPECT_EQ(plan_sm_partitions(kHopper, 2).sms_per_device, 64u);
  EXPECT_EQ(plan_sm_partitions(kHopper, 2).unused_sms, 4u);
  EXPECT_EQ(plan_sm_partitions(kHopper, 3).sms_per_device, 40u);
  EXPECT_EQ(plan_sm_partitions(kHopper, 3).unused_sms, 12u);
  EXPECT_EQ(plan_sm_partitions(kHopper, 16).sms_per_device, 8u);
  EXPECT_EQ(plan_sm_partitions(kHopper, 16).unused_sms, 4u);
  // One device still gets an aligned partition: 128 of 132.
  EXPECT_EQ(plan_sm_partitions(kHopper, 1).sms_per_device, 128u);
}

TEST(SmPartition, SeventeenDevicesDoNotFitOnHopper) {
  // 17 partitions of the minimum 8 SMs need 136 > 132.
  try {
    plan_sm_partitions(kHopper, 17);
    FAIL() << "17 partitions of 8 SMs fit in 132";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("17 partitions"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("at most 16 fit"), std::string::npos) << error.what();
  }
}

TEST(SmPartition, MinimumIsRoundedUpToTheAlignment) {
  // Minimum 6 in steps of 4 means partitions of at least 8: 40 SMs hold 5 of them, not 6.
  const SmLimits limits{40, 6, 4};
  EXPECT_EQ(plan_sm_partitions(limits, 5).sms_per_device, 8u);
  EXPECT_THROW(plan_sm_partitions(limits, 6), Error);  // 40 / 6 = 6.7 -> 4 < 8
  // A GPU whose granularity is 2 SMs: 108 / 5 = 21.6 -> 20, 8 unused.
  const SmPartitionPlan fine = plan_sm_partitions({108, 2, 2}, 5);
  EXPECT_EQ(fine.sms_per_device, 20u);
  EXPECT_EQ(fine.unused_sms, 8u);
}

TEST(SmPartition, RequestedSizeIsHonouredOrRefused) {
  const SmPartitionPlan plan = plan_sm_partitions(kHopper, 4, 24);
  EXPECT_EQ(plan.sms_per_device, 24u);
  EXPECT_EQ(plan.unused_sms, 132u - 96u);
  EXPECT_THROW(plan_sm_partitions(kHopper, 4, 20), Error);  // not a multiple of 8
  EXPECT_THROW(plan_sm_partitions(kHopper, 4, 40), Error);  // 160 SMs > 132
  EXPECT_THROW(plan_sm_partitions(kHopper, 4, 4), Error);  // below the minimum of 8
}

TEST(SmPartition, EmptyInputsAreErrors) {
  EXPECT_THROW(plan_sm_partitions(kHopper, 0), Error);
  EXPECT_THROW(plan_sm_partitions({0, 8, 8}, 1), Error);
  EXPECT_THROW(plan_sm_partitions({132, 8, 0}, 1), Error);
}

}  // namespace
}  // namespace pipewise::exec::cuda
