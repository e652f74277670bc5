#pragma once
// Where an op may stand in a schedule: the rules every consumer checks before it trusts a
// schedule's indices. validate_schedule reports every op that breaks one; the simulator
// and the executor stop at the first (check_structure).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/ir/schedule.hpp"
#include "common/ir/status.hpp"
#include "common/validate/validate.hpp"

namespace pipewise {

// "out-of-range" when the problem is invalid ("problem: ..."); nullopt otherwise.
std::optional<ValidationIssue> problem_issue(const Problem& problem);

// "out-of-range" when `schedule` has another number of programs than p; nullopt otherwise.
std::optional<ValidationIssue> program_count_issue(const Schedule& schedule);

// The rule `op`, on device `device`, breaks first: "out-of-range" (an unknown kind; a
// stage, iteration or micro-batch outside the problem), "wrong-device" (a device that does
// not own its stage) or "bad-comm" (a send or recv with no peer stage, or whose peer stage
// shares its device); nullptr when it breaks none. Cheap: no message is built.
// REQUIRES: problem is valid.
const char* placement_rule(const Problem& problem, std::uint32_t device, const Op& op);

// The message of that rule for `op` at `position` of device `device`'s program, as
// validate_schedule reports it. REQUIRES: placement_rule(problem, device, op) != nullptr.
std::string placement_message(const Problem& problem, std::uint32_t device, std::size_t position,
                              const Op& op);

// The first structural fault of `schedule`, as "rule: message" (format_issue): an invalid
// problem, a program count other than p, or an op that breaks a placement rule. One pass
// over the ops that allocates nothing unless it finds a fault. It does not look for
// missing, duplicate or unmatched ops, deadlocks or weight versions (validate_schedule
// does); it makes every index the simulator and the executor derive from an op safe.
Status check_structure(const Schedule& schedule);

}  // namespace pipewise
