// A CUDA run's report for people (exec/cuda/planning/cuda_run_report.hpp), from hand-made
// reports: no GPU needed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exec/cuda/planning/cuda_run_report.hpp"

namespace pipewise::exec::cuda {
namespace {

using Lines = std::vector<std::string>;

CudaRunReport emulated_report() {
  CudaRunReport report;
  report.mode = DeviceMode::Emulated;
  report.unused_sms = 4;
  report.copy_messages = 24;
  for (int d = 0; d < 2; ++d) {
    report.devices.push_back({0, Isolation::GreenContext, 64, std::size_t{40} << 20,
                              std::size_t{3} << 19, 0});
  }
  report.gpus.push_back({0, std::size_t{80} << 20, std::size_t{82} << 20});
  return report;
}

TEST(CudaRunReport, NamesTheModeIsolationDevicesAndMemoryCheck) {
  const RunDescription description = describe_cuda_run(emulated_report());
  EXPECT_EQ(description.placement,
            (Lines{"CUDA run: emulated, 2 devices in green contexts of 64 SMs (4 SMs unused); "
                   "math fp32; transport auto: 24 copies, 0 NCCL, 0 NCCL loopback",
                   "device 0: GPU 0, green-context, 64 SMs, arena 40.0 MiB reserved, 1.50 MiB peak",
                   "device 1: GPU 0, green-context, 64 SMs, arena 40.0 MiB reserved, 1.50 MiB peak",
                   "GPU 0 memory check: arenas reserved 80.0 MiB, cudaMemGetInfo dropped 82.0 MiB"}));
  EXPECT_TRUE(description.warnings.empty());
  EXPECT_TRUE(description.dedicated);  // each device has an SM partition of its own
}

TEST(CudaRunReport, AFallbackIsAWarningAndGrowthIsShown) {
  CudaRunReport report = emulated_report();
  report.fallback_reason = "green contexts were turned off";
  for (CudaDeviceReport& device : report.devices) device.isolation = Isolation::SharedStreams;
  report.devices[1].arena_grown_segments = 2;
  const RunDescription description = describe_cuda_run(report);
  ASSERT_EQ(description.placement.size(), 4u);
  EXPECT_NE(description.placement[0].find("2 devices on shared streams (no SM partitions)"),
            std::string::npos)
      << description.placement[0];
  EXPECT_EQ(description.placement[2],
            "device 1: GPU 0, shared-streams, 64 SMs, arena 40.0 MiB reserved, 1.50 MiB peak, "
            "grew by 2 segments during the run");
  EXPECT_EQ(description.warnings,
            Lines{"emulated devices share every SM: green contexts were turned off"});
  EXPECT_FALSE(description.dedicated);
}

TEST(CudaRunReport, NcclRunsNameTheLibraryVersion) {
  CudaRunReport report;
  report.transport = TransportChoice::Nccl;
  report.nccl_messages = 12;
  report.nccl_version = "2.28.9";
  report.devices.push_back({1, Isolation::WholeGpu, 132, 0, 0, 0});
  const RunDescription description = describe_cuda_run(report);
  ASSERT_FALSE(description.placement.empty());
  EXPECT_EQ(description.placement.front(),
            "CUDA run: one-per-gpu, 1 device; math fp32; transport nccl: 0 copies, 12 NCCL, 0 NCCL "
            "loopback (NCCL 2.28.9)");
  EXPECT_TRUE(description.dedicated);
}

TEST(CudaRunReport, CopiesInsteadOfNcclAreAWarningWithTheReason) {
  CudaRunReport report;
  report.copy_messages = 16;
  report.nccl_refusal = "the NCCL groups of this schedule deadlock: device 1 waits on 3SEND_B1";
  report.devices.push_back({0, Isolation::WholeGpu, 132, 0, 0, 0});
  report.devices.push_back({1, Isolation::WholeGpu, 132, 0, 0, 0});
  const RunDescription description = describe_cuda_run(report);
  EXPECT_EQ(description.warnings,
            Lines{"messages between GPUs are peer copies, not NCCL: the NCCL groups of this "
                  "schedule deadlock: device 1 waits on 3SEND_B1"});
  EXPECT_TRUE(description.dedicated);  // the devices still have their GPUs to themselves
}

}  // namespace
}  // namespace pipewise::exec::cuda
