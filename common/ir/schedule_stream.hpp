#pragma once
// A schedule read a piece at a time, for schedules too large to hold: 1F1B at p = 1024,
// m = 65536 is 134 million ops, 2 GiB as a Schedule. Each device's program is produced in
// order, on demand, so that a reader needing only a window of it (the simulator) holds
// memory in p and the micro-batches in flight, not in p·m.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/ir/op.hpp"
#include "common/ir/problem.hpp"
#include "common/ir/schedule.hpp"

namespace pipewise {

// What every stream promises beyond its ops (the simulator's window relies on it):
//  - its schedule is synchronous: each iteration ends with a flush (each device's steps of
//    iteration i after all its compute ops of i and before any of i+1), so one weight
//    version per stage is held;
//  - no op is marked overlapped (op.hpp, kOverlapWithNext) and there are no send, recv or
//    FSDP ops;
//  - each stage runs its forwards in (iteration, micro-batch) order;
//  - it is the schedule that materialize() returns, which the validator accepts.
class ScheduleStream {
 public:
  virtual ~ScheduleStream() = default;

  // The name and problem the streamed Schedule has.
  virtual const std::string& name() const = 0;
  virtual const Problem& problem() const = 0;
  // The length of device `device`'s program.
  virtual std::uint64_t program_size(std::uint32_t device) const = 0;
  // Most micro-batches one stage holds at once between its forward's input arriving and its
  // backward's end, or an upper bound of it: how large a window over the micro-batches a
  // reader needs (it may need more; the simulator then starts again with a larger one).
  virtual std::uint64_t microbatches_in_flight() const = 0;

  // Writes the next ops of device `device`'s program, at most `capacity` of them, to `out`
  // (weight versions set) and returns how many: 0 once the program has ended.
  virtual std::size_t read(std::uint32_t device, Op* out, std::size_t capacity) = 0;
  // Starts every program again from its first op.
  virtual void rewind() = 0;
};

// The whole schedule `stream` produces, from its start (the stream is rewound first and
// left at its end).
Schedule materialize(ScheduleStream& stream);

}  // namespace pipewise
