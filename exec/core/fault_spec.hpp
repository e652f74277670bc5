#pragma once
#include <string_view>

#include "common/ir/schedule.hpp"
#include "exec/core/fault_plan.hpp"

namespace pipewise::exec {

// Adds to `plan` the fault that `spec` states in its text form KIND@DEVICE:OP[:ARG] (the
// form `pipewise run --inject-fault` takes), aimed at lowered `schedule`. KIND is one of
//   throw      OP throws ("injected failure") instead of running
//   delay      OP starts ARG milliseconds late (ARG required, 0 to 3600000)
//   kill       DEVICE's worker dies right before OP
//   drop       the message of send op OP is lost (its receive waits until its deadline)
//   corrupt    the message of send op OP has a bit flipped (caught only with checksums)
//   fail-send  the send op OP fails
// OP is an op of DEVICE's program as op_label writes it, PyTorch's action notation: 0F1,
// 1B0, 0SEND_F2, 1RECV_B3, 1STEP (the stage's first step); in iteration i micro-batch mb is
// numbered i*m + mb. Throws pipewise::Error naming the problem (bad syntax, an unknown
// kind, a device outside the schedule, an op not in the device's program, a message fault
// on an op that is not a send, a missing or unwanted ARG); `plan` is then unchanged.
void add_fault_from_text(FaultPlan& plan, std::string_view spec, const Schedule& schedule);

}  // namespace pipewise::exec
