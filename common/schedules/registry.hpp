#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/ir/schedule.hpp"

namespace pipewise {

// What the registry knows about one generator.
struct ScheduleInfo {
  std::string name;                  // canonical name, e.g. "1f1b"
  std::vector<std::string> aliases;  // e.g. {"pipedream-flush"}
  std::string summary;               // one line for --help
  bool uses_chunks = false;          // accepts v > 1
  bool asynchronous = false;         // no flush; meaningful with n > 1 iterations
};

// Every generator, in the order --help lists them.
const std::vector<ScheduleInfo>& schedule_catalog();

// Canonical name for `name` or one of its aliases; throws pipewise::Error listing the
// known names when there is none.
const ScheduleInfo& find_schedule(std::string_view name);

// Generates the compute-and-optimizer program of schedule `name` (or an alias) for
// `problem` (no send or recv ops: see lower.hpp), with weight versions set; the
// schedule's name is the canonical one. Every OptimizerStep carries the micro-batch and
// iteration of the last backward of its stage before it in the program. Throws
// pipewise::Error with one line naming the broken rule when `problem` is invalid (see
// Problem::check) or invalid for the schedule (e.g. "gpipe has no model chunks: v must be
// 1 (got 2)", "pipedream-2bw needs m >= p (got m=2, p=4)"), or when the schedule does not
// fit in memory.
Schedule generate_schedule(std::string_view name, const Problem& problem);

}  // namespace pipewise
