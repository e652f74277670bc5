// The text form of a CUDA run's report (exec/cuda/planning/cuda_run_report.hpp), from hand-made
// reports: no GPU needed.
#include <gtest/gtest.h>

#include <string>

#include "exec/cuda/planning/cuda_run_report.hpp"

namespace pipewise::exec::cuda {
namespace {

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
  EXPECT_EQ(describe_cuda_run(emulated_report()),
            "CUDA run: emulated, 2 devices in green contexts of 64 SMs (4 SMs unused); math fp32; "
            "transport auto: 24 copies, 0 NCCL, 0 NCCL loopback\n"
            "device 0: GPU 0, green-context, 64 SMs, arena 40.0 MiB reserved, 1.50 MiB peak\n"
            "device 1: GPU 0, green-context, 64 SMs, arena 40.0 MiB reserved, 1.50 MiB peak\n"
            "GPU 0 memory check: arenas reserved 80.0 MiB, cudaMemGetInfo dropped 82.0 MiB\n");
}

TEST(CudaRunReport, AFallbackIsAWarningAndGrowthIsShown) {
  CudaRunReport report = emulated_report();
  report.fallback_reason = "green contexts were turned off";
  for (CudaDeviceReport& device : report.devices) device.isolation = Isolation::SharedStreams;
  report.devices[1].arena_grown_segments = 2;
  const std::string text = describe_cuda_run(report);
  EXPECT_NE(text.find("2 devices on shared streams (no SM partitions)"), std::string::npos) << text;
  EXPECT_NE(text.find("peak, grew by 2 segments during the run\n"), std::string::npos) << text;
  EXPECT_NE(text.find("warning: emulated devices share every SM: green contexts were turned off\n"),
            std::string::npos)
      << text;
}

TEST(CudaRunReport, NcclRunsNameTheLibraryVersion) {
  CudaRunReport report;
  report.transport = TransportChoice::Nccl;
  report.nccl_messages = 12;
  report.nccl_version = "2.28.9";
  report.devices.push_back({1, Isolation::WholeGpu, 132, 0, 0, 0});
  const std::string text = describe_cuda_run(report);
  EXPECT_EQ(text.substr(0, text.find('\n') + 1),
            "CUDA run: one-per-gpu, 1 device; math fp32; transport nccl: 0 copies, 12 NCCL, 0 NCCL "
            "loopback (NCCL 2.28.9)\n");
}

}  // namespace
}  // namespace pipewise::exec::cuda
