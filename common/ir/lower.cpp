#include "common/ir/lower.hpp"

#include "common/ir/dependencies.hpp"

namespace pipewise {

Schedule lower_communication(const Schedule& schedule) {
  if (schedule.is_lowered()) return schedule;
  const Problem& problem = schedule.problem;
  Schedule lowered{schedule.name, problem, {}};
  lowered.programs.resize(schedule.programs.size());
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    const auto& program = schedule.programs[device];
    auto& out = lowered.programs[device];
    out.reserve(program.size() * 2);
    for (const Op& op : program) {
      if (const auto producer = cross_stage_producer(op, problem);
          producer && problem.device_of_stage(producer->stage) != device) {
        Op recv = op;
        recv.kind = op.kind == OpKind::Forward ? OpKind::RecvActivation : OpKind::RecvGrad;
        out.push_back(recv);
      }
      out.push_back(op);
      const bool sends_activation = op.kind == OpKind::Forward &&
                                    op.stage + 1u < problem.stages() &&
                                    problem.device_of_stage(op.stage + 1u) != device;
      const bool sends_grad = produces_input_grad(op.kind) && op.stage > 0 &&
                              problem.device_of_stage(op.stage - 1u) != device;
      if (sends_activation || sends_grad) {
        Op send = op;
        send.kind = sends_activation ? OpKind::SendActivation : OpKind::SendGrad;
        out.push_back(send);
      }
    }
  }
  return lowered;
}

}  // namespace pipewise
