// The CUDA backend's compute ops: forward, backward-input, backward-weight, optimizer
// steps and weight releases, with the CPU backend's buffer and accounting rules.
#include <cmath>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/data_parallel_share.hpp"
#include "exec/cuda/cuda_backend.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/cuda_device_state.hpp"
#include "exec/cuda/device_kernels.hpp"
#include "exec/cuda/gpu_stage_math.hpp"

namespace pipewise::exec::cuda {
namespace {

std::vector<const float*> pointers(const std::vector<DeviceBuffer>& buffers) {
  std::vector<const float*> result;
  for (const DeviceBuffer& buffer : buffers) result.push_back(buffer.data);
  return result;
}

std::vector<float*> mutable_pointers(std::vector<DeviceBuffer>& buffers) {
  std::vector<float*> result;
  for (DeviceBuffer& buffer : buffers) result.push_back(buffer.data);
  return result;
}

GpuStageContext stage_context(DeviceState& device) {
  if (!device.gemm) throw Error("the device's worker was not started (start_worker)");
  return {*device.gemm, *device.pool, device.lane.stream};
}

void copy_on_stream(DeviceBuffer& target, const DeviceBuffer& source, cudaStream_t stream) {
  check_cuda(cudaMemcpyAsync(target.data, source.data, source.bytes(), cudaMemcpyDeviceToDevice, stream),
             "copying on the device");
}

}  // namespace

std::uint64_t CudaBackend::microbatch_index(const Op& op) const {
  return std::uint64_t{op.iteration} * schedule_.problem.microbatches + op.microbatch;
}

std::uint64_t CudaBackend::data_index(const Op& op) const {
  if (!options_.rank) return microbatch_index(op);
  const DataParallelShare share{options_.rank->replica, options_.rank->replicas};
  return share.data_microbatch(op, schedule_.problem.microbatches);
}

const float* CudaBackend::data_inputs(const DeviceState& device, std::uint64_t g) const {
  const std::size_t entry = g % task_.config().distinct_microbatches;
  return device.inputs.data + entry * task_.rows() * task_.input_width();
}

const std::int32_t* CudaBackend::data_labels(const DeviceState& device, std::uint64_t g) const {
  const std::size_t entry = g % task_.config().distinct_microbatches;
  return reinterpret_cast<const std::int32_t*>(device.labels.data) + entry * task_.rows();
}

void CudaBackend::forward(std::uint32_t device, const Op& op) {
  DeviceState& state = *devices_[device];
  const std::size_t position = begin_call(state, op, false);
  StageState& stage = *stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  DevicePool& pool = *state.pool;
  const std::uint64_t g = microbatch_index(op);
  const std::uint32_t rows = task_.rows();
  const float* parameters = stage.versions.at(op.weight_version).data;
  GpuStash& slot = stage.slots.find_or_open(g, layout.layers());
  slot.take_outputs(layout.widths, rows, op.stage > 0, pool);
  GpuStageContext context = stage_context(state);
  const float* input = op.stage == 0 ? data_inputs(state, data_index(op)) : slot.input.data;
  gpu_stage_forward(layout, parameters, input, rows, mutable_pointers(slot.outputs),
                    layout.computes_loss ? data_labels(state, data_index(op)) : nullptr,
                    layout.computes_loss ? state.losses.data + g : nullptr, context);
  slot.stash_forward(pool);

  const std::uint32_t next = op.stage + 1u;
  if (next < model_.stages() && schedule_.problem.device_of_stage(next) == device) {
    const DeviceBuffer& output = slot.outputs.back();
    DeviceBuffer& target = stages_[next]
                               ->slots.find_or_open(g, model_.stage(next).layers())
                               .take_handed_input(output.floats, pool);
    copy_on_stream(target, output, state.lane.stream);
  }
  end_call(state, position);
}

void CudaBackend::backward_input(std::uint32_t device, const Op& op) {
  DeviceState& state = *devices_[device];
  const std::size_t position = begin_call(state, op, false);
  StageState& stage = *stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  DevicePool& pool = *state.pool;
  const std::uint64_t g = microbatch_index(op);
  const std::uint32_t rows = task_.rows();
  GpuStash& slot = stage.slots.forwarded(g, "backward-input");
  slot.take_gradients(layout.widths, rows, layout.computes_loss, op.stage == 0, pool);
  const float* parameters = stage.versions.at(op.weight_version).data;
  GpuStageContext context = stage_context(state);
  gpu_stage_backward_input(layout, parameters, rows, pointers(slot.outputs),
                           mutable_pointers(slot.grads),
                           layout.computes_loss ? data_labels(state, data_index(op)) : nullptr,
                           op.stage > 0 ? slot.input_grad.data : nullptr, context);
  // Stream-ordered: the buffers given back here are reused only by later work of the stream.
  slot.finish_backward_input(pool);
  if (op.stage > 0 && schedule_.problem.device_of_stage(op.stage - 1u) == device) {
    slot.hand_input_grad_to(stages_[op.stage - 1u]->slots.find(g));
  }
  end_call(state, position);
}

void CudaBackend::backward_weight(std::uint32_t device, const Op& op) {
  DeviceState& state = *devices_[device];
  const std::size_t position = begin_call(state, op, op.kind == OpKind::Backward);
  StageState& stage = *stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  DevicePool& pool = *state.pool;
  const std::uint64_t g = microbatch_index(op);
  GpuStash& slot = stage.slots.forwarded(g, "backward-weight");
  slot.check_backward_weight();
  if (stage.accumulated == 0) {
    check_cuda(cudaMemsetAsync(stage.gradient.data, 0, stage.gradient.bytes(), state.lane.stream),
               "clearing the gradient accumulator");
  }
  GpuStageContext context = stage_context(state);
  const float* input = op.stage == 0 ? data_inputs(state, data_index(op)) : slot.input.data;
  gpu_stage_backward_weight(layout, task_.rows(), input, pointers(slot.outputs),
                            pointers(slot.grads), stage.gradient.data, context);
  ++stage.accumulated;
  slot.finish_backward_weight(pool);
  stage.slots.close_if_done(slot);
  end_call(state, position);
}

void CudaBackend::optimizer_step(std::uint32_t device, const Op& op, bool keep_previous) {
  DeviceState& state = *devices_[device];
  const std::size_t position = begin_call(state, op, false);
  StageState& stage = *stages_[op.stage];
  DevicePool& pool = *state.pool;
  const cudaStream_t stream = state.lane.stream;
  stage.versions.check_step_replaces(op.weight_version);
  float scale = gradient_scale(stage.accumulated);
  if (rank_replicas_) {
    // Data parallelism: the replicas' sums add up here, and the step applies their mean.
    check_nccl(ncclAllReduce(stage.gradient.data, stage.gradient.data, stage.gradient.floats, ncclFloat,
                             ncclSum, rank_replicas_->get(), stream),
               "NCCL all-reduce of stage " + std::to_string(op.stage) + "'s gradient");
    scale /= static_cast<float>(options_.rank->replicas);
  }
  const DeviceBuffer newest = stage.versions.newest().values;
  DeviceBuffer target = newest;
  if (keep_previous) {
    target = pool.take(newest.floats, MemoryCategory::Weights);
    copy_on_stream(target, newest, stream);
  }
  ++stage.steps;
  const std::size_t count = target.floats;
  if (optimizer_.kind == OptimizerKind::Sgd) {
    const SgdUpdate update{optimizer_.learning_rate, optimizer_.momentum, stage.steps == 1, scale};
    check_cuda(launch_sgd_step(target.data, stage.gradient.data, stage.first_moment.data, count,
                               update, stream),
               "SGD step kernel");
  } else {
    const double t = static_cast<double>(stage.steps);
    const AdamUpdate update{optimizer_.learning_rate,
                            optimizer_.beta1,
                            optimizer_.beta2,
                            optimizer_.epsilon,
                            static_cast<float>(1.0 - std::pow(double{optimizer_.beta1}, t)),
                            static_cast<float>(1.0 - std::pow(double{optimizer_.beta2}, t)),
                            scale};
    check_cuda(launch_adam_step(target.data, stage.gradient.data, stage.first_moment.data,
                                stage.second_moment.data, count, update, stream),
               "Adam step kernel");
  }
  if (keep_previous) {
    stage.versions.add_newer(target);
  } else {
    stage.versions.advance_newest();
  }
  stage.accumulated = 0;
  pool.account().weight_versions_held(stage.versions.count());
  end_call(state, position);
}

void CudaBackend::release_weights(std::uint32_t device, std::uint32_t stage_index,
                                  std::uint32_t version) {
  StageState& stage = *stages_[stage_index];
  DevicePool& pool = *devices_[device]->pool;
  DeviceBuffer values = stage.versions.release_older(version, stage_index);
  // Stream-ordered: the ops already queued that read this version run before any later
  // work on the same stream can reuse its memory.
  pool.give(values, MemoryCategory::Weights);
  pool.account().weight_versions_held(stage.versions.count());
}

void CudaBackend::release_open_slots() {
  for (auto& stage : stages_) {
    if (stage->home) stage->slots.release_all(*devices_[*stage->home]->pool);
  }
}

}  // namespace pipewise::exec::cuda
