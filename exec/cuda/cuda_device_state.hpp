#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "exec/core/microbatch_stash.hpp"
#include "exec/core/weight_versions.hpp"
#include "exec/cuda/device_arena.hpp"
#include "exec/cuda/device_lanes.hpp"
#include "exec/cuda/device_pool.hpp"
#include "exec/cuda/event_pool.hpp"
#include "exec/cuda/planning/event_timeline.hpp"
#include "exec/cuda/gemm.hpp"
#include "exec/cuda/planning/mailbox.hpp"
#include "exec/cuda/nccl_comm.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"

// The CUDA backend's private state (cuda_backend.hpp): what one pipeline device and one
// stage hold. Only the backend's translation units include this header.

namespace pipewise::exec::cuda {

// A message handed to a receiving device's mailbox (Route::Copy and NcclLoopback): the
// sender's buffer, valid on the GPU once `ready` completed.
struct PostedMessage {
  DeviceBuffer payload;    // in the sender's arena, out of its account
  DeviceBuffer checksum;   // the sender's checksum of it (verify_checksums), else empty
  cudaEvent_t ready = nullptr;
  std::uint32_t sender = 0;
  int sender_gpu = 0;
};

// A message the receiver has copied (or has queued the copy of): the sender frees its
// buffers once `consumed` completed.
struct ConsumedMessage {
  DeviceBuffer payload;
  DeviceBuffer checksum;
  cudaEvent_t consumed = nullptr;
};

// A received message whose checksum is compared once its NCCL group has ended.
struct PendingChecksum {
  const float* payload = nullptr;
  std::size_t floats = 0;
  DeviceBuffer expected;  // the sender's checksum, received alongside
  std::uint32_t sender = 0;
};

// A timed backend call: events recorded before and after its work.
struct CallEvents {
  std::size_t position = 0;
  cudaEvent_t start = nullptr;
  cudaEvent_t end = nullptr;
};

// Everything one pipeline device holds.
struct DeviceState {
  std::uint32_t index = 0;
  Lane lane;
  std::unique_ptr<DeviceArena> arena;
  std::unique_ptr<DevicePool> pool;   // new per run: a fresh MemoryAccount
  std::unique_ptr<Gemm> gemm;         // made on the worker thread, in the lane's context
  std::unique_ptr<EventPool> timing_events;
  std::unique_ptr<EventPool> order_events;
  std::optional<NcclComm> loopback;   // one-rank communicator (Route::NcclLoopback)

  // Data set copies, kept across runs (untracked): inputs where stage 0 runs, labels where
  // the loss is computed; and the losses of the run.
  DeviceBuffer inputs;
  DeviceBuffer labels;  // int32 stored in float-sized slots
  DeviceBuffer losses;

  // The run: the device's program, its sends and receives, and where the core is in them.
  const std::vector<Op>* program = nullptr;
  const std::vector<CommStep>* comm_steps = nullptr;
  std::size_t next_position = 0;   // program index of the next op the core will call
  bool backward_half_open = false; // a B's backward_input ran, its backward_weight not yet
  std::size_t next_comm = 0;       // index into comm_steps
  std::vector<PendingChecksum> pending_checksums;

  // Timing: the reference event and its host time, then every call's events.
  cudaEvent_t reference = nullptr;
  std::int64_t reference_host_ns = 0;
  std::vector<CallEvents> calls;
  std::size_t calls_seen_complete = 0;  // watchdog progress: calls known to have finished
  DeviceEventLog timing_log;            // the spans of the last run, read by finish()

  Mailbox<PostedMessage> inbox;
  std::mutex consumed_mutex;
  std::vector<ConsumedMessage> consumed;  // posted back by receivers
  std::vector<ConsumedMessage> freeing;   // taken from `consumed`, waiting for the GPU
};

// One micro-batch in flight on one stage, by the rules the CPU backend follows too.
using GpuStash = MicrobatchStash<DeviceBuffer>;

// One stage: persistent parameters and optimizer state on its home device, or on the host
// between placements.
struct StageState {
  std::optional<std::uint32_t> home;  // device holding it; empty while on the host
  WeightVersions<DeviceBuffer> versions;  // held versions, none while on the host
  DeviceBuffer gradient;              // sum since the last step, or that step's average
  DeviceBuffer first_moment;          // SGD velocity or Adam m (when the optimizer has it)
  DeviceBuffer second_moment;         // Adam v
  std::uint32_t accumulated = 0;      // micro-batches summed since the last step
  std::uint64_t steps = 0;            // optimizer steps taken (Adam's bias correction)
  MicrobatchStashes<DeviceBuffer> slots;

  // While not on a device: the newest parameters, gradient and moments.
  std::vector<float> host_parameters;
  std::vector<float> host_gradient;
  std::vector<float> host_first_moment;
  std::vector<float> host_second_moment;
};

}  // namespace pipewise::exec::cuda
