#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "exec/cuda/device_lanes.hpp"
#include "exec/cuda/planning/device_selection.hpp"
#include "exec/cuda/gemm.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"

namespace pipewise::exec::cuda {

// Options of the CUDA backend, with their defaults.
struct CudaBackendOptions {
  // Which GPUs run the pipeline devices (--gpus, --emulate). Default: one GPU per device
  // when the process sees enough, else every device emulated on GPU 0.
  DeviceRequest devices;
  // Emulated devices: SMs per device's partition; 0 (default) gives each device the
  // largest equal partition the GPU's granularity allows (32 of an H100's 132 SMs for 4).
  std::uint32_t sms_per_device = 0;
  // Emulated devices: partition the SMs with green contexts (default). Off, or when the
  // driver cannot, emulated devices are plain streams sharing every SM (reported).
  bool green_contexts = true;
  // GEMM arithmetic. Default fp32, which matches the CPU backend to rounding.
  MathMode math = MathMode::Fp32;
  // How messages travel. Default: copies within a GPU, NCCL between GPUs.
  TransportChoice transport = TransportChoice::Auto;
  // Bytes each device's arena reserves before a run; 0 (default) sizes it from the
  // schedule (arena_sizing.hpp). The arena grows if a run needs more, and says so.
  std::size_t arena_bytes = 0;
};

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
  std::vector<CudaDeviceReport> devices;
  std::vector<CudaGpuMemoryCheck> gpus;
};

}  // namespace pipewise::exec::cuda
