#pragma once
#include <chrono>
#include <cstdint>
#include <vector>

#include "exec/core/fault_hook.hpp"

namespace pipewise::exec {

// Names one message: the activation that stage `from_stage` sends forward, or the input
// gradient it sends backward, for one micro-batch.
struct MessageTag {
  bool gradient = false;
  std::uint16_t from_stage = 0;
  std::uint32_t microbatch = 0;
  std::uint32_t iteration = 0;
  friend bool operator==(const MessageTag&, const MessageTag&) = default;
};

// How the CPU backend moves fp32 buffers between pipeline devices: the threads of one
// process (InProcessTransport) or processes of a multi-process run (exec/mpi). A message is
// matched by its tag, so a receiver may take messages in any order; a transport used by a
// run lives from the backend's prepare to its finish.
//
// Thread safety: send and receive are called by the worker of the device they name, cancel
// from any thread at any time.
class MessageTransport {
 public:
  virtual ~MessageTransport() = default;
  // Hands `payload` to device `to`; never waits for the receiver. `fault` is applied after
  // the checksum is taken: Drop discards the message, Corrupt flips one bit of it, Fail
  // throws pipewise::Error.
  virtual void send(std::uint32_t from, std::uint32_t to, const MessageTag& tag,
                    std::vector<float>&& payload, MessageFault fault = MessageFault::None) = 0;
  // The payload of the message `tag` from device `from` to device `to`, waiting up to
  // `timeout` for it. Throws pipewise::Error when it does not arrive in time or fails its
  // checksum, and RunCancelled (core/backend.hpp) after cancel().
  virtual std::vector<float> receive(std::uint32_t to, std::uint32_t from, const MessageTag& tag,
                                     std::chrono::nanoseconds timeout) = 0;
  // Makes every blocked and future receive throw RunCancelled.
  virtual void cancel() noexcept = 0;
};

}  // namespace pipewise::exec
