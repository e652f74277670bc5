#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ir/schedule.hpp"

namespace pipewise {

inline constexpr std::string_view kScheduleJsonSchema = "pipewise.schedule";
inline constexpr std::uint32_t kScheduleJsonVersion = 1;

// The versioned JSON form of a schedule (schema "pipewise.schedule", version 1):
//   {"schema": "pipewise.schedule", "version": 1, "name": "1f1b",
//    "problem": {"devices": 4, "chunks": 1, "microbatches": 8, "iterations": 1,
//                "placement": "looped"},
//    "programs": [[{"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 0,
//                   "weight_version": 0}, ...], ...]}
// programs[d] is device d's program; "kind" is op_kind_json_name. A forward that runs
// overlapped with the next op (op.hpp, kOverlapWithNext) has "overlap_next": true after its
// weight_version; the field is written only then and may be left out. The writer puts the
// header, the problem and each op on a line of its own, keys in the order above. Output is
// deterministic, so write -> read -> write is byte-identical.
std::string schedule_to_json(const Schedule& schedule);

// Parses the JSON form, streaming (memory is the schedule's, not a document tree's).
// "name" (default "custom"), "problem.chunks" and "problem.iterations" (default 1),
// "problem.placement" (default "looped") and "weight_version" may be left out; without any
// weight_version the versions are derived by assign_weight_versions, which is what a
// hand-written schedule wants (give weight_version for every op or for none).
// Throws pipewise::Error with a one-line message naming the problem: bad syntax with its
// byte offset ("malformed JSON at byte 17 (line 2, column 5): ..."), a wrong schema or
// version, a missing, unknown, duplicate or mistyped field named by its path
// ("programs[1][4].stage: expected an unsigned integer, got a string"), a problem that
// fails Problem::check, a program count other than p, an op outside the problem. Does not
// validate dependencies: see validate.hpp.
Schedule schedule_from_json(std::string_view text);

}  // namespace pipewise
