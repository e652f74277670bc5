// The CUDA backend's messages: event-ordered copies (and the NCCL loopback) through the
// receivers' mailboxes, NCCL sends and receives in the planned groups, checksums and
// injected faults.
#include <memory>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/cuda/cuda_backend.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/cuda_device_state.hpp"
#include "exec/cuda/device_kernels.hpp"

namespace pipewise::exec::cuda {
namespace {

std::uint32_t* words(DeviceBuffer& buffer) { return reinterpret_cast<std::uint32_t*>(buffer.data); }

std::uint32_t read_word(const DeviceBuffer& buffer) {
  std::uint32_t value = 0;
  check_cuda(cudaMemcpy(&value, buffer.data, sizeof(value), cudaMemcpyDeviceToHost), "reading a checksum");
  return value;
}

// One checksum word of untracked scratch, given back however its scope ends.
class ScratchWord {
 public:
  explicit ScratchWord(DevicePool& pool) : pool_(pool), buffer_(pool.take_untracked(1)) {}
  ~ScratchWord() { pool_.give_untracked(buffer_); }
  ScratchWord(const ScratchWord&) = delete;
  ScratchWord& operator=(const ScratchWord&) = delete;
  std::uint32_t* data() { return reinterpret_cast<std::uint32_t*>(buffer_.data); }
  std::uint32_t read() const { return read_word(buffer_); }

 private:
  DevicePool& pool_;
  DeviceBuffer buffer_;
};

std::string corrupted(std::uint32_t sender) {
  return "the message from device " + std::to_string(sender) +
         " failed its checksum (corrupted in transit)";
}

}  // namespace

const CommStep& CudaBackend::next_comm_step(DeviceState& device, std::size_t position,
                                            std::uint32_t peer_device) {
  const std::vector<CommStep>& steps = *device.comm_steps;
  if (device.next_comm >= steps.size() || steps[device.next_comm].position != position) {
    throw Error("op #" + std::to_string(position) + " is not a send or receive the transfer plan knows");
  }
  const CommStep& step = steps[device.next_comm++];
  if (step.peer_device != peer_device) {
    throw Error("the transfer plan sends this message to device " + std::to_string(step.peer_device) +
                ", not " + std::to_string(peer_device));
  }
  return step;
}

void CudaBackend::send(std::uint32_t device, const Op& op, std::uint32_t peer_device) {
  DeviceState& state = local(device);
  const std::size_t position = begin_call(state, op, false);
  const CommStep& step = next_comm_step(state, position, peer_device);
  StageState& stage = *stages_[op.stage];
  DevicePool& pool = *state.pool;
  const cudaStream_t stream = state.lane.stream;
  const std::uint64_t g = microbatch_index(op);
  DeviceBuffer message = stage.slots.message_to_send(
      g, op.kind == OpKind::SendGrad, pool, [stream](DeviceBuffer& target, const DeviceBuffer& source) {
        check_cuda(cudaMemcpyAsync(target.data, source.data, source.bytes(),
                                   cudaMemcpyDeviceToDevice, stream),
                   "copying an activation into its message");
      });
  const MessageFault fault =
      run_options_.faults != nullptr ? run_options_.faults->on_message(device, op) : MessageFault::None;
  if (fault == MessageFault::Fail) {
    pool.give_untracked(message);
    throw Error("transport failure sending to device " + std::to_string(peer_device) + " (injected)");
  }
  DeviceBuffer checksum;
  if (run_options_.verify_checksums) {
    checksum = pool.take_untracked(1);
    check_cuda(launch_checksum(message.data, message.bytes(), words(checksum), stream),
               "checksum kernel");
  }
  if (fault == MessageFault::Corrupt) {
    check_cuda(launch_flip_bit(message.data, message.floats / 2, 30, stream), "corrupting a message");
  }
  if (step.route == Route::Nccl) {
    const int peer = static_cast<int>(peer_device);
    ncclComm_t comm = pipeline_comm(device).get();
    if (step.opens_group) check_nccl(ncclGroupStart(), "NCCL group start");
    if (fault != MessageFault::Drop) {
      check_nccl(ncclSend(message.data, message.floats, ncclFloat, peer, comm, stream), "NCCL send");
      if (!checksum.empty()) {
        check_nccl(ncclSend(checksum.data, 1, ncclUint32, peer, comm, stream), "NCCL send of a checksum");
      }
    }
    if (step.closes_group) {
      check_nccl(ncclGroupEnd(), "NCCL group end");
      verify_pending_checksums(state);
    }
    // Stream-ordered: later work of this stream reuses the memory only after the send.
    pool.give_untracked(message);
    pool.give_untracked(checksum);
  } else if (fault == MessageFault::Drop) {
    pool.give_untracked(message);
    pool.give_untracked(checksum);
  } else {
    const cudaEvent_t ready = state.order_events->next();
    check_cuda(cudaEventRecord(ready, stream), "recording a message's ready event");
    devices_[peer_device]->inbox.post(device, message_key(op),
                                      PostedMessage{message, checksum, ready, device, state.lane.gpu});
  }
  end_call(state, position);
}

void CudaBackend::recv(std::uint32_t device, const Op& op, std::uint32_t peer_device) {
  DeviceState& state = local(device);
  const std::size_t position = begin_call(state, op, false);
  const CommStep& step = next_comm_step(state, position, peer_device);
  StageState& stage = *stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  DevicePool& pool = *state.pool;
  const cudaStream_t stream = state.lane.stream;
  const bool gradient = op.kind == OpKind::RecvGrad;
  const std::size_t expected =
      std::size_t{task_.rows()} * (gradient ? layout.output_width() : layout.input_width());
  DeviceBuffer& target = stage.slots.message_target(microbatch_index(op), layout.layers(), gradient);
  const MemoryCategory category =
      gradient ? MemoryCategory::ActivationGradients : MemoryCategory::Activations;

  if (step.route == Route::Nccl) {
    const int peer = static_cast<int>(peer_device);
    ncclComm_t comm = pipeline_comm(device).get();
    target = pool.take(expected, category);
    if (step.opens_group) check_nccl(ncclGroupStart(), "NCCL group start");
    check_nccl(ncclRecv(target.data, expected, ncclFloat, peer, comm, stream), "NCCL receive");
    if (run_options_.verify_checksums) {
      PendingChecksum pending{target.data, expected, pool.take_untracked(1), peer_device};
      check_nccl(ncclRecv(pending.expected.data, 1, ncclUint32, peer, comm, stream),
                 "NCCL receive of a checksum");
      state.pending_checksums.push_back(pending);
    }
    if (step.closes_group) {
      check_nccl(ncclGroupEnd(), "NCCL group end");
      verify_pending_checksums(state);
    }
    end_call(state, position);
    return;
  }

  PostedMessage message =
      state.inbox.take(peer_device, message_key(op), run_options_.receive_timeout, cancelled_);
  DeviceState& sender = *devices_[peer_device];
  const auto hand_back = [&](cudaEvent_t consumed) {
    std::lock_guard lock(sender.consumed_mutex);
    sender.consumed.push_back({message.payload, message.checksum, consumed});
  };
  if (message.payload.floats != expected) {
    const cudaEvent_t consumed = state.order_events->next();
    check_cuda(cudaEventRecord(consumed, stream), "recording a message's consumed event");
    hand_back(consumed);
    throw Error("received " + std::to_string(message.payload.floats) +
                " floats but the stage expects " + std::to_string(expected));
  }
  target = pool.take(expected, category);
  check_cuda(cudaStreamWaitEvent(stream, message.ready, 0), "waiting for a message's ready event");
  if (step.route == Route::NcclLoopback) {
    ncclComm_t loopback = state.loopback->get();
    check_nccl(ncclGroupStart(), "NCCL loopback group start");
    check_nccl(ncclSend(message.payload.data, expected, ncclFloat, 0, loopback, stream), "NCCL loopback send");
    check_nccl(ncclRecv(target.data, expected, ncclFloat, 0, loopback, stream), "NCCL loopback receive");
    check_nccl(ncclGroupEnd(), "NCCL loopback group end");
  } else if (message.sender_gpu == state.lane.gpu) {
    check_cuda(cudaMemcpyAsync(target.data, message.payload.data, target.bytes(),
                               cudaMemcpyDeviceToDevice, stream),
               "copying a message between devices");
  } else {
    check_cuda(cudaMemcpyPeerAsync(target.data, state.lane.gpu, message.payload.data,
                                   message.sender_gpu, target.bytes(), stream),
               "copying a message between GPUs");
  }
  bool intact = true;
  if (!message.checksum.empty()) {
    ScratchWord mine(pool);
    check_cuda(launch_checksum(target.data, target.bytes(), mine.data(), stream), "checksum kernel");
    wait_for_gpu(state, std::chrono::duration_cast<std::chrono::nanoseconds>(
                            run_options_.receive_timeout).count(), true);
    intact = mine.read() == read_word(message.checksum);
  }
  const cudaEvent_t consumed = state.order_events->next();
  check_cuda(cudaEventRecord(consumed, stream), "recording a message's consumed event");
  hand_back(consumed);
  if (!intact) throw Error(corrupted(peer_device));
  end_call(state, position);
}

void CudaBackend::free_consumed_messages(DeviceState& device, bool all) {
  {
    std::lock_guard lock(device.consumed_mutex);
    for (ConsumedMessage& message : device.consumed) device.freeing.push_back(message);
    device.consumed.clear();
  }
  auto kept = device.freeing.begin();
  for (ConsumedMessage& message : device.freeing) {
    if (!all) {
      const cudaError_t status = cudaEventQuery(message.consumed);
      if (status == cudaErrorNotReady) {
        *kept++ = message;
        continue;
      }
      check_cuda(status, "a receiver's copy of a message failed");
    }
    device.pool->give_untracked(message.payload);
    device.pool->give_untracked(message.checksum);
  }
  device.freeing.erase(kept, device.freeing.end());
}

void CudaBackend::verify_pending_checksums(DeviceState& device) {
  if (device.pending_checksums.empty()) return;
  DevicePool& pool = *device.pool;
  std::vector<std::unique_ptr<ScratchWord>> computed;
  for (PendingChecksum& pending : device.pending_checksums) {
    computed.push_back(std::make_unique<ScratchWord>(pool));
    check_cuda(launch_checksum(pending.payload, pending.floats * sizeof(float), computed.back()->data(),
                               device.lane.stream),
               "checksum kernel");
  }
  wait_for_gpu(device, std::chrono::duration_cast<std::chrono::nanoseconds>(
                           run_options_.receive_timeout).count(), true);
  std::uint32_t broken_sender = 0;
  bool intact = true;
  for (std::size_t i = 0; i < computed.size(); ++i) {
    PendingChecksum& pending = device.pending_checksums[i];
    if (intact && computed[i]->read() != read_word(pending.expected)) {
      intact = false;
      broken_sender = pending.sender;
    }
    pool.give_untracked(pending.expected);
  }
  device.pending_checksums.clear();
  if (!intact) throw Error(corrupted(broken_sender));
}

}  // namespace pipewise::exec::cuda
