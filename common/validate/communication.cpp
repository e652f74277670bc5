#include <string>

#include "common/ir/dependencies.hpp"
#include "common/validate/checks.hpp"

namespace pipewise {

Op counterpart(const Op& op) {
  Op other = op;
  other.stage = static_cast<std::uint16_t>(peer_stage(op));
  switch (op.kind) {
    case OpKind::SendActivation: other.kind = OpKind::RecvActivation; break;
    case OpKind::RecvActivation: other.kind = OpKind::SendActivation; break;
    case OpKind::SendGrad: other.kind = OpKind::RecvGrad; break;
    default: other.kind = OpKind::SendGrad; break;
  }
  return other;
}

namespace {

void check_comm_op(const OpTable& table, const Op& op, std::uint32_t device, IssueLog& log) {
  const Problem& problem = table.problem();
  // A send or recv without a peer on another device is a bad-comm issue the table reported.
  if (!has_peer_stage(op, problem)) return;
  const std::uint32_t peer = peer_stage(op);
  if (problem.device_of_stage(peer) == problem.device_of_stage(op.stage)) return;
  const auto where = [&] { return table.label(op) + " on device " + std::to_string(device); };
  const Op other = counterpart(op);
  if (table.find(other.kind, other) != kNoNode) return;
  log.report(is_send(op.kind) ? "unmatched-send" : "unmatched-recv", [&] {
    return where() + " has no matching " + table.label(other) + " on device " +
           std::to_string(problem.device_of_stage(peer));
  });
}

// In a lowered schedule, the dependency of `consumer` on `producer` (two nodes, or kNoNode)
// across devices must go through a send or a recv; report it when it has neither.
void check_carried(const OpTable& table, std::uint32_t producer, std::uint32_t consumer,
                   bool has_send, bool has_recv, IssueLog& log) {
  if (producer == kNoNode || consumer == kNoNode || has_send || has_recv) return;
  const Op& from = table.op(producer);
  const Op& to = table.op(consumer);
  const Problem& problem = table.problem();
  const std::uint32_t from_device = problem.device_of_stage(from.stage);
  const std::uint32_t to_device = problem.device_of_stage(to.stage);
  if (from_device == to_device) return;
  log.report("missing-op", [&] {
    const std::string pair = from.kind == OpKind::Forward ? "SEND_F/RECV_F" : "SEND_B/RECV_B";
    return "no " + pair + " pair carries " + table.label(from) + " on device " +
           std::to_string(from_device) + " to " + table.label(to) + " on device " +
           std::to_string(to_device);
  });
}

}  // namespace

void check_communication(const OpTable& table, IssueLog& log) {
  const Schedule& schedule = table.schedule();
  for (std::uint32_t device = 0; device < schedule.programs.size(); ++device) {
    for (const Op& op : schedule.programs[device]) {
      if (is_communication(op.kind) && table.in_problem(op)) check_comm_op(table, op, device, log);
    }
  }
  if (!schedule.is_lowered()) return;  // unlowered: cross-device dependencies are direct
  for (std::size_t row = 0; row < table.row_count(); ++row) {
    const SlotKey key = table.key_of_slot(table.slot_of_row(row));
    if (table.problem().ends_pipeline(key.stage)) continue;
    const SlotNodes& slot = table.row(row);
    const std::uint32_t next = key.stage + 1;
    check_carried(
        table, slot.of(OpKind::Forward),
        table.find(OpKind::Forward, next, key.iteration, key.microbatch),
        slot.has(OpKind::SendActivation),
        table.find(OpKind::RecvActivation, next, key.iteration, key.microbatch) != kNoNode, log);
    check_carried(table, table.find_input_grad_producer(next, key.iteration, key.microbatch),
                  table.find_input_grad_producer(key.stage, key.iteration, key.microbatch),
                  table.find(OpKind::SendGrad, next, key.iteration, key.microbatch) != kNoNode,
                  slot.has(OpKind::RecvGrad), log);
  }
}

}  // namespace pipewise
