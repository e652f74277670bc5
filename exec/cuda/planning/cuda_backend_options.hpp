#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "exec/cuda/planning/device_selection.hpp"
#include "exec/cuda/planning/math_mode.hpp"
#include "exec/cuda/planning/rank_placement.hpp"
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
  // Set: this process is one rank of a multi-process run and drives one GPU (rank_gpu of
  // `devices` and the rank's local index), running only its pipeline device; messages
  // travel by NCCL across the pipeline group, gradients are averaged across the
  // data-parallel group. Empty (default): every pipeline device runs in this process.
  std::optional<RankPlacement> rank;
};

}  // namespace pipewise::exec::cuda
