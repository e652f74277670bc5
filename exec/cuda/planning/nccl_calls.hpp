#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/op.hpp"
#include "common/ir/schedule.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"

namespace pipewise::exec::cuda {

// One NCCL call a rank makes.
struct NcclCall {
  enum class Kind : std::uint8_t { GroupStart, Send, Recv, GroupEnd, AllReduce };
  Kind kind = Kind::GroupStart;
  std::uint32_t peer = 0;  // Send, Recv: the other rank of the pipeline group
  Op op;                   // Send, Recv: the program's op; AllReduce: the optimizer step
  friend bool operator==(const NcclCall&, const NcclCall&) = default;
};

// The NCCL calls pipeline device `device` makes, in order, for the Route::Nccl steps of
// `plan` (loopback and copy steps make no cross-rank calls): each group is GroupStart,
// its sends and receives in program order, GroupEnd. REQUIRES: device < plan.steps.size().
std::vector<NcclCall> nccl_call_sequence(const TransferPlan& plan, std::uint32_t device);

// The NCCL calls rank `device` of a multi-process run makes, in order: those of
// nccl_call_sequence on the pipeline group and, with `replicas` > 1, an AllReduce of the
// stage's gradient on the data-parallel group just before each optimizer step of its
// program (the step applies the average). REQUIRES: `plan` planned from `schedule`.
std::vector<NcclCall> rank_nccl_call_sequence(const Schedule& schedule, const TransferPlan& plan,
                                              std::uint32_t device, std::uint32_t replicas);

// One line per call, for reports and test failures: "group_start", "send 0F3 to 1",
// "recv 1B3 from 2", "group_end", "all_reduce 0STEP" (op labels as op_label prints them).
std::string describe_nccl_calls(const std::vector<NcclCall>& calls,
                                std::uint32_t microbatches_per_iteration);

}  // namespace pipewise::exec::cuda
