#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "exec/core/run_description.hpp"
#include "exec/cuda/planning/device_selection.hpp"
#include "exec/cuda/planning/isolation.hpp"
#include "exec/cuda/planning/math_mode.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"

namespace pipewise::exec::cuda {

// One pipeline device of the last run.
struct CudaDeviceReport {
  int gpu = 0;
  Isolation isolation = Isolation::WholeGpu;
  std::uint32_t sms = 0;                 // SMs it could use
  std::size_t arena_reserved_bytes = 0;  // GPU memory its arena holds
  std::size_t arena_peak_bytes = 0;      // most of it in use at once during the run
  std::uint32_t arena_grown_segments = 0;  // segments added mid-run (reservation too small)
};

// The cross-check of one GPU's arenas against the driver's view (cudaMemGetInfo).
struct CudaGpuMemoryCheck {
  int gpu = 0;
  std::size_t arena_reserved_bytes = 0;  // reserved by the arenas of the devices on it
  std::size_t observed_drop_bytes = 0;   // free memory the reservations took, as measured
};

// How the last run used the GPUs: what a measured-versus-predicted report must print next
// to its numbers.
struct CudaRunReport {
  DeviceMode mode = DeviceMode::OnePerGpu;
  std::string fallback_reason;  // why emulated devices share SMs; empty when they do not
  std::uint32_t unused_sms = 0;  // SMs left out of every partition (emulated)
  MathMode math = MathMode::Fp32;
  TransportChoice transport = TransportChoice::Auto;
  std::uint64_t copy_messages = 0;      // messages by route in the last run's schedule
  std::uint64_t nccl_messages = 0;
  std::uint64_t loopback_messages = 0;
  std::string nccl_version;             // when NCCL was used
  std::string nccl_refusal;             // why --transport auto copies between GPUs (TransferPlan)
  std::vector<CudaDeviceReport> devices;
  std::vector<CudaGpuMemoryCheck> gpus;
};

// The report of a CUDA run for people, one fact per placement line: the device mode and
// how the devices were isolated, the math and the messages by route, then each device's
// GPU, SMs and arena, then each GPU's memory cross-check. A warning when emulated devices
// fell back to sharing every SM, which is also when the devices are not dedicated, and one
// when messages between GPUs are peer copies because NCCL cannot run the schedule.
RunDescription describe_cuda_run(const CudaRunReport& report);

}  // namespace pipewise::exec::cuda
