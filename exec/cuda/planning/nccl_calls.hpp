#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/op.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"

namespace pipewise::exec::cuda {

// One NCCL call a rank makes.
struct NcclCall {
  enum class Kind : std::uint8_t { GroupStart, Send, Recv, GroupEnd };
  Kind kind = Kind::GroupStart;
  std::uint32_t peer = 0;  // Send, Recv: the other rank
  Op op;                   // Send, Recv: the program's op
  friend bool operator==(const NcclCall&, const NcclCall&) = default;
};

// The NCCL calls pipeline device `device` makes, in order, for the Route::Nccl steps of
// `plan` (loopback and copy steps make no cross-rank calls): each group is GroupStart,
// its sends and receives in program order, GroupEnd. REQUIRES: device < plan.steps.size().
std::vector<NcclCall> nccl_call_sequence(const TransferPlan& plan, std::uint32_t device);

// One line per call, for reports and test failures: "group_start", "send 0F3 to 1",
// "recv 1B3 from 2", "group_end" (op labels as op_label prints them).
std::string describe_nccl_calls(const std::vector<NcclCall>& calls,
                                std::uint32_t microbatches_per_iteration);

}  // namespace pipewise::exec::cuda
