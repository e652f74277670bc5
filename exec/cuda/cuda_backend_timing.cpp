// The CUDA backend's bookkeeping of calls: program order, timing events, the watchdog that
// waits for a device's GPU work, and the device timeline read after a run.
#include <chrono>
#include <string>
#include <thread>

#include "common/ir/error.hpp"
#include "exec/core/op_description.hpp"
#include "exec/cuda/cuda_backend.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/cuda_device_state.hpp"
#include "exec/cuda/planning/event_timeline.hpp"

namespace pipewise::exec::cuda {

std::size_t CudaBackend::begin_call(DeviceState& device, const Op& op, bool weight_half) {
  free_consumed_messages(device, false);
  const std::vector<Op>& program = *device.program;
  const std::uint32_t microbatches = schedule_.problem.microbatches;
  std::size_t position = 0;
  if (weight_half) {
    if (!device.backward_half_open) {
      throw Error("the backward-weight half of " + describe_op(op, microbatches) +
                  " came before its backward-input half");
    }
    position = device.next_position - 1;
    device.backward_half_open = false;
  } else {
    if (device.backward_half_open) {
      throw Error("the backward-weight half of op #" + std::to_string(device.next_position - 1) +
                  " never came");
    }
    position = device.next_position++;
    if (position >= program.size()) {
      throw Error("called for " + describe_op(op, microbatches) + " after the program's last op");
    }
    device.backward_half_open = op.kind == OpKind::Backward;
  }
  if (!(program[position] == op)) {
    throw Error("called for " + describe_op(op, microbatches) + " but op #" +
                std::to_string(position) + " of the program is " +
                describe_op(program[position], microbatches) + " (ops must come in program order)");
  }
  const cudaEvent_t start = device.timing_events->next();
  check_cuda(cudaEventRecord(start, device.lane.stream), "recording a timing event");
  device.calls.push_back({position, start, nullptr});
  return position;
}

void CudaBackend::end_call(DeviceState& device, std::size_t position) {
  const cudaEvent_t end = device.timing_events->next();
  check_cuda(cudaEventRecord(end, device.lane.stream), "recording a timing event");
  device.calls.back().end = end;
  const bool last = position + 1 == device.program->size() && !device.backward_half_open;
  if (last) wait_for_gpu(device, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     run_options_.receive_timeout).count(), true);
}

void CudaBackend::wait_for_gpu(DeviceState& device, std::int64_t stall_limit_ns, bool stop_on_cancel) {
  const std::string who = "device " + std::to_string(device.index);
  std::int64_t last_progress = now_ns(device.index);
  while (true) {
    const cudaError_t status = cudaStreamQuery(device.lane.stream);
    if (status == cudaSuccess) return;
    if (status != cudaErrorNotReady) check_cuda(status, who + "'s GPU work failed");
    while (device.calls_seen_complete < device.calls.size()) {
      const CallEvents& call = device.calls[device.calls_seen_complete];
      if (call.end != nullptr) {
        const cudaError_t done = cudaEventQuery(call.end);
        if (done == cudaErrorNotReady) break;
        check_cuda(done, who + "'s GPU work failed");
      }
      ++device.calls_seen_complete;
      last_progress = now_ns(device.index);
    }
    if (!clique_.empty()) clique_[device.index].check_async(who + "'s NCCL communicator");
    if (rank_pipeline_) rank_pipeline_->check_async(who + "'s pipeline NCCL communicator");
    if (rank_replicas_) rank_replicas_->check_async(who + "'s data-parallel NCCL communicator");
    if (device.loopback) device.loopback->check_async(who + "'s NCCL loopback communicator");
    if (stop_on_cancel && cancelled_.load(std::memory_order_acquire)) throw RunCancelled();
    if (now_ns(device.index) - last_progress > stall_limit_ns) {
      throw Error(who + ": no GPU op completed within " +
                  std::to_string(stall_limit_ns / 1'000'000) +
                  " ms (a lost NCCL message, a deadlock between streams, or a hung kernel)");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

void CudaBackend::collect_spans(DeviceState& device) {
  DeviceEventLog& log = device.timing_log;
  log.reference_host_ns = device.reference_host_ns;
  log.program_size = device.program->size();
  log.spans.clear();
  for (const CallEvents& call : device.calls) {
    if (call.end == nullptr) continue;  // the call failed before its work was queued
    EventSpan span{call.position, 0.0f, 0.0f};
    check_cuda(cudaEventElapsedTime(&span.start_ms, device.reference, call.start), "reading a timing event");
    check_cuda(cudaEventElapsedTime(&span.end_ms, device.reference, call.end), "reading a timing event");
    log.spans.push_back(span);
  }
}

std::vector<std::vector<OpInterval>> CudaBackend::device_timeline(std::int64_t origin_ns) const {
  std::vector<DeviceEventLog> logs;
  // A device another process runs has no events here: an empty log, no ops.
  for (const auto& device : devices_) logs.push_back(device ? device->timing_log : DeviceEventLog{});
  return event_timeline(logs, origin_ns);
}

void CudaBackend::replay_device_timeline(RunObserver& observer, std::int64_t origin_ns) const {
  const std::vector<std::vector<OpInterval>> timeline = device_timeline(origin_ns);
  observer.on_run_start(schedule_, origin_ns);
  bool every_op_ran = true;
  for (std::uint32_t d = 0; d < timeline.size(); ++d) {
    for (std::size_t i = 0; i < timeline[d].size(); ++i) {
      const OpInterval& interval = timeline[d][i];
      if (!interval.ran()) {
        every_op_ran = false;
        continue;
      }
      observer.on_op(d, i, schedule_.programs[d][i], origin_ns + interval.start_ns,
                     origin_ns + interval.end_ns);
    }
  }
  observer.on_run_end(every_op_ran);
}

}  // namespace pipewise::exec::cuda
