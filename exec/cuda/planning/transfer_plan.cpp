#include "exec/cuda/planning/transfer_plan.hpp"

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "common/ir/dependencies.hpp"
#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {
namespace {

using MessageTuple = std::tuple<bool, std::uint32_t, std::uint32_t, std::uint32_t>;
MessageTuple as_tuple(const MessageKey& key) {
  return {key.gradient, key.boundary, key.microbatch, key.iteration};
}

struct Endpoint {
  std::uint32_t device = 0;
  std::size_t step = 0;  // index into steps[device]
};

// Both ends of each message, keyed by the message.
struct MessageEnds {
  bool has_send = false;
  bool has_recv = false;
  Endpoint send;
  Endpoint recv;
};

std::string label(const Op& op, const Problem& problem) {
  return op_label(op, problem.microbatches);
}

Route route_between(int sender_gpu, int receiver_gpu, TransportChoice choice) {
  const bool same_gpu = sender_gpu == receiver_gpu;
  switch (choice) {
    case TransportChoice::Copy: return Route::Copy;
    case TransportChoice::Nccl: return same_gpu ? Route::NcclLoopback : Route::Nccl;
    case TransportChoice::Auto: break;
  }
  return same_gpu ? Route::Copy : Route::Nccl;
}

std::map<MessageTuple, MessageEnds> match_messages(const Schedule& schedule,
                                                   const TransferPlan& plan) {
  const Problem& problem = schedule.problem;
  std::map<MessageTuple, MessageEnds> messages;
  for (std::uint32_t d = 0; d < plan.steps.size(); ++d) {
    for (std::size_t i = 0; i < plan.steps[d].size(); ++i) {
      const Op& op = plan.steps[d][i].op;
      MessageEnds& ends = messages[as_tuple(message_key(op))];
      bool& seen = is_send(op.kind) ? ends.has_send : ends.has_recv;
      if (seen) {
        throw Error("message of " + label(op, problem) + " on device " + std::to_string(d) +
                    " is " + (is_send(op.kind) ? "sent" : "received") + " twice");
      }
      seen = true;
      (is_send(op.kind) ? ends.send : ends.recv) = {d, i};
    }
  }
  for (const auto& [key, ends] : messages) {
    if (ends.has_send && ends.has_recv) continue;
    const Endpoint& present = ends.has_send ? ends.send : ends.recv;
    const CommStep& step = plan.steps[present.device][present.step];
    throw Error(std::string(ends.has_send ? "send " : "receive ") + label(step.op, problem) +
                " on device " + std::to_string(present.device) + " has no matching " +
                (ends.has_send ? "receive" : "send") + " on device " +
                std::to_string(step.peer_device));
  }
  return messages;
}

// NCCL pairs the k-th send from a to b with the k-th receive on b from a.
void check_nccl_order(const Schedule& schedule, const TransferPlan& plan) {
  const std::uint32_t devices = static_cast<std::uint32_t>(plan.steps.size());
  for (std::uint32_t a = 0; a < devices; ++a) {
    for (std::uint32_t b = 0; b < devices; ++b) {
      const NcclPairMessages pair = nccl_pair_messages(plan, a, b);
      const std::optional<std::size_t> k = pair.first_out_of_order();
      if (!k) continue;
      throw Error("NCCL pairs messages by order, but device " + std::to_string(a) + " sends " +
                  label(pair.sends[*k]->op, schedule.problem) + " as its message #" +
                  std::to_string(*k) + " to device " + std::to_string(b) + ", which receives " +
                  label(pair.receives[*k]->op, schedule.problem) + " as #" + std::to_string(*k));
    }
  }
}

void mark_groups(TransferPlan& plan) {
  for (auto& steps : plan.steps) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].route != Route::Nccl) continue;
      const auto joins = [&](std::size_t a, std::size_t b) {
        return steps[a].route == Route::Nccl && steps[b].position == steps[a].position + 1;
      };
      steps[i].opens_group = i == 0 || !joins(i - 1, i);
      steps[i].closes_group = i + 1 == steps.size() || !joins(i, i + 1);
    }
  }
}

std::string describe_waits(const Schedule& schedule, const TransferPlan& plan, const NcclStall& stall) {
  std::string waits;
  std::uint32_t last_device = 0;
  for (const NcclWait& wait : stall.waits) {
    if (!waits.empty() && wait.device == last_device) continue;  // each rank's first wait
    last_device = wait.device;
    waits += std::string(waits.empty() ? "" : "; ") + "device " + std::to_string(wait.device) +
             " waits on " + label(plan.steps[wait.device][wait.step].op, schedule.problem) +
             " until device " + std::to_string(wait.peer) + " posts " +
             label(plan.steps[wait.peer][wait.peer_step].op, schedule.problem);
  }
  return waits;
}

}  // namespace

NcclPairMessages nccl_pair_messages(const TransferPlan& plan, std::uint32_t sender, std::uint32_t receiver) {
  NcclPairMessages pair;
  for (const CommStep& step : plan.steps[sender]) {
    if (step.route == Route::Nccl && is_send(step.op.kind) && step.peer_device == receiver) {
      pair.sends.push_back(&step);
    }
  }
  for (const CommStep& step : plan.steps[receiver]) {
    if (step.route == Route::Nccl && is_recv(step.op.kind) && step.peer_device == sender) {
      pair.receives.push_back(&step);
    }
  }
  return pair;
}

std::optional<std::size_t> NcclPairMessages::first_out_of_order() const {
  for (std::size_t k = 0; k < sends.size() && k < receives.size(); ++k) {
    if (!(message_key(sends[k]->op) == message_key(receives[k]->op))) return k;
  }
  return std::nullopt;
}

NcclStall play_nccl_groups(const Schedule& schedule, const TransferPlan& plan) {
  const auto messages = match_messages(schedule, plan);
  const std::uint32_t devices = static_cast<std::uint32_t>(plan.steps.size());
  std::vector<std::vector<bool>> posted(devices);
  NcclStall stall;
  std::vector<std::size_t>& next = stall.group_start;  // first step of the current group
  next.assign(devices, 0);
  for (std::uint32_t d = 0; d < devices; ++d) posted[d].assign(plan.steps[d].size(), false);
  const auto skip_non_nccl = [&](std::uint32_t d) {
    while (next[d] < plan.steps[d].size() && plan.steps[d][next[d]].route != Route::Nccl) ++next[d];
  };
  const auto group_end = [&](std::uint32_t d) {
    std::size_t end = next[d];
    while (!plan.steps[d][end].closes_group) ++end;
    return end + 1;
  };
  const auto counterpart = [&](const CommStep& step) {
    const MessageEnds& ends = messages.at(as_tuple(message_key(step.op)));
    return is_send(step.op.kind) ? ends.recv : ends.send;
  };
  // A rank posts a group as it reaches it, before any rank looks at its own group again.
  const auto reach_next_group = [&](std::uint32_t d) {
    skip_non_nccl(d);
    if (next[d] == plan.steps[d].size()) return;
    for (std::size_t i = next[d]; i < group_end(d); ++i) posted[d][i] = true;
  };
  for (std::uint32_t d = 0; d < devices; ++d) reach_next_group(d);
  bool progressed = true;
  while (progressed) {
    progressed = false;
    for (std::uint32_t d = 0; d < devices; ++d) {
      if (next[d] == plan.steps[d].size()) continue;
      const std::size_t end = group_end(d);
      bool complete = true;
      for (std::size_t i = next[d]; i < end && complete; ++i) {
        const Endpoint other = counterpart(plan.steps[d][i]);
        complete = posted[other.device][other.step];
      }
      if (!complete) continue;
      next[d] = end;
      reach_next_group(d);
      progressed = true;
    }
  }
  for (std::uint32_t d = 0; d < devices; ++d) {
    if (next[d] == plan.steps[d].size()) continue;
    for (std::size_t i = next[d]; i < group_end(d); ++i) {
      const Endpoint other = counterpart(plan.steps[d][i]);
      if (!posted[other.device][other.step]) stall.waits.push_back({d, i, other.device, other.step});
    }
  }
  return stall;
}

namespace {

// Throws when some rank's NCCL groups can never complete (play_nccl_groups).
void check_nccl_progress(const Schedule& schedule, const TransferPlan& plan) {
  const NcclStall stall = play_nccl_groups(schedule, plan);
  if (stall.waits.empty()) return;
  throw Error("the NCCL groups of this schedule deadlock: " + describe_waits(schedule, plan, stall));
}

}  // namespace

std::string_view transport_choice_name(TransportChoice choice) {
  switch (choice) {
    case TransportChoice::Copy: return "copy";
    case TransportChoice::Nccl: return "nccl";
    case TransportChoice::Auto: break;
  }
  return "auto";
}

TransportChoice transport_choice_from_name(std::string_view name) {
  for (TransportChoice choice : {TransportChoice::Auto, TransportChoice::Copy, TransportChoice::Nccl}) {
    if (transport_choice_name(choice) == name) return choice;
  }
  throw Error("unknown transport \"" + std::string(name) + "\" (expected auto, copy or nccl)");
}

std::string_view route_name(Route route) {
  switch (route) {
    case Route::Nccl: return "nccl";
    case Route::NcclLoopback: return "nccl-loopback";
    case Route::Copy: break;
  }
  return "copy";
}

MessageKey message_key(const Op& op) {
  const bool gradient = op.kind == OpKind::SendGrad || op.kind == OpKind::RecvGrad;
  // The lower stage of the boundary: the sender of an activation, the receiver of a gradient.
  const bool at_lower_end = op.kind == OpKind::SendActivation || op.kind == OpKind::RecvGrad;
  const std::uint32_t boundary = at_lower_end ? op.stage : op.stage - 1u;
  return {gradient, boundary, op.microbatch, op.iteration};
}

bool TransferPlan::uses_nccl() const {
  for (const auto& device : steps) {
    for (const CommStep& step : device) {
      if (step.route == Route::Nccl) return true;
    }
  }
  return false;
}

bool TransferPlan::uses_nccl_loopback() const {
  for (const auto& device : steps) {
    for (const CommStep& step : device) {
      if (step.route == Route::NcclLoopback) return true;
    }
  }
  return false;
}

TransferPlan route_transfers(const Schedule& schedule, const std::vector<int>& gpu_of_device,
                             TransportChoice choice) {
  if (gpu_of_device.size() != schedule.programs.size()) {
    throw Error("transfer planning got GPUs for " + std::to_string(gpu_of_device.size()) +
                " devices but the schedule has " + std::to_string(schedule.programs.size()));
  }
  const Problem& problem = schedule.problem;
  TransferPlan plan;
  plan.steps.resize(schedule.programs.size());
  for (std::uint32_t d = 0; d < schedule.programs.size(); ++d) {
    const auto& program = schedule.programs[d];
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      if (!is_communication(op.kind)) continue;
      const std::uint32_t peer_stage_index = peer_stage(op);
      if (peer_stage_index >= problem.stages()) {
        throw Error("op " + label(op, problem) + " on device " + std::to_string(d) +
                    " has no peer stage");
      }
      const std::uint32_t peer = problem.device_of_stage(peer_stage_index);
      if (peer == d) {
        throw Error("op " + label(op, problem) + " on device " + std::to_string(d) +
                    " sends to its own device");
      }
      const bool sends = is_send(op.kind);
      const Route route = route_between(gpu_of_device[sends ? d : peer],
                                        gpu_of_device[sends ? peer : d], choice);
      plan.steps[d].push_back({position, op, peer, route, false, false});
    }
  }
  const auto messages = match_messages(schedule, plan);
  for (const auto& [key, ends] : messages) {
    const CommStep& send = plan.steps[ends.send.device][ends.send.step];
    const CommStep& recv = plan.steps[ends.recv.device][ends.recv.step];
    if (send.peer_device != ends.recv.device || recv.peer_device != ends.send.device) {
      throw Error("send " + label(send.op, problem) + " on device " +
                  std::to_string(ends.send.device) + " is received on device " +
                  std::to_string(ends.recv.device) + ", not on the device of its peer stage");
    }
  }
  mark_groups(plan);
  return plan;
}

TransferPlan plan_transfers(const Schedule& schedule, const std::vector<int>& gpu_of_device,
                            TransportChoice choice) {
  TransferPlan plan = route_transfers(schedule, gpu_of_device, choice);
  if (!plan.uses_nccl()) return plan;
  try {
    check_nccl_order(schedule, plan);
    check_nccl_progress(schedule, plan);
  } catch (const Error& refusal) {
    if (choice != TransportChoice::Auto) throw;
    TransferPlan copies = route_transfers(schedule, gpu_of_device, TransportChoice::Copy);
    copies.nccl_refusal = refusal.what();
    return copies;
  }
  return plan;
}

}  // namespace pipewise::exec::cuda
