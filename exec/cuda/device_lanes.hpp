#pragma once
#include <cuda.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "exec/cuda/planning/device_selection.hpp"
#include "exec/cuda/planning/isolation.hpp"

namespace pipewise::exec::cuda {

// Where one pipeline device runs its work.
struct Lane {
  int gpu = 0;
  cudaStream_t stream = nullptr;
  CUcontext context = nullptr;  // the green context as a CUcontext; null: the GPU's primary
  std::uint32_t sms = 0;        // SMs the device may use
  Isolation isolation = Isolation::WholeGpu;
};

// Makes `lane`'s GPU and context current on the calling thread, so that runtime calls
// (kernels, events, cuBLAS) land in the lane's partition.
void make_current(const Lane& lane);

// Makes a lane current for a scope and restores the thread's previous context after.
class ScopedLane {
 public:
  explicit ScopedLane(const Lane& lane);
  ~ScopedLane();
  ScopedLane(const ScopedLane&) = delete;
  ScopedLane& operator=(const ScopedLane&) = delete;

 private:
  int previous_device_ = 0;
  CUcontext previous_context_ = nullptr;
};

// The lanes of a DevicePlan, owning their streams and green contexts. One per pipeline
// device: a stream per GPU for OnePerGpu; for Emulated, an equal SM partition per device
// through green contexts (plan_sm_partitions on the GPU's SM limits), or, when green
// contexts are not wanted or cannot be made (old driver, too many devices for the GPU's
// SMs), plain streams sharing all SMs, with the reason kept for the report.
class LaneSet {
 public:
  // Throws pipewise::Error on CUDA errors, and when `requested_sms` (> 0: SMs per emulated
  // device) cannot be honoured.
  LaneSet(const DevicePlan& plan, bool use_green_contexts, std::uint32_t requested_sms);
  ~LaneSet();
  LaneSet(const LaneSet&) = delete;
  LaneSet& operator=(const LaneSet&) = delete;

  const std::vector<Lane>& lanes() const { return lanes_; }
  // Why emulated devices share SMs without partitions; empty when they do not.
  const std::string& fallback_reason() const { return fallback_reason_; }
  // SMs of the GPU that no partition uses (emulated with green contexts), else 0.
  std::uint32_t unused_sms() const { return unused_sms_; }

 private:
  void make_green_lanes(int gpu, std::uint32_t devices, std::uint32_t requested_sms);
  void make_plain_lanes(const DevicePlan& plan, Isolation isolation);
  void destroy() noexcept;

  std::vector<Lane> lanes_;
  std::vector<CUgreenCtx> green_contexts_;
  std::string fallback_reason_;
  std::uint32_t unused_sms_ = 0;
};

}  // namespace pipewise::exec::cuda
