#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"

namespace pipewise {

// One broken rule found by validate_schedule. `rule` is a stable identifier:
//   "out-of-range"    an invalid problem, programs.size() != p, an op of unknown kind, or an
//                     op whose stage, micro-batch or iteration lies outside the problem
//   "wrong-device"    an op on a device that does not own its stage
//   "missing-op"      no F, or no backward (neither a B nor an I and a W), for a
//                     (stage, iteration, micro-batch); in a lowered schedule, a cross-device
//                     dependency with neither a send nor a recv
//   "duplicate-op"    the same op twice, or a B together with an I or a W
//   "unmatched-send"  a send whose recv is missing on the consumer's device
//   "unmatched-recv"  a recv whose send is missing on the producer's device
//   "bad-comm"        a send or recv for a dependency that does not exist (before the first
//                     or after the last stage) or does not cross devices
//   "deadlock"        a cycle of ops that each wait for the next
//   "weight-version"  a weight version that breaks the rules of weight_versions.hpp
//   "step-order"      an optimizer step before the B or W whose gradient it applies
// `message` is one line that names the ops involved, e.g. "1F3 appears twice (device 1
// positions 4 and 9)". For a deadlock it lists the ops of the shortest cycle through one
// of them in the order they would have to run, starting and ending at the same op, each as
// d<device>:<op label>: "d0:0B0 -> d0:0F1 -> d1:1F1 -> d1:1B0 -> d0:0B0" (0B0 waits for
// 1B0, which waits for 1F1, ...). In a cycle of more than 16 ops, each stretch of two or
// more ops that program order alone leads into and out of is shown as "(k more ops on dX)".
struct ValidationIssue {
  std::string rule;
  std::string message;
};

struct ValidationReport {
  // At most 20 issues per rule, in the order found; when a rule has more, a last issue of
  // that rule says how many more there are ("and 95 more missing-op issues not shown").
  std::vector<ValidationIssue> issues;
  std::vector<std::uint32_t> weight_versions_held;  // per device, when valid; else empty
  bool ok() const { return issues.empty(); }
};

// Checks a schedule, lowered or not:
//  - coverage: every (stage, micro-batch, iteration) has exactly one F and either exactly
//    one B or exactly one I and one W, each on the device that owns the stage;
//  - communication, when the schedule is lowered (Schedule::is_lowered): each cross-device
//    dependency (dependencies.hpp) is carried by one send on the producer's device matched
//    by one recv on the consumer's device, as lower_communication places them; sends and
//    recvs are matched by (stage, iteration, micro-batch), not by order;
//  - deadlock: the graph in which each op waits for its predecessor on its device and for
//    the ops whose data it consumes (through the recv and send when both exist, directly
//    otherwise; B and I both produce the input gradient) has no cycle. Sends are buffered
//    (never wait for their recv); recvs wait for their send. Built as a Boost.Graph
//    compressed_sparse_row_graph: O(ops) memory, 10^7 ops in seconds;
//  - weight versions follow weight_versions.hpp: an OptimizerStep of stage s replaces
//    version k, the number of earlier steps of s on its device; F reads the newest version
//    at its place; B, I, W and the sends and recvs of its micro-batch read the version its
//    F read;
//  - an optimizer step, dated by its micro-batch and iteration to the last backward whose
//    gradient it applies, comes after that B or W on the same device.
// When no rule is broken, fills weight_versions_held (weight_versions.hpp). Never throws
// for a malformed schedule: everything is an issue.
ValidationReport validate_schedule(const Schedule& schedule);

// "rule: message", the one-line form the CLI prints.
std::string format_issue(const ValidationIssue& issue);

}  // namespace pipewise
