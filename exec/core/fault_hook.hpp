#pragma once
#include <cstdint>
#include <stop_token>

#include "common/ir/op.hpp"

namespace pipewise::exec {

// What a transport does with one message (the fault-injection seam for messages).
enum class MessageFault : std::uint8_t {
  None,     // deliver it
  Drop,     // lose it: the receive waits until its deadline
  Corrupt,  // flip a bit after the checksum was taken: a checking run detects it
  Fail,     // the send itself fails with an error
};

// Thrown by FaultHook::before_op to kill the worker, as a crash kills a process: the worker
// stops at once and reports nothing; the executor notices that it ended before finishing
// its program. Deliberately not a std::exception, so that no handler for errors takes it.
class WorkerKilled {};

// The fault-injection seam of the executor (after leveldb's fault-injection Env): a run
// given a FaultHook consults it before every op and for every message. Production runs
// pass none. Implementations must be safe to call from every device thread at once.
class FaultHook {
 public:
  virtual ~FaultHook() = default;
  // Called on `device`'s worker right before `op` runs. Throwing an exception fails the op
  // with its message as the cause; throwing WorkerKilled kills the worker; waiting delays
  // the op (a straggler). `stop` is requested when the run fails elsewhere: a delay must
  // wait on it (std::condition_variable_any::wait_for with the token) and end at once,
  // throwing RunCancelled (core/backend.hpp), so a failed run never waits for a delay.
  virtual void before_op(std::uint32_t device, const Op& op, std::stop_token stop = {}) = 0;
  // Called by the transport for the message that send op `op` on `device` carries.
  virtual MessageFault on_message(std::uint32_t device, const Op& op) = 0;
};

}  // namespace pipewise::exec
