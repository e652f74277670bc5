// The CUDA backend's compute ops: forward, backward-input, backward-weight, optimizer
// steps and weight releases, with the CPU backend's buffer and accounting rules.
#include <cmath>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/cuda/cuda_backend.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/cuda_device_state.hpp"
#include "exec/cuda/device_kernels.hpp"
#include "exec/cuda/gpu_stage_math.hpp"

namespace pipewise::exec::cuda {
namespace {

GpuSlot& open_slot(StageState& stage, std::uint64_t g, std::uint32_t layers) {
  auto [slot, opened] = stage.slots.try_emplace(g);
  if (opened) {
    slot->second.outputs.resize(layers);
    slot->second.grads.resize(layers);
  }
  return slot->second;
}

GpuSlot& forwarded_slot(StageState& stage, std::uint64_t g, const char* needed_by) {
  const auto slot = stage.slots.find(g);
  if (slot == stage.slots.end() || !slot->second.forwarded) {
    throw Error(std::string("no stashed forward activations of this micro-batch for its ") + needed_by);
  }
  return slot->second;
}

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

const float* CudaBackend::data_inputs(const DeviceState& device, std::uint64_t g) const {
  const std::size_t entry = g % task_.config().distinct_microbatches;
  return device.inputs.data + entry * task_.rows() * task_.input_width();
}

const std::int32_t* CudaBackend::data_labels(const DeviceState& device, std::uint64_t g) const {
  const std::size_t entry = g % task_.config().distinct_microbatches;
  return reinterpret_cast<const std::int32_t*>(device.labels.data) + entry * task_.rows();
}

const float* CudaBackend::weights(const StageState& stage, std::uint32_t version) const {
  for (const GpuWeights& held : stage.versions) {
    if (held.version == version) return held.values.data;
  }
  throw Error("the stage does not hold weight version " + std::to_string(version) +
              " (it holds versions " + std::to_string(stage.versions.front().version) + " to " +
              std::to_string(stage.versions.back().version) + ")");
}

void CudaBackend::close_if_done(StageState& stage, std::uint64_t g) {
  const auto slot = stage.slots.find(g);
  if (slot != stage.slots.end() && slot->second.weight_grad_computed && slot->second.input_grad.empty()) {
    stage.slots.erase(slot);
  }
}

void CudaBackend::forward(std::uint32_t device, const Op& op) {
  DeviceState& state = *devices_[device];
  const std::size_t position = begin_call(state, op, false);
  StageState& stage = *stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  DevicePool& pool = *state.pool;
  const std::uint64_t g = microbatch_index(op);
  const std::uint32_t rows = task_.rows();
  const float* parameters = weights(stage, op.weight_version);
  GpuSlot& slot = open_slot(stage, g, layout.layers());
  if (slot.forwarded || slot.weight_grad_computed) throw Error("a second forward of the same micro-batch");
  if (op.stage > 0 && slot.input.empty()) {
    throw Error("the stage input has not arrived (is a RecvActivation missing?)");
  }
  for (std::uint32_t l = 0; l < layout.layers(); ++l) {
    slot.outputs[l] = pool.take(std::size_t{rows} * layout.widths[l + 1], MemoryCategory::Activations);
  }
  GpuStageContext context = stage_context(state);
  const float* input = op.stage == 0 ? data_inputs(state, g) : slot.input.data;
  gpu_stage_forward(layout, parameters, input, rows, mutable_pointers(slot.outputs),
                    layout.computes_loss ? data_labels(state, g) : nullptr,
                    layout.computes_loss ? state.losses.data + g : nullptr, context);
  slot.forwarded = true;
  pool.account().activation_stash_opened();

  const std::uint32_t next = op.stage + 1u;
  if (next < model_.stages() && schedule_.problem.device_of_stage(next) == device) {
    GpuSlot& target = open_slot(*stages_[next], g, model_.stage(next).layers());
    if (!target.input.empty()) throw Error("the next stage already holds an input for this micro-batch");
    const DeviceBuffer& output = slot.outputs.back();
    target.input = pool.take(output.floats, MemoryCategory::Activations);
    copy_on_stream(target.input, output, state.lane.stream);
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
  GpuSlot& slot = forwarded_slot(stage, g, "backward-input");
  if (slot.input_grad_computed) throw Error("a second backward-input of the same micro-batch");
  const float* parameters = weights(stage, op.weight_version);
  if (layout.computes_loss) {
    // The probabilities become the loss gradient in place.
    const std::size_t bytes = slot.outputs.back().bytes();
    pool.account().release(MemoryCategory::Activations, bytes);
    pool.account().allocate(MemoryCategory::ActivationGradients, bytes);
    slot.grads.back() = slot.outputs.back();
    slot.outputs.back() = DeviceBuffer{};
  } else if (slot.grads.back().empty()) {
    throw Error("the gradient of the stage output has not arrived (is a RecvGrad missing?)");
  }
  for (std::uint32_t l = 0; l + 1 < layout.layers(); ++l) {
    slot.grads[l] = pool.take(std::size_t{rows} * layout.widths[l + 1],
                              MemoryCategory::ActivationGradients);
  }
  if (op.stage > 0) {
    slot.input_grad = pool.take(std::size_t{rows} * layout.input_width(),
                                MemoryCategory::ActivationGradients);
  }
  GpuStageContext context = stage_context(state);
  gpu_stage_backward_input(layout, parameters, rows, pointers(slot.outputs),
                           mutable_pointers(slot.grads),
                           layout.computes_loss ? data_labels(state, g) : nullptr,
                           op.stage > 0 ? slot.input_grad.data : nullptr, context);
  pool.give(slot.outputs.back(), MemoryCategory::Activations);  // only the mask used it
  slot.input_grad_computed = true;

  if (op.stage > 0 && schedule_.problem.device_of_stage(op.stage - 1u) == device) {
    StageState& previous = *stages_[op.stage - 1u];
    const auto target = previous.slots.find(g);
    if (target == previous.slots.end() || !target->second.forwarded) {
      throw Error("the previous stage has no stashed forward of this micro-batch");
    }
    if (!target->second.grads.back().empty()) {
      throw Error("the previous stage already holds an output gradient for this micro-batch");
    }
    target->second.grads.back() = slot.input_grad;
    slot.input_grad = DeviceBuffer{};
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
  GpuSlot& slot = forwarded_slot(stage, g, "backward-weight");
  if (!slot.input_grad_computed) throw Error("backward-weight before the backward-input of its micro-batch");
  if (stage.accumulated == 0) {
    check_cuda(cudaMemsetAsync(stage.gradient.data, 0, stage.gradient.bytes(), state.lane.stream),
               "clearing the gradient accumulator");
  }
  GpuStageContext context = stage_context(state);
  const float* input = op.stage == 0 ? data_inputs(state, g) : slot.input.data;
  gpu_stage_backward_weight(layout, task_.rows(), input, pointers(slot.outputs),
                            pointers(slot.grads), stage.gradient.data, context);
  ++stage.accumulated;
  pool.give(slot.input, MemoryCategory::Activations);
  for (DeviceBuffer& output : slot.outputs) pool.give(output, MemoryCategory::Activations);
  for (DeviceBuffer& grad : slot.grads) pool.give(grad, MemoryCategory::ActivationGradients);
  slot.forwarded = false;
  slot.weight_grad_computed = true;
  pool.account().activation_stash_closed();
  close_if_done(stage, g);
  end_call(state, position);
}

void CudaBackend::optimizer_step(std::uint32_t device, const Op& op, bool keep_previous) {
  DeviceState& state = *devices_[device];
  const std::size_t position = begin_call(state, op, false);
  StageState& stage = *stages_[op.stage];
  DevicePool& pool = *state.pool;
  const cudaStream_t stream = state.lane.stream;
  const std::uint32_t newest = stage.versions.back().version;
  if (op.weight_version != newest) {
    throw Error("the step replaces weight version " + std::to_string(op.weight_version) +
                " but the stage's newest is version " + std::to_string(newest));
  }
  const float scale = stage.accumulated == 0 ? 0.0f : 1.0f / static_cast<float>(stage.accumulated);
  DeviceBuffer target = stage.versions.back().values;
  if (keep_previous) {
    target = pool.take(target.floats, MemoryCategory::Weights);
    copy_on_stream(target, stage.versions.back().values, stream);
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
    stage.versions.push_back({newest + 1, target});
  } else {
    stage.versions.back().version = newest + 1;
  }
  stage.accumulated = 0;
  pool.account().weight_versions_held(static_cast<std::uint32_t>(stage.versions.size()));
  end_call(state, position);
}

void CudaBackend::release_weights(std::uint32_t device, std::uint32_t stage_index,
                                  std::uint32_t version) {
  StageState& stage = *stages_[stage_index];
  DevicePool& pool = *devices_[device]->pool;
  for (auto held = stage.versions.begin(); held + 1 < stage.versions.end(); ++held) {
    if (held->version != version) continue;
    // Stream-ordered: the ops already queued that read this version run before any later
    // work on the same stream can reuse its memory.
    pool.give(held->values, MemoryCategory::Weights);
    stage.versions.erase(held);
    pool.account().weight_versions_held(static_cast<std::uint32_t>(stage.versions.size()));
    return;
  }
  throw Error("cannot release weight version " + std::to_string(version) + " of stage " +
              std::to_string(stage_index) + ": it is not an older version the stage holds");
}

void CudaBackend::release_open_slots() {
  for (auto& owner : stages_) {
    StageState& stage = *owner;
    if (!stage.home) continue;
    DevicePool& pool = *devices_[*stage.home]->pool;
    for (auto& [g, slot] : stage.slots) {
      if (slot.forwarded) pool.account().activation_stash_closed();
      pool.give(slot.input, MemoryCategory::Activations);
      for (DeviceBuffer& output : slot.outputs) pool.give(output, MemoryCategory::Activations);
      for (DeviceBuffer& grad : slot.grads) pool.give(grad, MemoryCategory::ActivationGradients);
      pool.give(slot.input_grad, MemoryCategory::ActivationGradients);
    }
    stage.slots.clear();
  }
}

}  // namespace pipewise::exec::cuda
