#include "exec/cuda/planning/nccl_calls.hpp"

#include <cstddef>

namespace pipewise::exec::cuda {

namespace {

// The calls of one Route::Nccl step: its group's start, its send or receive, its group's end.
void append_step_calls(const CommStep& step, std::vector<NcclCall>& calls) {
  if (step.opens_group) calls.push_back({NcclCall::Kind::GroupStart, 0, Op{}});
  calls.push_back({is_send(step.op.kind) ? NcclCall::Kind::Send : NcclCall::Kind::Recv,
                   step.peer_device, step.op});
  if (step.closes_group) calls.push_back({NcclCall::Kind::GroupEnd, 0, Op{}});
}

}  // namespace

std::vector<NcclCall> nccl_call_sequence(const TransferPlan& plan, std::uint32_t device) {
  std::vector<NcclCall> calls;
  for (const CommStep& step : plan.steps[device]) {
    if (step.route == Route::Nccl) append_step_calls(step, calls);
  }
  return calls;
}

std::vector<NcclCall> rank_nccl_call_sequence(const Schedule& schedule, const TransferPlan& plan,
                                              std::uint32_t device, std::uint32_t replicas) {
  if (replicas <= 1) return nccl_call_sequence(plan, device);
  std::vector<NcclCall> calls;
  const std::vector<Op>& program = schedule.programs[device];
  const std::vector<CommStep>& steps = plan.steps[device];
  std::size_t comm = 0;  // the next step of `steps`, in program order
  for (std::size_t position = 0; position < program.size(); ++position) {
    const Op& op = program[position];
    if (op.kind == OpKind::OptimizerStep) calls.push_back({NcclCall::Kind::AllReduce, 0, op});
    if (comm >= steps.size() || steps[comm].position != position) continue;
    const CommStep& step = steps[comm++];
    if (step.route == Route::Nccl) append_step_calls(step, calls);
  }
  return calls;
}

std::string describe_nccl_calls(const std::vector<NcclCall>& calls,
                                std::uint32_t microbatches_per_iteration) {
  std::string text;
  for (const NcclCall& call : calls) {
    switch (call.kind) {
      case NcclCall::Kind::GroupStart: text += "group_start"; break;
      case NcclCall::Kind::GroupEnd: text += "group_end"; break;
      case NcclCall::Kind::Send:
        text += "send " + op_label(call.op, microbatches_per_iteration) + " to " +
                std::to_string(call.peer);
        break;
      case NcclCall::Kind::AllReduce:
        text += "all_reduce " + op_label(call.op, microbatches_per_iteration);
        break;
      case NcclCall::Kind::Recv:
        text += "recv " + op_label(call.op, microbatches_per_iteration) + " from " +
                std::to_string(call.peer);
        break;
    }
    text += '\n';
  }
  return text;
}

}  // namespace pipewise::exec::cuda
