// Resource limits: what this machine has left, and the one-line refusal of work that needs
// more.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "common/resources/resource_limits.hpp"

namespace pipewise {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

TEST(MemInfo, MemAvailableIsReadInKilobytesAndReturnedInBytes) {
  const std::string meminfo =
      "MemTotal:       24543212 kB\n"
      "MemFree:        20000000 kB\n"
      "MemAvailable:   23000000 kB\n"
      "Buffers:           12345 kB\n";
  EXPECT_EQ(mem_available_from_meminfo(meminfo), std::uint64_t{23000000} * 1024);
}

TEST(MemInfo, MissingOrMalformedMemAvailableIsUnknown) {
  EXPECT_EQ(mem_available_from_meminfo("MemTotal: 1000 kB\nMemFree: 10 kB\n"), std::nullopt);
  EXPECT_EQ(mem_available_from_meminfo("MemAvailable: lots\n"), std::nullopt);
  EXPECT_EQ(mem_available_from_meminfo(""), std::nullopt);
  // A key that merely ends in the name is not the field.
  EXPECT_EQ(mem_available_from_meminfo("XMemAvailable: 5 kB\n"), std::nullopt);
}

TEST(MemInfo, ThisLinuxMachineReportsSomeAvailableMemory) {
  const std::optional<std::uint64_t> available = available_memory_bytes();
  ASSERT_TRUE(available.has_value());
  EXPECT_GT(*available, 0u);
}

TEST(MemoryFits, PassesWhenTheBytesFitExactly) {
  EXPECT_TRUE(memory_fits("x", 4096, "its 10 ops", 4096).ok());
}

TEST(MemoryFits, RefusesWithTheEstimateTheReasonAndTheMachinesMemory) {
  // 5.0176e13 bytes = 45.6 TiB (the estimate for 1f1b p=1024 m=10^9, tests/sim); the
  // machine has 23 GiB.
  const Status status = memory_fits("1f1b p=1024 v=1 m=1000000000 n=1",
                                    std::uint64_t{50176000001024}, "its 2.0e+12 ops", 23 * kGiB);
  EXPECT_EQ(status.reason(),
            "1f1b p=1024 v=1 m=1000000000 n=1 needs 45.6 TiB for its 2.0e+12 ops; this machine "
            "has 23.0 GiB available");
}

TEST(MemoryAvailableFor, SmallRequestsAreNeverRefused) {
  EXPECT_TRUE(memory_available_for("x", kAlwaysAffordableBytes - 1, "y").ok());
}

}  // namespace
}  // namespace pipewise
