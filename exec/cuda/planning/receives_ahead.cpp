#include "exec/cuda/planning/receives_ahead.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "exec/cuda/planning/transfer_plan.hpp"

namespace pipewise::exec::cuda {
namespace {

// Moves the ops at `positions` (ascending) of `program` to just before position
// `insert_at`, keeping their order. REQUIRES: insert_at <= positions.front(), so every op
// moves earlier (or stays) and the loop of post_receives_ahead ends.
void move_earlier(std::vector<Op>& program, const std::vector<std::size_t>& positions, std::size_t insert_at) {
  std::vector<Op> moved;
  std::vector<Op> rest;
  std::size_t next = 0;
  for (std::size_t i = 0; i < program.size(); ++i) {
    if (next < positions.size() && positions[next] == i) {
      moved.push_back(program[i]);
      ++next;
    } else {
      rest.push_back(program[i]);
    }
  }
  rest.insert(rest.begin() + static_cast<std::ptrdiff_t>(insert_at), moved.begin(), moved.end());
  program = std::move(rest);
}

// The program position just after the last step of the group device `device` stopped in.
std::size_t after_current_group(const TransferPlan& plan, const NcclStall& stall, std::uint32_t device) {
  std::size_t step = stall.group_start[device];
  while (!plan.steps[device][step].closes_group) ++step;
  return plan.steps[device][step].position + 1;
}

// NCCL pairs the k-th send from one rank to another with the k-th receive there. Where a
// receiving device takes its messages from a sender in another order than they are sent,
// moves the receive of the first message out of order just before the receive that took
// its place; returns whether it moved one.
bool receive_in_send_order(Schedule& schedule, const TransferPlan& plan) {
  const std::uint32_t devices = static_cast<std::uint32_t>(plan.steps.size());
  for (std::uint32_t sender = 0; sender < devices; ++sender) {
    for (std::uint32_t receiver = 0; receiver < devices; ++receiver) {
      const NcclPairMessages pair = nccl_pair_messages(plan, sender, receiver);
      const std::optional<std::size_t> k = pair.first_out_of_order();
      if (!k) continue;
      const MessageKey wanted = message_key(pair.sends[*k]->op);
      for (std::size_t j = *k + 1; j < pair.receives.size(); ++j) {
        if (!(message_key(pair.receives[j]->op) == wanted)) continue;
        move_earlier(schedule.programs[receiver], {pair.receives[j]->position}, pair.receives[*k]->position);
        return true;
      }
      return false;  // a message with no receive: plan_transfers names it
    }
  }
  return false;
}

}  // namespace

Schedule post_receives_ahead(const Schedule& schedule) {
  std::vector<int> own_gpu(schedule.programs.size());
  std::iota(own_gpu.begin(), own_gpu.end(), 0);
  Schedule result = schedule;
  for (;;) {
    const TransferPlan plan = route_transfers(result, own_gpu, TransportChoice::Nccl);
    if (receive_in_send_order(result, plan)) continue;
    const NcclStall stall = play_nccl_groups(result, plan);
    // A rank blocked on a send whose receive its peer posts later: that receive joins the
    // group the peer is blocked in (its send is posted, so it completes there).
    std::vector<std::vector<std::size_t>> hoisted(result.programs.size());
    for (const NcclWait& wait : stall.waits) {
      if (!is_send(plan.steps[wait.device][wait.step].op.kind)) continue;
      hoisted[wait.peer].push_back(plan.steps[wait.peer][wait.peer_step].position);
    }
    bool moved = false;
    for (std::uint32_t device = 0; device < hoisted.size(); ++device) {
      std::vector<std::size_t>& positions = hoisted[device];
      if (positions.empty()) continue;
      std::sort(positions.begin(), positions.end());
      move_earlier(result.programs[device], positions, after_current_group(plan, stall, device));
      moved = true;
    }
    if (!moved) break;
  }
  // The same checks as the run's own planning: a wait nothing resolved, or messages NCCL
  // cannot pair by order, end here with plan_transfers's one line.
  plan_transfers(result, own_gpu, TransportChoice::Nccl);
  return result;
}

}  // namespace pipewise::exec::cuda
