#include "sim/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <iterator>
#include <string>
#include <utility>

#include "common/ir/error.hpp"
#include "common/numeric/checked_arithmetic.hpp"

namespace pipewise::sim {
namespace {

std::string number(double value) {
  std::string text = std::to_string(value);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

Status time_status(double value, const std::string& what) {
  if (std::isfinite(value) && value >= 0) return {};
  return Status::failure(what + " must be a finite time >= 0 (got " + number(value) + ")");
}

Status size_status(double value, const char* what) {
  if (std::isfinite(value) && value >= 0) return {};
  return Status::failure(std::string(what) + " must be a finite number >= 0 (got " +
                         number(value) + ")");
}

// The first failure among `statuses`, or ok.
Status first_failure(std::initializer_list<Status> statuses) {
  for (const Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return {};
}

double optimizer_state_multiple(Optimizer optimizer) {
  switch (optimizer) {
    case Optimizer::Sgd: return 0.0;
    case Optimizer::Momentum: return 1.0;
    case Optimizer::Adam: return 2.0;
  }
  return 0.0;
}

double ring_allreduce_ms(std::uint32_t replicas, double bytes, double latency_ms,
                         double bandwidth_gb_per_s) {
  if (replicas <= 1) return 0.0;
  const double d = replicas;
  const double bytes_per_ms = bandwidth_gb_per_s * 1e6;
  const double transfer = bandwidth_gb_per_s > 0 ? 2.0 * (d - 1) / d * bytes / bytes_per_ms : 0;
  return transfer + 2.0 * (d - 1) * latency_ms;
}

}  // namespace

Result<StageCosts> ComputeOverride::apply_to(const StageCosts& base, const char* where) const {
  StageCosts costs = base;
  const std::string prefix = where;
  if (forward) costs.forward = *forward;
  if (optimizer_step) costs.optimizer_step = *optimizer_step;
  if (stashing_step) costs.stashing_step = *stashing_step;
  const int given = (backward ? 1 : 0) + (backward_input ? 1 : 0) + (backward_weight ? 1 : 0);
  if (given == 3) {
    const double sum = *backward_input + *backward_weight;
    if (std::abs(*backward - sum) > 1e-9 * std::max(1.0, std::abs(*backward))) {
      return Status::failure(prefix + ": backward (" + number(*backward) +
                             ") must equal backward_input + backward_weight (" + number(sum) + ")");
    }
    costs.backward_input = *backward_input;
    costs.backward_weight = *backward_weight;
  } else if (backward && backward_weight) {
    costs.backward_weight = *backward_weight;
    costs.backward_input = *backward - *backward_weight;
  } else if (backward && backward_input) {
    costs.backward_input = *backward_input;
    costs.backward_weight = *backward - *backward_input;
  } else if (backward) {
    const double base_total = base.backward();
    const double input_share = base_total > 0 ? base.backward_input / base_total : 0.5;
    costs.backward_input = *backward * input_share;
    costs.backward_weight = *backward - costs.backward_input;
  } else {
    if (backward_input) costs.backward_input = *backward_input;
    if (backward_weight) costs.backward_weight = *backward_weight;
  }
  if (Status status = first_failure({time_status(costs.forward, prefix + ".forward"),
                                     time_status(costs.backward_input, prefix + ".backward_input"),
                                     time_status(costs.backward_weight, prefix + ".backward_weight"),
                                     time_status(costs.optimizer_step, prefix + ".optimizer_step"),
                                     time_status(costs.stashing_step_time(), prefix + ".stashing_step"),
                                     time_status(recompute_forward.value_or(0), prefix + ".recompute_forward")});
      !status.ok()) {
    return status;
  }
  return costs;
}

double CommunicationCosts::occupancy_ms(double bytes) const {
  return bandwidth_gb_per_s > 0 ? bytes / (bandwidth_gb_per_s * 1e6) : 0.0;
}

double DataParallelCosts::allreduce_ms(double bytes) const {
  return ring_allreduce_ms(replicas, bytes, latency_ms, bandwidth_gb_per_s);
}

double DataParallelCosts::synchronisation_ms(double gradient_bytes, double parameter_bytes) const {
  // A reduce-scatter and an all-gather each move (d−1)/d of their buffer: half a ring
  // all-reduce of it each, with the same 2(d−1) latency steps in all.
  if (!sharded) return allreduce_ms(gradient_bytes);
  return ring_allreduce_ms(replicas, (gradient_bytes + parameter_bytes) / 2, latency_ms,
                           bandwidth_gb_per_s);
}

CostModel::CostModel(const Problem& problem, const StageCosts& stage_costs)
    : problem_(problem),
      stages_(problem.stages(), stage_costs),
      reruns_(problem.stages(), stage_costs.forward),
      has_rerun_override_(problem.stages(), false),
      memory_(problem.stages()) {}

double CostModel::stage_op_time(const Op& op, const StageCosts& costs) {
  switch (op.kind) {
    case OpKind::Forward: return costs.forward;
    case OpKind::Backward: return costs.backward();
    case OpKind::BackwardInput: return costs.backward_input;
    case OpKind::BackwardWeight: return costs.backward_weight;
    case OpKind::OptimizerStep: return costs.optimizer_step;
    default: return 0.0;
  }
}

std::uint64_t CostModel::override_key(OpKind kind, const Op& op) const {
  const std::uint64_t slot =
      (std::uint64_t{op.stage} * problem_.iterations + op.iteration) * problem_.microbatches +
      op.microbatch;
  return slot * kOpKindCount + static_cast<std::uint64_t>(kind);
}

double CostModel::overridden_op_time(const Op& op) const {
  const auto time_of = [&](OpKind kind) {
    const auto found = op_overrides_.find(override_key(kind, op));
    if (found != op_overrides_.end()) return found->second;
    Op as_kind = op;
    as_kind.kind = kind;
    return stage_op_time(as_kind, stages_[op.stage]);
  };
  double time = time_of(op.kind);
  if (recompute_ && produces_input_grad(op.kind)) {
    time += has_rerun_override_[op.stage] ? reruns_[op.stage] : time_of(OpKind::Forward);
  }
  return time;
}

double CostModel::pair_time(const Op& forward, const Op& backward) const {
  if (!pair_overrides_.empty()) {
    const auto found =
        pair_overrides_.find(std::uint64_t{forward.stage} * problem_.stages() + backward.stage);
    if (found != pair_overrides_.end()) return found->second;
  }
  const double forward_ms = op_time(forward);
  const double backward_ms = op_time(backward);
  return std::max(forward_ms, backward_ms) +
         (1.0 - overlap_efficiency_) * std::min(forward_ms, backward_ms);
}

Result<CostModel> try_resolve_costs(const CostConfig& config, const Problem& problem) {
  if (Status validity = problem.validity(); !validity.ok()) return validity;
  if (config.profile && config.profile->model_stages != problem.model_stages()) {
    return Status::failure(
        "the costs were profiled with the model in " + std::to_string(config.profile->model_stages) +
        " stages and this problem has p*v = " + std::to_string(problem.model_stages()) +
        ": profile that split, or let simulate, sweep, run or recommend --costs cost it from "
        "the layers");
  }
  if (config.split_stages && *config.split_stages != problem.model_stages()) {
    return Status::failure("the costs describe the model split into " + std::to_string(*config.split_stages) +
                           " stages and this problem has p*v = " + std::to_string(problem.model_stages()) +
                           ": split it into that many (pipewise partition -p " +
                           std::to_string(problem.model_stages()) + " --write-costs FILE)");
  }
  const std::uint32_t stages = problem.stages();
  const double v = problem.stages_per_device_share();
  StageCosts per_chunk = config.device_share;
  if (Status status = first_failure(
          {time_status(per_chunk.forward, "forward time"),
           time_status(per_chunk.backward_input, "backward_input time"),
           time_status(per_chunk.backward_weight, "backward_weight time"),
           time_status(per_chunk.optimizer_step, "optimizer_step time"),
           time_status(per_chunk.stashing_step_time(), "stashing_step time")});
      !status.ok()) {
    return status;
  }
  per_chunk.forward /= v;
  per_chunk.backward_input /= v;
  per_chunk.backward_weight /= v;
  per_chunk.optimizer_step /= v;
  if (per_chunk.stashing_step) *per_chunk.stashing_step /= v;

  CostModel model(problem, per_chunk);
  for (std::size_t i = 0; i < config.stages.size(); ++i) {
    const StageOverride& entry = config.stages[i];
    const std::string where = "$.stages[" + std::to_string(i) + "]";
    if (entry.stage >= problem.model_stages()) {
      return Status::failure(where + ".stage = " + std::to_string(entry.stage) +
                             " is outside 0.." + std::to_string(problem.model_stages() - 1));
    }
    Result<StageCosts> costs = entry.costs.apply_to(model.stages_[entry.stage], where.c_str());
    if (!costs.ok()) return costs.status();
    model.stages_[entry.stage] = *costs;
    if (entry.costs.recompute_forward) {
      model.reruns_[entry.stage] = *entry.costs.recompute_forward;
      model.has_rerun_override_[entry.stage] = true;
    }
    if (problem.bidirectional()) {  // both copies of a model stage cost the same
      const std::uint32_t mirror = problem.mirror_stage(entry.stage);
      model.stages_[mirror] = model.stages_[entry.stage];
      model.reruns_[mirror] = model.reruns_[entry.stage];
      model.has_rerun_override_[mirror] = model.has_rerun_override_[entry.stage];
    }
  }
  for (std::size_t i = 0; i < config.devices.size(); ++i) {
    const DeviceSlowdown& entry = config.devices[i];
    const std::string where = "$.devices[" + std::to_string(i) + "]";
    if (entry.device >= problem.devices) {
      return Status::failure(where + ".device = " + std::to_string(entry.device) +
                             " is outside 0.." + std::to_string(problem.devices - 1));
    }
    if (!std::isfinite(entry.factor) || entry.factor <= 0) {
      return Status::failure(where + ".slowdown must be a finite number > 0 (got " +
                             number(entry.factor) + ")");
    }
    for (std::uint32_t stage = 0; stage < stages; ++stage) {
      if (problem.device_of_stage(stage) != entry.device) continue;
      StageCosts& costs = model.stages_[stage];
      costs.forward *= entry.factor;
      costs.backward_input *= entry.factor;
      costs.backward_weight *= entry.factor;
      costs.optimizer_step *= entry.factor;
      if (costs.stashing_step) *costs.stashing_step *= entry.factor;
      model.reruns_[stage] *= entry.factor;
    }
  }
  for (std::uint32_t stage = 0; stage < stages; ++stage) {
    if (!model.has_rerun_override_[stage]) model.reruns_[stage] = model.stages_[stage].forward;
  }
  for (std::size_t i = 0; i < config.ops.size(); ++i) {
    const OpTimeOverride& entry = config.ops[i];
    const std::string where = "$.ops[" + std::to_string(i) + "]";
    if (!is_compute(entry.kind)) {
      return Status::failure(where +
                             ".kind must be forward, backward, backward_input or backward_weight");
    }
    if (entry.stage >= stages || entry.microbatch >= problem.microbatches ||
        entry.iteration >= problem.iterations) {
      return Status::failure(where + " names stage " + std::to_string(entry.stage) +
                             ", micro-batch " + std::to_string(entry.microbatch) + ", iteration " +
                             std::to_string(entry.iteration) + " outside the problem (p*v = " +
                             std::to_string(stages) + ", m = " +
                             std::to_string(problem.microbatches) + ", n = " +
                             std::to_string(problem.iterations) + ")");
    }
    if (Status status = time_status(entry.time_ms, where + ".time"); !status.ok()) return status;
    Op op;
    op.stage = static_cast<std::uint16_t>(entry.stage);
    op.microbatch = entry.microbatch;
    op.iteration = entry.iteration;
    model.op_overrides_[model.override_key(entry.kind, op)] = entry.time_ms;
  }

  const OverlapCosts& overlap = config.overlap;
  if (!(overlap.efficiency >= 0 && overlap.efficiency <= 1)) {
    return Status::failure("overlap efficiency must be between 0 and 1 (got " +
                           number(overlap.efficiency) + ")");
  }
  model.overlap_efficiency_ = overlap.efficiency;
  for (std::size_t i = 0; i < overlap.pairs.size(); ++i) {
    const PairTimeOverride& entry = overlap.pairs[i];
    const std::string where = "$.overlap.pairs[" + std::to_string(i) + "]";
    if (entry.forward_stage >= stages || entry.backward_stage >= stages) {
      return Status::failure(where + " names stages " + std::to_string(entry.forward_stage) +
                             " and " + std::to_string(entry.backward_stage) +
                             " outside 0.." + std::to_string(stages - 1));
    }
    if (Status status = time_status(entry.time_ms, where + ".time"); !status.ok()) return status;
    model.pair_overrides_[std::uint64_t{entry.forward_stage} * stages + entry.backward_stage] =
        entry.time_ms;
  }

  const CommunicationCosts& comm = config.communication;
  if (Status status = first_failure({time_status(comm.latency_ms, "communication latency"),
                                     size_status(comm.bandwidth_gb_per_s, "bandwidth"),
                                     size_status(comm.activation_bytes, "activation bytes"),
                                     size_status(comm.gradient_bytes, "gradient bytes")});
      !status.ok()) {
    return status;
  }
  model.communication_ = comm;
  model.activation_occupancy_ms_ = comm.occupancy_ms(comm.activation_bytes);
  model.gradient_occupancy_ms_ = comm.occupancy_ms(comm.gradient_bytes);

  const DataParallelCosts& dp = config.data_parallel;
  if (dp.replicas == 0) return Status::failure("data-parallel replicas must be at least 1");
  if (Status status =
          first_failure({time_status(dp.latency_ms, "data-parallel latency"),
                         size_status(dp.bandwidth_gb_per_s, "data-parallel bandwidth")});
      !status.ok()) {
    return status;
  }
  model.data_parallel_ = dp;

  const MemoryConfig& memory = config.memory;
  // Parameter bytes too large to count are blamed on themselves, before the optimizer
  // state derived from them (a multiple of them, perhaps past a double) is checked.
  if (std::isfinite(memory.parameter_bytes) && memory.parameter_bytes >= 0) {
    if (Result<std::uint64_t> bytes = bytes_from_double(memory.parameter_bytes, "parameter bytes");
        !bytes.ok()) {
      return bytes.status();
    }
  }
  const double optimizer_state = memory.optimizer_state_bytes.value_or(
      optimizer_state_multiple(memory.optimizer) * memory.parameter_bytes);
  const double gradients = memory.gradient_bytes.value_or(memory.parameter_bytes);
  if (Status status = first_failure(
          {size_status(memory.parameter_bytes, "parameter bytes"),
           size_status(gradients, "gradient bytes"),
           size_status(optimizer_state, "optimizer state bytes"),
           size_status(memory.layers, "layers"),
           size_status(memory.activation_bytes_per_layer, "activation bytes per layer"),
           size_status(memory.working_set_factor, "working-set factor"),
           size_status(memory.step_working_bytes, "step working bytes")});
      !status.ok()) {
    return status;
  }
  if (!(memory.weight_gradient_fraction >= 0 && memory.weight_gradient_fraction <= 1)) {
    return Status::failure("weight-gradient fraction must be between 0 and 1 (got " +
                           number(memory.weight_gradient_fraction) + ")");
  }
  model.recompute_ = memory.recompute;
  // Each size is checked undivided, under the name the user gave it, so that a value too
  // large to count as bytes is blamed on the input that made it (common/numeric).
  const double stash = memory.layers * memory.activation_bytes_per_layer;
  const std::string optimizer_state_name =
      memory.optimizer_state_bytes ? "optimizer state bytes"
                                   : "optimizer state bytes (the optimizer's multiple of the "
                                     "parameter bytes)";
  for (const auto& [value, what] :
       {std::pair<double, std::string>{memory.parameter_bytes, "parameter bytes"},
        {optimizer_state, optimizer_state_name},
        {gradients, "gradient bytes"},
        {stash, "stashed activation bytes (layers x activation bytes per layer)"},
        {comm.activation_bytes, "activation bytes"},
        {memory.working_set_factor * stash,
         "recomputation working set (working-set factor x layers x activation bytes per layer)"},
        {memory.step_working_bytes, "step working bytes"}}) {
    if (Result<std::uint64_t> bytes = bytes_from_double(value, what); !bytes.ok()) {
      return bytes.status();
    }
  }
  const auto bytes_of = [](double value) { return bytes_from_double(value, "").value(); };
  StageMemory stage_memory;
  stage_memory.parameter_bytes = bytes_of(memory.parameter_bytes / v);
  stage_memory.gradient_bytes = bytes_of(gradients / v);
  stage_memory.optimizer_state_bytes = bytes_of(optimizer_state / v);
  const double chunk_stash = memory.layers / v * memory.activation_bytes_per_layer;
  stage_memory.stash_bytes = bytes_of(chunk_stash);
  stage_memory.boundary_bytes = bytes_of(comm.activation_bytes);
  stage_memory.working_set_bytes = bytes_of(memory.working_set_factor * chunk_stash);
  stage_memory.step_working_bytes = bytes_of(memory.step_working_bytes / v);
  model.memory_.assign(stages, stage_memory);
  for (std::size_t i = 0; i < config.stages.size(); ++i) {
    const StageMemoryOverride& given = config.stages[i].memory;
    StageMemory& resolved = model.memory_[config.stages[i].stage];
    const std::string where = "stage " + std::to_string(config.stages[i].stage) + "'s ";
    const std::pair<const std::optional<double>*, std::uint64_t*> fields[] = {
        {&given.parameter_bytes, &resolved.parameter_bytes},
        {&given.gradient_bytes, &resolved.gradient_bytes},
        {&given.optimizer_state_bytes, &resolved.optimizer_state_bytes},
        {&given.stash_bytes, &resolved.stash_bytes},
        {&given.checkpoint_bytes, &resolved.boundary_bytes},
        {&given.working_set_bytes, &resolved.working_set_bytes},
        {&given.step_working_bytes, &resolved.step_working_bytes}};
    const char* const names[] = {"parameter bytes", "gradient bytes", "optimizer state bytes",
                                 "stash bytes", "checkpoint bytes", "working-set bytes",
                                 "step working bytes"};
    for (std::size_t f = 0; f < std::size(fields); ++f) {
      if (!fields[f].first->has_value()) continue;
      const double bytes = **fields[f].first;
      Result<std::uint64_t> counted = bytes_from_double(bytes, where + names[f]);
      if (!counted.ok()) return counted.status();
      *fields[f].second = counted.value();
    }
    // Without gradient sizes anywhere, a stage's gradient buffer is as large as its weights.
    if (!given.gradient_bytes && !memory.gradient_bytes) {
      resolved.gradient_bytes = resolved.parameter_bytes;
    }
    // Each copy of a bidirectional model stage holds its own weights and activations.
    if (problem.bidirectional()) {
      model.memory_[problem.mirror_stage(config.stages[i].stage)] = resolved;
    }
  }
  for (StageMemory& resolved : model.memory_) {
    const double freed_by_w = memory.recompute ? static_cast<double>(resolved.working_set_bytes)
                                               : static_cast<double>(resolved.stash_bytes);
    resolved.weight_gradient_bytes = bytes_of(memory.weight_gradient_fraction * freed_by_w);
  }
  return model;
}

CostModel resolve_costs(const CostConfig& config, const Problem& problem) {
  return try_resolve_costs(config, problem).value_or_throw();
}

Optimizer optimizer_from_name(const std::string& name) {
  if (name == "sgd") return Optimizer::Sgd;
  if (name == "momentum") return Optimizer::Momentum;
  if (name == "adam") return Optimizer::Adam;
  throw Error("unknown optimizer \"" + name + "\" (expected sgd, momentum or adam)");
}

CommMode comm_mode_from_name(const std::string& name) {
  if (name == "overlapped") return CommMode::Overlapped;
  if (name == "blocking") return CommMode::Blocking;
  throw Error("unknown communication mode \"" + name + "\" (expected overlapped or blocking)");
}

}  // namespace pipewise::sim
