#include "exec/cuda/cuda_profile.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/device_arena.hpp"
#include "exec/cuda/device_kernels.hpp"
#include "exec/cuda/device_lanes.hpp"
#include "exec/cuda/device_pool.hpp"
#include "exec/cuda/gemm.hpp"
#include "exec/cuda/gpu_stage_math.hpp"
#include "exec/cuda/nccl_comm.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"
#include "exec/core/profile_driver.hpp"
#include "exec/core/profile_statistics.hpp"

namespace pipewise::exec::cuda {
namespace {

constexpr std::size_t kArenaBytes = std::size_t{64} << 20;

// Two timing events in the current context, destroyed with their owner.
class EventPair {
 public:
  EventPair() {
    check_cuda(cudaEventCreate(&start_), "creating a timing event");
    check_cuda(cudaEventCreate(&end_), "creating a timing event");
  }
  ~EventPair() {
    cudaEventDestroy(start_);
    cudaEventDestroy(end_);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
  cudaEvent_t start() const { return start_; }
  cudaEvent_t end() const { return end_; }
  // Milliseconds between the two events, once `end` completed.
  double elapsed_ms() const {
    check_cuda(cudaEventSynchronize(end_), "waiting for a timing event");
    float ms = 0.0f;
    check_cuda(cudaEventElapsedTime(&ms, start_, end_), "reading a timing event");
    return ms;
  }

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t end_ = nullptr;
};

// CUDA events around the work `body` enqueues on `stream`, waited for: the host only
// enqueues, so its clock would time the launches, not the ops.
TimeCall time_on_stream(const EventPair& events, cudaStream_t stream) {
  return [&events, stream](const ProfiledCall& prepare, const ProfiledCall& body) {
    prepare();
    check_cuda(cudaEventRecord(events.start(), stream), "recording a timing event");
    body();
    check_cuda(cudaEventRecord(events.end(), stream), "recording a timing event");
    return events.elapsed_ms();
  };
}

struct StageBuffers {
  std::vector<DeviceBuffer> outputs;
  std::vector<DeviceBuffer> grads;
  std::vector<float*> output_pointers;
  std::vector<float*> grad_pointers;
};

StageBuffers layer_buffers(const StageLayout& layout, std::uint32_t rows, DevicePool& pool) {
  StageBuffers buffers;
  for (std::uint32_t l = 0; l < layout.layers(); ++l) {
    buffers.outputs.push_back(pool.take_untracked(std::size_t{rows} * layout.widths[l + 1]));
    buffers.grads.push_back(pool.take_untracked(std::size_t{rows} * layout.widths[l + 1]));
    buffers.output_pointers.push_back(buffers.outputs.back().data);
    buffers.grad_pointers.push_back(buffers.grads.back().data);
  }
  return buffers;
}

DeviceBuffer upload(DevicePool& pool, const float* values, std::size_t count, cudaStream_t stream) {
  DeviceBuffer buffer = pool.take_untracked(count);
  check_cuda(cudaMemcpyAsync(buffer.data, values, count * sizeof(float), cudaMemcpyHostToDevice, stream),
             "uploading profiling data");
  check_cuda(cudaStreamSynchronize(stream), "uploading profiling data");
  return buffer;
}

std::vector<StageProfile> profile_stages(const MlpModel& model, const SyntheticTask& task,
                                         const OptimizerConfig& optimizer,
                                         const CudaBackendOptions& options, const Lane& lane,
                                         const ProfileOptions& profile) {
  const cudaStream_t stream = lane.stream;
  const std::uint32_t rows = task.rows();
  DeviceArena arena(lane.gpu, kArenaBytes);
  DevicePool pool(arena);
  Gemm gemm(stream, lane.isolation == Isolation::GreenContext ? lane.sms : 0, options.math);
  GpuStageContext context{gemm, pool, stream};
  DeviceBuffer input = upload(pool, task.inputs(0), std::size_t{rows} * task.input_width(), stream);
  DeviceBuffer labels =
      upload(pool, reinterpret_cast<const float*>(task.labels(0)), rows, stream);
  const auto* label_data = reinterpret_cast<const std::int32_t*>(labels.data);
  DeviceBuffer loss = pool.take_untracked(1);
  const EventPair events;
  const TimeCall time = time_on_stream(events, stream);
  std::vector<StageProfile> stages;
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    const StageLayout& layout = model.stage(s);
    const std::vector<float> initial = model.initial_parameters(s);
    DeviceBuffer parameters = upload(pool, initial.data(), initial.size(), stream);
    DeviceBuffer gradient = pool.take_untracked(initial.size());
    DeviceBuffer first_moment = pool.take_untracked(initial.size());
    DeviceBuffer second_moment = pool.take_untracked(initial.size());
    DeviceBuffer next_version = pool.take_untracked(initial.size());
    for (DeviceBuffer* zeroed : {&gradient, &first_moment, &second_moment}) {
      check_cuda(cudaMemsetAsync(zeroed->data, 0, zeroed->bytes(), stream), "clearing profiling buffers");
    }
    StageBuffers buffers = layer_buffers(layout, rows, pool);
    DeviceBuffer input_grad = pool.take_untracked(std::size_t{rows} * layout.input_width());
    DeviceBuffer seed = pool.take_untracked(buffers.outputs.back().floats);
    std::vector<const float*> outputs(buffers.output_pointers.begin(), buffers.output_pointers.end());
    std::vector<const float*> grads(buffers.grad_pointers.begin(), buffers.grad_pointers.end());
    float* input_grad_data = s > 0 ? input_grad.data : nullptr;
    const std::size_t count = initial.size();

    StageOps ops;
    ops.forward = [&] {
      gpu_stage_forward(layout, parameters.data, input.data, rows, buffers.output_pointers,
                        label_data, loss.data, context);
    };
    ops.keep_output_gradient = [&] {
      check_cuda(cudaMemcpyAsync(seed.data, buffers.outputs.back().data, seed.bytes(),
                                 cudaMemcpyDeviceToDevice, stream),
                 "saving the output gradient");
    };
    ops.restore_output_gradient = [&] {
      check_cuda(cudaMemcpyAsync(buffers.grads.back().data, seed.data, seed.bytes(),
                                 cudaMemcpyDeviceToDevice, stream),
                 "seeding the output gradient");
    };
    ops.backward_input = [&] {
      gpu_stage_backward_input(layout, parameters.data, rows, outputs, buffers.grad_pointers,
                               label_data, input_grad_data, context);
    };
    ops.backward_weight = [&] {
      gpu_stage_backward_weight(layout, rows, input.data, outputs, grads, gradient.data, context);
    };
    const auto step_on = [&](float* weights) {
      if (optimizer.kind == OptimizerKind::Sgd) {
        const SgdUpdate update{optimizer.learning_rate, optimizer.momentum, false, 1.0f};
        check_cuda(launch_sgd_step(weights, gradient.data,
                                   optimizer.momentum != 0.0f ? first_moment.data : nullptr, count,
                                   update, stream),
                   "SGD step kernel");
      } else {
        const AdamUpdate update{optimizer.learning_rate, optimizer.beta1, optimizer.beta2,
                                optimizer.epsilon, 0.5f, 0.5f, 1.0f};
        check_cuda(launch_adam_step(weights, gradient.data, first_moment.data,
                                    second_moment.data, count, update, stream),
                   "Adam step kernel");
      }
    };
    ops.optimizer_step = [&] { step_on(parameters.data); };
    // As CudaBackend::optimizer_step keeps the version it replaces: a copy, then the step on it.
    ops.stashing_step = [&] {
      check_cuda(cudaMemcpyAsync(next_version.data, parameters.data, parameters.bytes(),
                                 cudaMemcpyDeviceToDevice, stream),
                 "copying the weights to step");
      step_on(next_version.data);
    };
    StageProfile result = time_stage_ops(ops, time, profile);
    result.parameter_bytes = initial.size() * sizeof(float);
    result.output_bytes = std::size_t{rows} * layout.output_width() * sizeof(float);
    stages.push_back(result);
    // The next stage is fed this stage's real output.
    DeviceBuffer next_input = pool.take_untracked(buffers.outputs.back().floats);
    ops.forward();
    check_cuda(cudaMemcpyAsync(next_input.data, buffers.outputs.back().data, next_input.bytes(),
                               cudaMemcpyDeviceToDevice, stream),
               "passing the output on");
    check_cuda(cudaStreamSynchronize(stream), "profiling stage " + std::to_string(s));
    pool.give_untracked(input);
    input = next_input;
  }
  gemm.release_scratch(pool);
  return stages;
}

// Median time of one `bytes` message from lane `from` to lane `to` by `route`, timed by the
// receiver's events around its side of the transfer. (The CPU profiler times a message on
// the host clock, from sender to woken receiver: there the host does the work.)
double profile_message(std::size_t bytes, const Lane& from, const Lane& to, Route route,
                       std::vector<NcclComm>& comms, const ProfileOptions& profile) {
  const std::size_t floats = (bytes + sizeof(float) - 1) / sizeof(float);
  const std::size_t arena_bytes = floats * sizeof(float) + (std::size_t{1} << 20);
  // Each side's memory and events are made and freed with its own lane current.
  std::optional<ScopedLane> scope(std::in_place, from);
  auto source_arena = std::make_unique<DeviceArena>(from.gpu, arena_bytes);
  DevicePool source_pool(*source_arena);
  DeviceBuffer source = source_pool.take_untracked(floats);
  check_cuda(cudaMemsetAsync(source.data, 0, source.bytes(), from.stream), "filling a message");
  cudaEvent_t ready = nullptr;
  check_cuda(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming), "creating an event");
  scope.reset();
  scope.emplace(to);
  auto target_arena = std::make_unique<DeviceArena>(to.gpu, arena_bytes);
  DevicePool target_pool(*target_arena);
  DeviceBuffer target = target_pool.take_untracked(floats);
  std::vector<double> samples;
  {
    EventPair events;
    for (std::uint32_t run = 0; run < profile.warmup + profile.repeats; ++run) {
      check_cuda(cudaEventRecord(ready, from.stream), "recording a ready event");
      check_cuda(cudaEventRecord(events.start(), to.stream), "recording a timing event");
      if (route == Route::Nccl) {
        check_nccl(ncclGroupStart(), "NCCL group start");
        check_nccl(ncclSend(source.data, floats, ncclFloat, 1, comms[0].get(), from.stream), "NCCL send");
        check_nccl(ncclRecv(target.data, floats, ncclFloat, 0, comms[1].get(), to.stream), "NCCL receive");
        check_nccl(ncclGroupEnd(), "NCCL group end");
      } else {
        check_cuda(cudaStreamWaitEvent(to.stream, ready, 0), "waiting for a ready event");
        if (route == Route::NcclLoopback) {
          check_nccl(ncclGroupStart(), "NCCL group start");
          check_nccl(ncclSend(source.data, floats, ncclFloat, 0, comms[0].get(), to.stream), "NCCL send");
          check_nccl(ncclRecv(target.data, floats, ncclFloat, 0, comms[0].get(), to.stream), "NCCL receive");
          check_nccl(ncclGroupEnd(), "NCCL group end");
        } else if (from.gpu == to.gpu) {
          check_cuda(cudaMemcpyAsync(target.data, source.data, target.bytes(), cudaMemcpyDeviceToDevice,
                                     to.stream),
                     "copying a message");
        } else {
          check_cuda(cudaMemcpyPeerAsync(target.data, to.gpu, source.data, from.gpu, target.bytes(),
                                         to.stream),
                     "copying a message between GPUs");
        }
      }
      check_cuda(cudaEventRecord(events.end(), to.stream), "recording a timing event");
      const double ms = events.elapsed_ms();
      check_cuda(cudaStreamSynchronize(from.stream), "finishing a message");
      if (run >= profile.warmup) samples.push_back(ms);
    }
  }
  target_arena.reset();
  scope.reset();
  scope.emplace(from);
  cudaEventDestroy(ready);
  source_arena.reset();
  return median(std::move(samples));
}

// The steady clock in ms.
double host_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The median over `profile`'s repeats (after its warm-up) of one `round` on the host clock,
// from its enqueueing to its stream's completion: `round` enqueues work on a zeroed
// `bytes`-byte buffer of `lane`'s GPU (its pointer and float count) on the lane's stream.
double median_round_ms(std::size_t bytes, const Lane& lane, const ProfileOptions& profile,
                       const std::function<void(float*, std::size_t)>& round) {
  const std::size_t floats = (bytes + sizeof(float) - 1) / sizeof(float);
  DeviceArena arena(lane.gpu, floats * sizeof(float) + (std::size_t{1} << 20));
  DevicePool pool(arena);
  DeviceBuffer buffer = pool.take_untracked(floats);
  check_cuda(cudaMemsetAsync(buffer.data, 0, buffer.bytes(), lane.stream), "filling a profiling buffer");
  check_cuda(cudaStreamSynchronize(lane.stream), "filling a profiling buffer");
  std::vector<double> samples;
  for (std::uint32_t run = 0; run < profile.warmup + profile.repeats; ++run) {
    const double start = host_ms();
    round(buffer.data, floats);
    check_cuda(cudaStreamSynchronize(lane.stream), "timing a collective");
    if (run >= profile.warmup) samples.push_back(host_ms() - start);
  }
  pool.give_untracked(buffer);
  return median(std::move(samples));
}

// One rank's side of the median one-way time of a `bytes` message between pipeline devices
// 0 and 1 of a multi-process run: half of a ping-pong's round trip on the host clock (the
// ranks' clocks are not shared, so one side's events cannot time the other's send).
double rank_ping_pong_ms(std::size_t bytes, bool first, const Lane& lane, const NcclComm& comm,
                         const ProfileOptions& profile) {
  const int peer = first ? 1 : 0;
  const auto round = [&](float* message, std::size_t floats) {
    const auto send = [&] {
      check_nccl(ncclSend(message, floats, ncclFloat, peer, comm.get(), lane.stream), "NCCL send");
    };
    const auto receive = [&] {
      check_nccl(ncclRecv(message, floats, ncclFloat, peer, comm.get(), lane.stream), "NCCL receive");
    };
    // Stream-ordered: the echo is sent once the message has arrived.
    if (first) {
      send();
      receive();
    } else {
      receive();
      send();
    }
  };
  return median_round_ms(bytes, lane, profile, round) / 2;
}

// The median time of an in-place ncclAllReduce of `bytes` bytes across `comm`.
double rank_all_reduce_ms(std::size_t bytes, const Lane& lane, const NcclComm& comm,
                          const ProfileOptions& profile) {
  return median_round_ms(bytes, lane, profile, [&](float* values, std::size_t floats) {
    check_nccl(ncclAllReduce(values, values, floats, ncclFloat, ncclSum, comm.get(), lane.stream),
               "NCCL all-reduce");
  });
}

// profile_cuda_execution for one rank of a multi-process run (options.rank set).
ExecutionProfile profile_cuda_ranks(const MlpModel& model, const SyntheticTask& task,
                                    const OptimizerConfig& optimizer, const CudaBackendOptions& options,
                                    std::uint32_t pipeline_devices, const ProfileOptions& profile,
                                    int visible_gpus) {
  const RankPlacement& rank = *options.rank;
  check_rank_placement(rank, pipeline_devices);
  const std::vector<std::size_t> sizes = checked_message_sizes(profile);
  const int gpu = rank_gpu(options.devices, rank.local_rank, visible_gpus);
  const LaneSet lanes(DevicePlan{DeviceMode::OnePerGpu, {gpu}}, false, 0);
  const Lane& lane = lanes.lanes().front();
  const bool leader = rank.device == 0 && rank.replica == 0;
  ExecutionProfile result;
  const ScopedLane scope(lane);
  if (leader) result.stages = profile_stages(model, task, optimizer, options, lane, profile);
  // Every other rank waits for the leader's turn: its pipeline group's broadcast, then its
  // device's replicas' (rooted at replica 0, which waited for the leader in the first).
  unsigned char token = 0;
  rank.broadcast(RankGroup::Pipeline, &token, sizeof(token));
  rank.broadcast(RankGroup::DataParallel, &token, sizeof(token));
  if (rank.devices > 1) {
    const NcclComm comm = make_nccl_rank_comm(gpu, rank.device, rank.devices, RankGroup::Pipeline, rank.broadcast);
    if (rank.replica == 0 && rank.device < 2) {
      TransferProfile transfer = profile_transfers(sizes, [&](std::size_t bytes, std::uint32_t) {
        return rank_ping_pong_ms(bytes, rank.device == 0, lane, comm, profile);
      });
      if (leader) result.transfer = std::move(transfer);
    }
  }
  if (rank.replicas > 1) {
    const NcclComm comm =
        make_nccl_rank_comm(gpu, rank.replica, rank.replicas, RankGroup::DataParallel, rank.broadcast);
    if (rank.device == 0) {
      std::set<std::size_t> gradient_sizes = {64 * 1024};
      for (std::uint32_t s = 0; s < model.stages(); ++s) {
        gradient_sizes.insert(model.stage(s).parameter_count * sizeof(float));
      }
      const std::vector<std::size_t> ordered(gradient_sizes.begin(), gradient_sizes.end());
      const TransferProfile fit = profile_transfers(ordered, [&](std::size_t bytes, std::uint32_t) {
        return rank_all_reduce_ms(bytes, lane, comm, profile);
      });
      if (leader) result.data_parallel = {rank.replicas, fit.samples, fit.latency_ms, fit.ms_per_byte};
    }
  }
  return result;
}

}  // namespace

ExecutionProfile profile_cuda_execution(const MlpModel& model, const SyntheticTask& task,
                                        const OptimizerConfig& optimizer,
                                        const CudaBackendOptions& options,
                                        std::uint32_t pipeline_devices,
                                        const ProfileOptions& profile) {
  const std::vector<std::size_t> sizes = checked_message_sizes(profile);
  optimizer.check();
  check_task_fits_model(task, model.config());
  const DeviceCount count = cuda_device_count();
  if (count.count == 0) throw Error("no CUDA device: " + std::string(count.reason));
  if (options.rank) {
    return profile_cuda_ranks(model, task, optimizer, options, pipeline_devices, profile, count.count);
  }
  const DevicePlan plan = select_devices(options.devices, pipeline_devices, count.count);
  const LaneSet lanes(plan, options.green_contexts, options.sms_per_device);
  const Lane& first = lanes.lanes().front();

  ExecutionProfile result;
  {
    const ScopedLane scope(first);
    result.stages = profile_stages(model, task, optimizer, options, first, profile);
  }
  if (lanes.lanes().size() < 2) return result;
  const Lane& second = lanes.lanes()[1];
  const bool same_gpu = first.gpu == second.gpu;
  Route route = same_gpu ? Route::Copy : Route::Nccl;
  if (options.transport == TransportChoice::Copy) route = Route::Copy;
  if (options.transport == TransportChoice::Nccl && same_gpu) route = Route::NcclLoopback;
  std::vector<NcclComm> comms;
  if (route == Route::Nccl) comms = make_nccl_clique({first.gpu, second.gpu});
  if (route == Route::NcclLoopback) comms.push_back(make_nccl_loopback(second.gpu));
  result.transfer = profile_transfers(sizes, [&](std::size_t bytes, std::uint32_t) {
    return profile_message(bytes, first, second, route, comms, profile);
  });
  return result;
}

}  // namespace pipewise::exec::cuda
