#include "exec/cpu/cpu_backend.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <utility>

#include "common/ir/dependencies.hpp"
#include "common/ir/error.hpp"
#include "exec/cpu/core_pinning.hpp"
#include "exec/model/stage_math.hpp"

namespace pipewise::exec {
namespace {

constexpr std::size_t bytes_of(std::size_t floats) { return floats * sizeof(float); }

}  // namespace

CpuBackend::CpuBackend(const MlpModel& model, const SyntheticTask& task, OptimizerConfig optimizer,
                       CpuBackendOptions options)
    : model_(model), task_(task), optimizer_(optimizer), options_(options) {
  optimizer_.check();
  check_task_fits_model(task, model.config());
  openblas_set_num_threads(1);
  stages_.resize(model.stages());
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    Stage& stage = stages_[s];
    stage.versions.push_back({0, model.initial_parameters(s)});
    stage.gradient.assign(model.stage(s).parameter_count, 0.0f);
    stage.optimizer = make_optimizer_state(optimizer_, model.stage(s).parameter_count);
  }
}

CpuBackend::~CpuBackend() = default;

void CpuBackend::prepare(const Schedule& schedule, const RunOptions& options) {
  const Problem& problem = schedule.problem;
  if (problem.stages() != model_.stages()) {
    throw Error("the schedule has p*v = " + std::to_string(problem.stages()) +
                " stages but the model is split into " + std::to_string(model_.stages()));
  }
  problem_ = problem;
  run_options_ = options;
  devices_ = std::vector<BufferPool>(problem.devices);
  for (std::uint32_t s = 0; s < model_.stages(); ++s) {
    Stage& stage = stages_[s];
    stage.device = problem.device_of_stage(s);
    // Training continues from the newest parameters, which become version 0 of this run.
    stage.versions.erase(stage.versions.begin(), stage.versions.end() - 1);
    stage.versions.front().version = 0;
    stage.versions.reserve(problem.devices + 2);
    if (stage.accumulated != 0) {  // a failed run left a partial sum
      std::fill(stage.gradient.begin(), stage.gradient.end(), 0.0f);
      stage.accumulated = 0;
    }
    MemoryAccount& account = devices_[stage.device].account();
    const std::size_t parameters = model_.stage(s).parameter_count;
    account.allocate(MemoryCategory::Weights, bytes_of(parameters));
    account.allocate(MemoryCategory::WeightGradients, bytes_of(parameters));
    account.allocate(MemoryCategory::OptimizerState,
                     bytes_of(parameters * optimizer_.state_per_parameter()));
    account.weight_versions_held(1);
  }
  cores_ = allowed_cores();
  const auto cores = static_cast<std::uint32_t>(cores_.size());
  placement_ = {problem.devices, cores, options_.pin_workers && problem.devices <= cores,
                problem.devices > cores};
  transport_ = std::make_unique<InProcessTransport>(problem.devices, options.verify_checksums,
                                                    receive_spin(problem.devices, cores));
  losses_.assign(std::size_t{problem.microbatches} * problem.iterations,
                 std::numeric_limits<float>::quiet_NaN());
}

void CpuBackend::start_worker(std::uint32_t device) {
  if (placement_.pinned) pin_current_thread(cores_[device]);
}

std::uint64_t CpuBackend::microbatch_index(const Op& op) const {
  return std::uint64_t{op.iteration} * problem_.microbatches + op.microbatch;
}

const std::vector<float>& CpuBackend::weights(const Stage& stage, std::uint32_t version) const {
  for (const WeightVersion& held : stage.versions) {
    if (held.version == version) return held.values;
  }
  throw Error("the stage does not hold weight version " + std::to_string(version) +
              " (it holds versions " + std::to_string(stage.versions.front().version) + " to " +
              std::to_string(stage.versions.back().version) + ")");
}

MicrobatchSlot& CpuBackend::forwarded_slot(Stage& stage, const Op& op, const char* needed_by) {
  MicrobatchSlot* slot = stage.slots.find(microbatch_index(op));
  if (slot == nullptr || !slot->forwarded) {
    throw Error(std::string("no stashed forward activations of this micro-batch for its ") +
                needed_by);
  }
  return *slot;
}

void CpuBackend::forward(std::uint32_t device, const Op& op) {
  Stage& stage = stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  BufferPool& pool = devices_[device];
  const std::uint64_t g = microbatch_index(op);
  const std::uint32_t rows = task_.rows();
  const std::vector<float>& parameters = weights(stage, op.weight_version);
  MicrobatchSlot& slot = stage.slots.find_or_open(g, layout.layers());
  if (slot.forwarded || slot.weight_grad_computed) {
    throw Error("a second forward of the same micro-batch");
  }
  if (op.stage > 0 && slot.input.empty()) {
    throw Error("the stage input has not arrived (is a RecvActivation missing?)");
  }
  for (std::uint32_t l = 0; l < layout.layers(); ++l) {
    slot.outputs[l] = pool.take(std::size_t{rows} * layout.widths[l + 1], MemoryCategory::Activations);
  }
  const float* input = op.stage == 0 ? task_.inputs(g) : slot.input.data();
  const float loss = stage_forward(layout, parameters.data(), input, rows, slot.outputs,
                                   task_.labels(g));
  if (layout.computes_loss) losses_[g] = loss;
  slot.forwarded = true;
  slot.weight_version = op.weight_version;
  pool.account().activation_stash_opened();

  const std::uint32_t next = op.stage + 1u;
  if (next < model_.stages() && problem_.device_of_stage(next) == device) {
    MicrobatchSlot& target = stages_[next].slots.find_or_open(g, model_.stage(next).layers());
    if (!target.input.empty()) throw Error("the next stage already holds an input for this micro-batch");
    const std::vector<float>& output = slot.outputs.back();
    target.input = pool.take(output.size(), MemoryCategory::Activations);
    std::copy(output.begin(), output.end(), target.input.begin());
  }
}

void CpuBackend::backward_input(std::uint32_t device, const Op& op) {
  Stage& stage = stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  BufferPool& pool = devices_[device];
  const std::uint64_t g = microbatch_index(op);
  const std::uint32_t rows = task_.rows();
  MicrobatchSlot& slot = forwarded_slot(stage, op, "backward-input");
  if (slot.input_grad_computed) throw Error("a second backward-input of the same micro-batch");
  const std::vector<float>& parameters = weights(stage, op.weight_version);
  if (layout.computes_loss) {
    // The probabilities become the loss gradient in place.
    const std::size_t bytes = bytes_of(slot.outputs.back().size());
    pool.account().release(MemoryCategory::Activations, bytes);
    pool.account().allocate(MemoryCategory::ActivationGradients, bytes);
    slot.grads.back() = std::move(slot.outputs.back());
    slot.outputs.back().clear();
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
  stage_backward_input(layout, parameters.data(), rows, slot.outputs, slot.grads, task_.labels(g),
                       op.stage > 0 ? slot.input_grad.data() : nullptr);
  pool.give(std::move(slot.outputs.back()), MemoryCategory::Activations);  // only the mask used it
  slot.input_grad_computed = true;

  if (op.stage > 0 && problem_.device_of_stage(op.stage - 1u) == device) {
    MicrobatchSlot* target = stages_[op.stage - 1u].slots.find(g);
    if (target == nullptr || !target->forwarded) {
      throw Error("the previous stage has no stashed forward of this micro-batch");
    }
    if (!target->grads.back().empty()) {
      throw Error("the previous stage already holds an output gradient for this micro-batch");
    }
    target->grads.back() = std::move(slot.input_grad);
    slot.input_grad.clear();
  }
}

void CpuBackend::backward_weight(std::uint32_t device, const Op& op) {
  Stage& stage = stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  BufferPool& pool = devices_[device];
  const std::uint64_t g = microbatch_index(op);
  MicrobatchSlot& slot = forwarded_slot(stage, op, "backward-weight");
  if (!slot.input_grad_computed) throw Error("backward-weight before the backward-input of its micro-batch");
  if (stage.accumulated == 0) std::fill(stage.gradient.begin(), stage.gradient.end(), 0.0f);
  const float* input = op.stage == 0 ? task_.inputs(g) : slot.input.data();
  stage_backward_weight(layout, task_.rows(), input, slot.outputs, slot.grads,
                        stage.gradient.data());
  ++stage.accumulated;
  pool.give(std::move(slot.input), MemoryCategory::Activations);
  for (auto& output : slot.outputs) pool.give(std::move(output), MemoryCategory::Activations);
  for (auto& grad : slot.grads) pool.give(std::move(grad), MemoryCategory::ActivationGradients);
  slot.forwarded = false;
  slot.weight_grad_computed = true;
  pool.account().activation_stash_closed();
  close_if_done(stage, slot);
}

void CpuBackend::optimizer_step(std::uint32_t device, const Op& op, bool keep_previous) {
  Stage& stage = stages_[op.stage];
  BufferPool& pool = devices_[device];
  const std::uint32_t newest = stage.versions.back().version;
  if (op.weight_version != newest) {
    throw Error("the step replaces weight version " + std::to_string(op.weight_version) +
                " but the stage's newest is version " + std::to_string(newest));
  }
  const float scale = stage.accumulated == 0 ? 0.0f : 1.0f / static_cast<float>(stage.accumulated);
  for (float& value : stage.gradient) value *= scale;
  if (keep_previous) {
    std::vector<float> next = pool.take(stage.gradient.size(), MemoryCategory::Weights);
    std::copy(stage.versions.back().values.begin(), stage.versions.back().values.end(), next.begin());
    apply_optimizer_step(optimizer_, stage.optimizer, next, stage.gradient);
    stage.versions.push_back({newest + 1, std::move(next)});
  } else {
    apply_optimizer_step(optimizer_, stage.optimizer, stage.versions.back().values, stage.gradient);
    stage.versions.back().version = newest + 1;
  }
  stage.accumulated = 0;
  pool.account().weight_versions_held(static_cast<std::uint32_t>(stage.versions.size()));
}

void CpuBackend::release_weights(std::uint32_t device, std::uint32_t stage_index,
                                 std::uint32_t version) {
  Stage& stage = stages_[stage_index];
  BufferPool& pool = devices_[device];
  for (auto held = stage.versions.begin(); held + 1 < stage.versions.end(); ++held) {
    if (held->version != version) continue;
    pool.give(std::move(held->values), MemoryCategory::Weights);
    stage.versions.erase(held);
    pool.account().weight_versions_held(static_cast<std::uint32_t>(stage.versions.size()));
    return;
  }
  throw Error("cannot release weight version " + std::to_string(version) + " of stage " +
              std::to_string(stage_index) + ": it is not an older version the stage holds");
}

void CpuBackend::send(std::uint32_t device, const Op& op, std::uint32_t peer_device) {
  Stage& stage = stages_[op.stage];
  BufferPool& pool = devices_[device];
  MicrobatchSlot* slot = stage.slots.find(microbatch_index(op));
  const MessageTag tag{op.kind == OpKind::SendGrad, op.stage, op.microbatch, op.iteration};
  std::vector<float> message;
  if (op.kind == OpKind::SendActivation) {
    if (slot == nullptr || !slot->forwarded || slot->outputs.back().empty()) {
      throw Error("no forward output of this micro-batch to send (has its forward run?)");
    }
    const std::vector<float>& output = slot->outputs.back();
    message = pool.take(output.size(), MemoryCategory::Activations);
    std::copy(output.begin(), output.end(), message.begin());
    pool.disown(message, MemoryCategory::Activations);
  } else {
    if (slot == nullptr || slot->input_grad.empty()) {
      throw Error("no input gradient of this micro-batch to send (has its backward run?)");
    }
    message = std::move(slot->input_grad);
    slot->input_grad.clear();
    pool.disown(message, MemoryCategory::ActivationGradients);
    close_if_done(stage, *slot);
  }
  const MessageFault fault =
      run_options_.faults != nullptr ? run_options_.faults->on_message(device, op) : MessageFault::None;
  transport_->send(device, peer_device, tag, std::move(message), fault);
}

void CpuBackend::recv(std::uint32_t device, const Op& op, std::uint32_t peer_device) {
  Stage& stage = stages_[op.stage];
  const StageLayout& layout = model_.stage(op.stage);
  BufferPool& pool = devices_[device];
  const bool gradient = op.kind == OpKind::RecvGrad;
  const MessageTag tag{gradient, static_cast<std::uint16_t>(peer_stage(op)), op.microbatch,
                       op.iteration};
  std::vector<float> payload =
      transport_->receive(device, peer_device, tag, run_options_.receive_timeout);
  const std::size_t expected =
      std::size_t{task_.rows()} * (gradient ? layout.output_width() : layout.input_width());
  if (payload.size() != expected) {
    throw Error("received " + std::to_string(payload.size()) + " floats but the stage expects " +
                std::to_string(expected));
  }
  MicrobatchSlot& slot = stage.slots.find_or_open(microbatch_index(op), layout.layers());
  if (gradient && !slot.forwarded) {
    throw Error("the gradient arrived for a micro-batch whose forward this stage has not stashed");
  }
  std::vector<float>& target = gradient ? slot.grads.back() : slot.input;
  if (!target.empty()) throw Error("a second message for the same micro-batch");
  const MemoryCategory category =
      gradient ? MemoryCategory::ActivationGradients : MemoryCategory::Activations;
  pool.adopt(payload, category);
  target = std::move(payload);
}

void CpuBackend::cancel() noexcept {
  if (transport_) transport_->cancel();
}

std::int64_t CpuBackend::now_ns(std::uint32_t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void CpuBackend::close_if_done(Stage& stage, MicrobatchSlot& slot) {
  if (slot.weight_grad_computed && slot.input_grad.empty()) stage.slots.close(slot);
}

void CpuBackend::release_slot_buffers(BufferPool& pool, MicrobatchSlot& slot) {
  if (slot.forwarded) pool.account().activation_stash_closed();
  pool.give(std::move(slot.input), MemoryCategory::Activations);
  for (auto& output : slot.outputs) pool.give(std::move(output), MemoryCategory::Activations);
  for (auto& grad : slot.grads) pool.give(std::move(grad), MemoryCategory::ActivationGradients);
  pool.give(std::move(slot.input_grad), MemoryCategory::ActivationGradients);
  slot.forwarded = false;
}

void CpuBackend::finish() {
  for (Stage& stage : stages_) {
    BufferPool& pool = devices_[stage.device];
    for (MicrobatchSlot& slot : stage.slots.all()) {
      if (!slot.in_use) continue;
      release_slot_buffers(pool, slot);
      stage.slots.close(slot);
    }
  }
  transport_.reset();
  for (BufferPool& pool : devices_) pool.clear_idle();
}

const MemoryAccount& CpuBackend::memory(std::uint32_t device) const {
  if (device >= devices_.size()) {
    throw Error("no device " + std::to_string(device) + " in the last run (it had " +
                std::to_string(devices_.size()) + ")");
  }
  return devices_[device].account();
}

StepHooks CpuBackend::step_hooks() {
  StepHooks hooks;
  hooks.losses = [this] { return losses_; };
  return hooks;
}

RunDescription CpuBackend::describe_run() const { return describe_cpu_placement(placement_); }

const std::vector<float>& CpuBackend::parameters(std::uint32_t stage) const {
  return stages_[stage].versions.back().values;
}

const std::vector<float>& CpuBackend::last_gradient(std::uint32_t stage) const {
  return stages_[stage].gradient;
}

}  // namespace pipewise::exec
