#include "common/ir/lower.hpp"

#include "common/ir/dependencies.hpp"

namespace pipewise {
namespace {

// The recv that brings `op` its input from another device, if it needs one.
bool needs_recv(const Op& op, const Problem& problem, std::size_t device, Op& recv) {
  const auto producer = cross_stage_producer(op, problem);
  if (!producer || problem.device_of_stage(producer->stage) == device) return false;
  recv = op;
  recv.flags = 0;
  recv.kind = op.kind == OpKind::Forward ? OpKind::RecvActivation : OpKind::RecvGrad;
  return true;
}

// The send that carries `op`'s output to another device, if it has one.
bool needs_send(const Op& op, const Problem& problem, std::size_t device, Op& send) {
  const bool sends_activation = op.kind == OpKind::Forward && !problem.ends_pipeline(op.stage) &&
                                problem.device_of_stage(op.stage + 1u) != device;
  const bool sends_grad = produces_input_grad(op.kind) && !problem.starts_pipeline(op.stage) &&
                          problem.device_of_stage(op.stage - 1u) != device;
  if (!sends_activation && !sends_grad) return false;
  send = op;
  send.flags = 0;
  send.kind = sends_activation ? OpKind::SendActivation : OpKind::SendGrad;
  return true;
}

}  // namespace

Schedule lower_communication(const Schedule& schedule) {
  if (schedule.is_lowered()) return schedule;
  const Problem& problem = schedule.problem;
  Schedule lowered{schedule.name, problem, {}};
  lowered.programs.resize(schedule.programs.size());
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    const auto& program = schedule.programs[device];
    auto& out = lowered.programs[device];
    out.reserve(program.size() * 2);
    for (std::size_t position = 0; position < program.size(); ++position) {
      // An overlapped pair (op.hpp) is lowered as one: both receives, the two ops, both sends.
      const std::size_t count =
          overlaps_next(program[position]) && position + 1 < program.size() ? 2 : 1;
      Op message;
      for (std::size_t k = 0; k < count; ++k) {
        if (needs_recv(program[position + k], problem, device, message)) out.push_back(message);
      }
      for (std::size_t k = 0; k < count; ++k) out.push_back(program[position + k]);
      for (std::size_t k = 0; k < count; ++k) {
        if (needs_send(program[position + k], problem, device, message)) out.push_back(message);
      }
      position += count - 1;
    }
  }
  return lowered;
}

}  // namespace pipewise
