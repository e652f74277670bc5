#include "exec/cpu/cpu_backend.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <utility>

#include "common/ir/dependencies.hpp"
#include "common/ir/error.hpp"
#include "exec/cpu/core_pinning.hpp"
#include "exec/model/blas.hpp"
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
  use_single_threaded_blas();
  stages_.resize(model.stages());
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    Stage& stage = stages_[s];
    stage.versions.start_from(model.initial_parameters(s));
    stage.gradient.assign(model.stage(s).parameter_count, 0.0f);
    if (options_.keep_last_gradients) stage.last_applied = stage.gradient;
    stage.optimizer = make_optimizer_state(optimizer_, model.stage(s).parameter_count);
  }
}

CpuBackend::~CpuBackend() = default;

void CpuBackend::prepare(const Schedule& schedule, const RunOptions& options) {
  const Problem& problem = schedule.problem;
  if (problem.model_stages() != model_.stages()) {
    throw Error("the schedule has " + std::to_string(problem.model_stages()) +
                " model stages but the model is split into " + std::to_string(model_.stages()));
  }
  // Runs of the same problem (the steps of a training loop) reuse the previous run's
  // buffers; another problem starts with empty pools.
  if (devices_.size() == problem.devices && problem_ == problem) {
    for (BufferPool& pool : devices_) pool.start_run();
  } else {
    devices_ = std::vector<BufferPool>(problem.devices);
  }
  problem_ = problem;
  run_options_ = options;
  if (stages_.size() < problem.stages()) stages_.resize(problem.stages());
  for (std::uint32_t s = 0; s < problem.stages(); ++s) {
    Stage& stage = stages_[s];
    stage.device = problem.device_of_stage(s);
    if (s < model_.stages()) {
      // Training continues from the newest parameters, which become version 0 of this run.
      for (std::vector<float>& dropped : stage.versions.restart_from_newest()) {
        devices_[stage.device].keep_for_reuse(std::move(dropped));
      }
    } else {
      // The second copy of bidirectional placement starts as an exact copy of the first
      // (prepared above: its stage number is lower).
      const Stage& original = stages_[problem.mirror_stage(s)];
      stage.versions.start_from(original.versions.newest().values);
      stage.gradient.assign(original.gradient.size(), 0.0f);
      if (options_.keep_last_gradients) stage.last_applied = stage.gradient;
      stage.accumulated = 0;
      stage.optimizer = original.optimizer;
    }
    stage.versions.reserve(problem.devices + 2);
    if (stage.accumulated != 0) {  // a failed run left a partial sum
      std::fill(stage.gradient.begin(), stage.gradient.end(), 0.0f);
      stage.accumulated = 0;
    }
    MemoryAccount& account = devices_[stage.device].account();
    const std::size_t parameters = layout_of(s).parameter_count;
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
  if (options_.make_transport) {
    transport_ = options_.make_transport(problem, options);
  } else {
    transport_ = std::make_unique<InProcessTransport>(problem.devices, options.verify_checksums,
                                                      receive_spin(problem.devices, cores));
  }
  losses_.assign(std::size_t{problem.microbatches} * problem.iterations,
                 std::numeric_limits<float>::quiet_NaN());
}

void CpuBackend::start_worker(std::uint32_t device) {
  if (placement_.pinned) pin_current_thread(cores_[device]);
}

std::uint64_t CpuBackend::microbatch_index(const Op& op) const {
  return std::uint64_t{op.iteration} * problem_.microbatches + op.microbatch;
}

std::uint64_t CpuBackend::data_index(const Op& op) const {
  return options_.data_parallel.data_microbatch(op, problem_.microbatches);
}

const StageLayout& CpuBackend::layout_of(std::uint32_t stage) const {
  return model_.stage(problem_.model_stage_of(stage));
}

// The message that carries a bidirectional copy's gradient sum of one iteration to the
// stage's other copy: tagged with a micro-batch no activation or gradient message uses.
MessageTag CpuBackend::mirror_tag(std::uint32_t from_stage, std::uint32_t iteration) {
  return {true, static_cast<std::uint16_t>(from_stage), ~std::uint32_t{0}, iteration};
}

void CpuBackend::forward(std::uint32_t device, const Op& op) {
  Stage& stage = stages_[op.stage];
  const StageLayout& layout = layout_of(op.stage);
  BufferPool& pool = devices_[device];
  const std::uint64_t g = microbatch_index(op);
  const std::uint32_t rows = task_.rows();
  const std::vector<float>& parameters = stage.versions.at(op.weight_version);
  Stash& slot = stage.slots.find_or_open(g, layout.layers());
  const bool first_stage = problem_.starts_pipeline(op.stage);
  slot.take_outputs(layout.widths, rows, !first_stage, pool);
  const float* input = first_stage ? task_.inputs(data_index(op)) : slot.input.data();
  const float loss = stage_forward(layout, parameters.data(), input, rows, slot.outputs,
                                   task_.labels(data_index(op)));
  if (layout.computes_loss) losses_[g] = loss;
  slot.stash_forward(pool);

  const std::uint32_t next = op.stage + 1u;
  if (!problem_.ends_pipeline(op.stage) && problem_.device_of_stage(next) == device) {
    const std::vector<float>& output = slot.outputs.back();
    std::vector<float>& target = stages_[next]
                                     .slots.find_or_open(g, layout_of(next).layers())
                                     .take_handed_input(output.size(), pool);
    std::copy(output.begin(), output.end(), target.begin());
  }
}

void CpuBackend::backward_input(std::uint32_t device, const Op& op) {
  Stage& stage = stages_[op.stage];
  const StageLayout& layout = layout_of(op.stage);
  BufferPool& pool = devices_[device];
  const std::uint64_t g = microbatch_index(op);
  const std::uint32_t rows = task_.rows();
  Stash& slot = stage.slots.forwarded(g, "backward-input");
  const bool first_stage = problem_.starts_pipeline(op.stage);
  slot.take_gradients(layout.widths, rows, layout.computes_loss, first_stage, pool);
  const std::vector<float>& parameters = stage.versions.at(op.weight_version);
  stage_backward_input(layout, parameters.data(), rows, slot.outputs, slot.grads, task_.labels(data_index(op)),
                       first_stage ? nullptr : slot.input_grad.data());
  slot.finish_backward_input(pool);
  if (!first_stage && problem_.device_of_stage(op.stage - 1u) == device) {
    slot.hand_input_grad_to(stages_[op.stage - 1u].slots.find(g));
  }
}

void CpuBackend::backward_weight(std::uint32_t device, const Op& op) {
  Stage& stage = stages_[op.stage];
  const StageLayout& layout = layout_of(op.stage);
  BufferPool& pool = devices_[device];
  const std::uint64_t g = microbatch_index(op);
  Stash& slot = stage.slots.forwarded(g, "backward-weight");
  slot.check_backward_weight();
  const float* input = problem_.starts_pipeline(op.stage) ? task_.inputs(data_index(op)) : slot.input.data();
  // Onto zeros after a step: the step clears the gradient (step_from_gradient_sum).
  stage_backward_weight(layout, task_.rows(), input, slot.outputs, slot.grads, stage.gradient.data());
  ++stage.accumulated;
  slot.finish_backward_weight(pool);
  stage.slots.close_if_done(slot);
  if (problem_.bidirectional() && stage.accumulated == problem_.microbatches / 2) {
    // This copy has its half of the iteration's gradient: the other copy's step needs it.
    const std::uint32_t mirror = problem_.mirror_stage(op.stage);
    std::vector<float> message = pool.take(stage.gradient.size(), MemoryCategory::WeightGradients);
    std::copy(stage.gradient.begin(), stage.gradient.end(), message.begin());
    pool.disown(message, MemoryCategory::WeightGradients);
    transport_->send(device, problem_.device_of_stage(mirror), mirror_tag(op.stage, op.iteration),
                     std::move(message));
  }
}

void CpuBackend::optimizer_step(std::uint32_t device, const Op& op, bool keep_previous) {
  Stage& stage = stages_[op.stage];
  BufferPool& pool = devices_[device];
  stage.versions.check_step_replaces(op.weight_version);
  std::uint32_t accumulated = stage.accumulated;
  if (problem_.bidirectional()) {
    // Both copies apply the sum of their gradients, the first copy's added first on both
    // sides so that the copies stay bit-identical.
    const std::uint32_t mirror = problem_.mirror_stage(op.stage);
    std::vector<float> other = transport_->receive(device, problem_.device_of_stage(mirror),
                                                   mirror_tag(mirror, op.iteration),
                                                   run_options_.receive_timeout);
    if (other.size() != stage.gradient.size()) {
      throw Error("the other copy's gradient has " + std::to_string(other.size()) +
                  " floats, not " + std::to_string(stage.gradient.size()));
    }
    pool.adopt(other, MemoryCategory::WeightGradients);
    const bool first_copy = op.stage < mirror;
    for (std::size_t i = 0; i < other.size(); ++i) {
      stage.gradient[i] = first_copy ? stage.gradient[i] + other[i] : other[i] + stage.gradient[i];
    }
    pool.give(other, MemoryCategory::WeightGradients);
    accumulated += problem_.microbatches / 2;
  }
  GradientReduction reduce;
  if (options_.reduce_gradient || options_.keep_last_gradients) {
    reduce = [&] {
      if (options_.reduce_gradient) options_.reduce_gradient(op.stage, stage.gradient);
      if (options_.keep_last_gradients) stage.last_applied = stage.gradient;
    };
  }
  std::vector<float>& newest = stage.versions.newest().values;
  if (keep_previous) {
    std::vector<float> next = pool.take(stage.gradient.size(), MemoryCategory::Weights);
    step_from_gradient_sum(optimizer_, stage.optimizer, newest, next, stage.gradient,
                           gradient_scale(accumulated), reduce);
    stage.versions.add_newer(std::move(next));
  } else {
    step_from_gradient_sum(optimizer_, stage.optimizer, newest, {}, stage.gradient,
                           gradient_scale(accumulated), reduce);
    stage.versions.advance_newest();
  }
  stage.accumulated = 0;
  pool.account().weight_versions_held(stage.versions.count());
}

void CpuBackend::release_weights(std::uint32_t device, std::uint32_t stage_index,
                                 std::uint32_t version) {
  Stage& stage = stages_[stage_index];
  BufferPool& pool = devices_[device];
  std::vector<float> values = stage.versions.release_older(version, stage_index);
  pool.give(values, MemoryCategory::Weights);
  pool.account().weight_versions_held(stage.versions.count());
}

void CpuBackend::send(std::uint32_t device, const Op& op, std::uint32_t peer_device) {
  Stage& stage = stages_[op.stage];
  BufferPool& pool = devices_[device];
  const std::uint64_t g = microbatch_index(op);
  const MessageTag tag{op.kind == OpKind::SendGrad, op.stage, op.microbatch, op.iteration};
  std::vector<float> message = stage.slots.message_to_send(
      g, op.kind == OpKind::SendGrad, pool,
      [](std::vector<float>& target, const std::vector<float>& source) {
        std::copy(source.begin(), source.end(), target.begin());
      });
  const MessageFault fault =
      run_options_.faults != nullptr ? run_options_.faults->on_message(device, op) : MessageFault::None;
  transport_->send(device, peer_device, tag, std::move(message), fault);
}

void CpuBackend::recv(std::uint32_t device, const Op& op, std::uint32_t peer_device) {
  Stage& stage = stages_[op.stage];
  const StageLayout& layout = layout_of(op.stage);
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
  std::vector<float>& target =
      stage.slots.message_target(microbatch_index(op), layout.layers(), gradient);
  pool.adopt(payload, gradient ? MemoryCategory::ActivationGradients : MemoryCategory::Activations);
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

void CpuBackend::finish() {
  for (Stage& stage : stages_) stage.slots.release_all(devices_[stage.device]);
  transport_.reset();  // the pools keep their buffers for the next run (prepare)
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
  return stages_[stage].versions.newest().values;
}

const std::vector<float>& CpuBackend::last_gradient(std::uint32_t stage) const {
  if (!options_.keep_last_gradients) {
    throw Error("the CPU backend keeps the gradients its steps applied only when asked to");
  }
  return stages_[stage].last_applied;
}

}  // namespace pipewise::exec
