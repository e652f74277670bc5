#pragma once
#include "common/validate/issue_log.hpp"
#include "common/validate/op_table.hpp"

// The rules validate_schedule checks, one function per rule family, each reporting to the
// log what it finds. All read the same OpTable.

namespace pipewise {

// The op at the other end of send or recv `op`: the recv of a send, the send of a recv.
// REQUIRES: is_communication(op.kind) and peer_stage(op) < 65536.
Op counterpart(const Op& op);

// "missing-op" and "duplicate-op": every (stage, iteration, micro-batch) has one F and
// either one B or one I and one W.
void check_coverage(const OpTable& table, IssueLog& log);

// "step-order": an optimizer step dated (stage, iteration, micro-batch) comes after the op
// that finishes that micro-batch's weight gradient (its B or its W) on the same device.
void check_step_order(const OpTable& table, IssueLog& log);

// "unmatched-send", "unmatched-recv", "bad-comm" and (in a lowered schedule) "missing-op":
// every cross-device dependency is carried by one send matched by one recv, and no send or
// recv serves a dependency that does not exist or does not cross devices.
void check_communication(const OpTable& table, IssueLog& log);

// "deadlock": the waits-for graph of program order and data dependencies has no cycle.
void check_deadlock(const OpTable& table, IssueLog& log);

// "weight-version": versions follow the rules of weight_versions.hpp.
void check_weight_versions(const OpTable& table, IssueLog& log);

}  // namespace pipewise
