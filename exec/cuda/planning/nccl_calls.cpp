#include "exec/cuda/planning/nccl_calls.hpp"

namespace pipewise::exec::cuda {

std::vector<NcclCall> nccl_call_sequence(const TransferPlan& plan, std::uint32_t device) {
  std::vector<NcclCall> calls;
  for (const CommStep& step : plan.steps[device]) {
    if (step.route != Route::Nccl) continue;
    if (step.opens_group) calls.push_back({NcclCall::Kind::GroupStart, 0, Op{}});
    calls.push_back({is_send(step.op.kind) ? NcclCall::Kind::Send : NcclCall::Kind::Recv,
                     step.peer_device, step.op});
    if (step.closes_group) calls.push_back({NcclCall::Kind::GroupEnd, 0, Op{}});
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
