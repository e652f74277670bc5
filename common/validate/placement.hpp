#pragma once
// Where an op may stand in a schedule: the rules every consumer checks before it trusts a
// schedule's indices. validate_schedule reports every op that breaks one; the simulator
// and the executor stop at the first (check_structure).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "common/ir/status.hpp"
#include "common/validate/validate.hpp"

namespace pipewise {

// "out-of-range" when the problem is invalid ("problem: ..."); nullopt otherwise.
std::optional<ValidationIssue> problem_issue(const Problem& problem);

// "out-of-range" when `schedule` has another number of programs than p; nullopt otherwise.
std::optional<ValidationIssue> program_count_issue(const Schedule& schedule);

// True when `op`'s stage, iteration and micro-batch lie inside `problem`, and its stage
// runs its micro-batch (Problem::runs_microbatch; FSDP ops carry none).
bool inside_problem(const Problem& problem, const Op& op);

// The rule `op`, on device `device`, breaks first: "out-of-range" (an unknown kind or
// flag; a stage, iteration or micro-batch outside the problem, or a micro-batch its stage
// does not run), "wrong-device" (a device that does not own its stage), "bad-overlap" (an
// overlap mark on an op that is not a forward) or "bad-comm" (a send or recv with no peer
// stage, or whose peer stage shares its device); nullptr when it breaks none. Cheap: no
// message is built. REQUIRES: problem is valid.
const char* placement_rule(const Problem& problem, std::uint32_t device, const Op& op);

// "bad-overlap" when the op at `position` of `program` is a forward marked to overlap with
// the next op (op.hpp, kOverlapWithNext) and there is no next op, the next op is not a B
// or an I, or it is the backward of the forward's own (stage, iteration, micro-batch);
// nullptr otherwise. REQUIRES: position < program.size().
const char* overlap_rule(const std::vector<Op>& program, std::size_t position);
// Its message. REQUIRES: overlap_rule(program, position) != nullptr.
std::string overlap_message(const Problem& problem, std::uint32_t device,
                            const std::vector<Op>& program, std::size_t position);

// The message of that rule for `op` at `position` of device `device`'s program, as
// validate_schedule reports it. REQUIRES: placement_rule(problem, device, op) != nullptr.
std::string placement_message(const Problem& problem, std::uint32_t device, std::size_t position,
                              const Op& op);

// The first structural fault of `schedule`, as "rule: message" (format_issue): an invalid
// problem, a program count other than p, an op that breaks a placement rule, or an
// overlapped pair without its partner (overlap_rule). One pass
// over the ops that allocates nothing unless it finds a fault. It does not look for
// missing, duplicate or unmatched ops, deadlocks or weight versions (validate_schedule
// does); it makes every index the simulator and the executor derive from an op safe.
Status check_structure(const Schedule& schedule);

}  // namespace pipewise
