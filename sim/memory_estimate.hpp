#pragma once
// What generating and simulating a schedule needs in memory, estimated before either
// starts, so that a problem too large for this machine is refused with the estimate
// instead of being killed by the kernel halfway through.
#include <cstdint>
#include <string_view>

#include "common/ir/problem.hpp"
#include "common/ir/status.hpp"

namespace pipewise::sim {

// Bytes the simulator keeps per (stage, iteration, micro-batch) slot: the end times of its
// forward and of its input-gradient producer (two doubles) and a progress byte (engine.cpp).
inline constexpr std::uint64_t kSimulatorBytesPerSlot = 2 * sizeof(double) + 1;

struct MemoryEstimate {
  std::uint64_t ops = 0;    // ops of the generated (unlowered) schedule, at most
  std::uint64_t bytes = 0;  // those ops (16 bytes each) plus the simulator's state
};

// What generating schedule `name` (or an alias) for `problem` and simulating it take at
// least: max_op_count (common/schedules/registry.hpp) ops of 16 bytes, plus
// kSimulatorBytesPerSlot per slot. Throws pipewise::Error for an unknown schedule or an
// invalid problem (Problem::check), whose sizes would make the estimate meaningless.
MemoryEstimate estimate_simulation_memory(std::string_view name, const Problem& problem);

// Whether schedule `name` for `problem` can be generated and simulated in the memory this
// machine has left; if not, one line: "1f1b p=1024 v=1 m=1000000000 n=1 needs 45.6 TiB for
// its 2.0e+12 ops; this machine has 22.9 GiB available" (resource_limits.hpp). Checks
// nothing below kAlwaysAffordableBytes, so hot loops pay only the estimate. Throws
// pipewise::Error as estimate_simulation_memory does.
Status memory_to_simulate(std::string_view name, const Problem& problem);
// memory_to_simulate, throwing pipewise::Error with the reason when it does not fit.
void require_memory_to_simulate(std::string_view name, const Problem& problem);

// Most ops a streamed simulation (schedule_stream.hpp) takes on: 2^34, about 6 minutes at
// the 50 M ops/s it runs at with p = 1024 here. Its memory stays small whatever the size,
// so time is what bounds it: a larger one is refused instead of running for hours.
inline constexpr std::uint64_t kMostStreamedOps = std::uint64_t{1} << 34;

// Whether schedule `name` for `problem` is small enough to simulate streamed; if not, one
// line: "1f1b p=1024 v=1 m=1000000000 n=1 has 2.0e+12 ops (2048000001024), more than the
// 2^34 (17179869184) a streamed simulation takes (about 6 minutes at 50 M ops/s)". Throws pipewise::Error as
// estimate_simulation_memory does.
Status work_to_simulate_streamed(std::string_view name, const Problem& problem);

// What a simulated run's outputs add to the simulation: the timeline recorded for them,
// and the memory each writer takes while it builds its text.
struct OutputRequest {
  bool timeline = false;       // recorded (any of the outputs below, or an ASCII grid)
  bool trace = false;          // Chrome trace (common/timeline/chrome_trace.hpp)
  bool svg = false;            // SVG timeline (common/timeline/svg_timeline.hpp)
  bool memory_detail = false;  // JSON memory timelines and activation lifetimes
  bool schedule_json = false;  // the schedule itself as JSON (pipewise show -f json)
};

// Bytes recording a timeline of `ops` ops takes: the op spans, messages, memory samples
// and activation lifetimes (measured at about 160 bytes per op, rounded up).
inline constexpr std::uint64_t kTimelineBytesPerOp = 256;
// Bytes the JSON report's memory detail takes per op (measured at about 0.8 KiB).
inline constexpr std::uint64_t kMemoryDetailBytesPerOp = 1024;
// Bytes a schedule's JSON form (common/io/json_schedule.hpp) takes per op while it is
// written: measured at 93 bytes of text per op (1f1b p=64 m=256), doubled for the
// string's growth, rounded up.
inline constexpr std::uint64_t kScheduleJsonBytesPerOp = 256;

// The bytes `outputs` need for a schedule of `ops` ops (saturating at 2^64 − 1).
std::uint64_t estimate_output_memory(std::uint64_t ops, const OutputRequest& outputs);

// Whether the outputs of `what` (a schedule of `ops` ops) fit in the memory this process
// has left (resource_limits.hpp, ulimit -v included); if not, one line: "1f1b p=1024 v=1
// m=4096 n=1 needs 17.2 GiB for the timeline and the SVG of its 8.4e+06 ops; this machine
// has 3.2 GiB available". Checks nothing below kAlwaysAffordableBytes.
Status memory_for_outputs(std::string_view what, std::uint64_t ops, const OutputRequest& outputs);

}  // namespace pipewise::sim
