#pragma once
// Refusing work that cannot fit in memory before it starts, with the estimate, instead of
// letting the kernel kill the process halfway through (or the machine swap for an hour).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ir/problem.hpp"

namespace pipewise {

// What a schedule of one problem needs in memory.
struct MemoryEstimate {
  std::uint64_t ops = 0;    // ops of the generated (unlowered) schedule
  std::uint64_t bytes = 0;  // the ops plus the simulator's state for them
};

// Bytes the simulator keeps per (stage, iteration, micro-batch): the end times of its
// forward and of its input-gradient producer (two doubles) and a progress byte
// (sim/engine.hpp).
inline constexpr std::uint64_t kSimulatorBytesPerSlot = 2 * sizeof(double) + 1;

// The memory that generating and simulating a schedule of `problem` takes at least. Ops:
// an F and a B for each of the p·v·m·n (stage, iteration, micro-batch) slots, plus one
// optimizer step per stage and iteration, or, when `step_per_microbatch` (PipeDream's
// cadence, the most any generator steps), one per slot. Bytes: 16 per op (sizeof(Op)) plus
// kSimulatorBytesPerSlot per slot. REQUIRES: problem.check() passes (the counts then fit
// in 64 bits).
MemoryEstimate estimate_schedule_memory(const Problem& problem, bool step_per_microbatch);

// Bytes this process can still allocate without the kernel reclaiming hard or killing it:
// /proc/meminfo's MemAvailable, lowered to the headroom of the process's cgroup (v2
// memory.max minus memory.current) when that is limited. nullopt when neither can be read
// (e.g. not Linux); callers then enforce no limit.
std::optional<std::uint64_t> available_memory_bytes();

// MemAvailable of a /proc/meminfo text in bytes (the file gives kB), or nullopt when the
// line is missing or malformed.
std::optional<std::uint64_t> mem_available_from_meminfo(std::string_view meminfo);

// Throws pipewise::Error when `bytes` is more than `available_bytes`, on one line naming
// `what`, the bytes, `reason` and the machine's memory: "1f1b p=1024 v=1 m=1000000000 n=1
// needs 45.6 TiB for its 2.0e+12 ops; this machine has 23.4 GiB available".
void require_memory(std::string_view what, std::uint64_t bytes, std::string_view reason,
                    std::uint64_t available_bytes);

// Below this many bytes require_available_memory checks nothing: any machine we run on has
// them, and small requests are spared the read of /proc. Callers on hot paths test it
// before they build their messages.
inline constexpr std::uint64_t kAlwaysAffordableBytes = std::uint64_t{256} << 20;

// require_memory against available_memory_bytes(); no check when that is unknown, nor below
// kAlwaysAffordableBytes.
void require_available_memory(std::string_view what, std::uint64_t bytes,
                              std::string_view reason);

// The check generate_schedule makes before generating schedule `name` for `problem`:
// Problem::check (so absurd sizes such as p = 10^9 get its clear error, not an estimate),
// then require_available_memory with estimate_schedule_memory ("1f1b p=1024 v=1
// m=1000000000 n=1 needs 45.6 TiB for its 2.0e+12 ops; ..."). `step_per_microbatch` as for
// the estimate.
void require_memory_for_schedule(std::string_view name, const Problem& problem,
                                 bool step_per_microbatch);

}  // namespace pipewise
