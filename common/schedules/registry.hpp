#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "common/ir/schedule.hpp"
#include "common/ir/schedule_stream.hpp"

namespace pipewise {

// What the registry knows about one generator.
struct ScheduleInfo {
  std::string name;                  // canonical name, e.g. "1f1b"
  std::vector<std::string> aliases;  // e.g. {"pipedream-flush"}
  std::string summary;               // one line for --help
  bool uses_chunks = false;          // accepts v > 1
  bool asynchronous = false;         // no flush; meaningful with n > 1 iterations
  bool splits_backward = false;      // runs I and W instead of B (zero-bubble schedules)
  // The placement the schedule runs on; a schedule with another than Looped needs
  // exactly `fixed_chunks` chunks.
  Placement placement = Placement::Looped;
  std::uint32_t fixed_chunks = 0;    // the one v it accepts, or 0 (any, as uses_chunks says)
  bool overlaps = false;             // pairs F and B overlapped (op.hpp, kOverlapWithNext)
};

// Every generator, in the order --help lists them.
const std::vector<ScheduleInfo>& schedule_catalog();

// Canonical name for `name` or one of its aliases; throws pipewise::Error listing the
// known names when there is none.
const ScheduleInfo& find_schedule(std::string_view name);

// The most ops schedule `info` generates for `problem` (unlowered): an F and a B, or an F,
// an I and a W, for each of the p·v·m·n (stage, iteration, micro-batch) slots (half of
// them with bidirectional placement, but counted all the same), plus one
// optimizer step per stage and iteration, or one per slot for asynchronous schedules
// (PipeDream's cadence, the most any generator steps). Lets callers refuse a problem too
// large for their machine before generating it. REQUIRES: problem.check() passes (the
// counts then fit in 64 bits).
std::uint64_t max_op_count(const ScheduleInfo& info, const Problem& problem);

// Whether schedule `name` (or an alias) can be generated for `problem`: Problem::validity,
// v = 1 for schedules without chunks, v = fixed_chunks where the schedule needs one, then
// the schedule's own rules (its placement among them); the failure names the
// broken rule ("gpipe has no model chunks: v must be 1 (got 2)", "pipedream-2bw needs
// m >= p (got m=2, p=4)"). A search asks this instead of catching generate_schedule's
// error. Throws pipewise::Error only for an unknown name.
Status schedule_accepts(std::string_view name, const Problem& problem);

// Generates the compute-and-optimizer program of schedule `name` (or an alias) for
// `problem` (no send or recv ops: see lower.hpp), with weight versions set; the
// schedule's name is the canonical one. Every OptimizerStep carries the micro-batch and
// iteration of the last backward of its stage before it in the program. Throws
// pipewise::Error with schedule_accepts's reason when it does not accept `problem`, or when
// the process runs out of memory generating it (callers check first: max_op_count).
Schedule generate_schedule(std::string_view name, const Problem& problem);

// Whether schedule `name` (or an alias) can be produced op by op (stream_schedule): the
// flushed one-forward-one-backward schedules (naive, gpipe, 1f1b, interleaved). Throws
// pipewise::Error only for an unknown name.
bool can_stream(std::string_view name);

// The schedule generate_schedule would return, as a stream: its ops produced on demand, in
// memory that grows with p (and v·m for interleaved's schedule table), not with p·m.
// Throws pipewise::Error when the schedule cannot be streamed (can_stream) or with
// schedule_accepts's reason.
std::unique_ptr<ScheduleStream> stream_schedule(std::string_view name, const Problem& problem);

}  // namespace pipewise
