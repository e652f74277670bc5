#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "exec/core/fault_hook.hpp"
#include "exec/cpu/message_transport.hpp"

namespace pipewise::exec {

// Moves fp32 buffers between the device threads of one process: one channel per directed
// device pair, each a mutex-guarded mailbox matched by tag (so a receiver may take
// messages in any order), with a blocking receive that gives up at a deadline. Sends never
// block. Thread-safe.
//
// A receive whose message has not come spins for up to `spin` before it sleeps on the
// channel's condition variable: waking a sleeping thread costs several microseconds, which
// pipelines of short ops pay on every message. See receive_spin for when to spin.
class InProcessTransport final : public MessageTransport {
 public:
  // With `checksums`, each message carries a checksum of its payload that receive verifies.
  InProcessTransport(std::uint32_t devices, bool checksums,
                     std::chrono::nanoseconds spin = std::chrono::nanoseconds{0});

  // Hands `payload` to device `to`. `fault` is applied after the checksum is taken: Drop
  // discards the message, Corrupt flips one bit of it, Fail throws pipewise::Error.
  void send(std::uint32_t from, std::uint32_t to, const MessageTag& tag,
            std::vector<float>&& payload, MessageFault fault = MessageFault::None) override;
  // The payload of the message `tag` from device `from` to device `to`, waiting up to
  // `timeout` for it. Throws pipewise::Error when it does not arrive in time or fails its
  // checksum, and RunCancelled (core/backend.hpp) after cancel().
  std::vector<float> receive(std::uint32_t to, std::uint32_t from, const MessageTag& tag,
                             std::chrono::nanoseconds timeout) override;
  // Makes every blocked and future receive throw RunCancelled.
  void cancel() noexcept override;
  // Messages sent and not yet received, over all channels.
  std::size_t pending() const;

 private:
  struct Message {
    MessageTag tag;
    std::vector<float> payload;
    std::uint64_t checksum = 0;
  };
  struct Channel {
    mutable std::mutex mutex;
    std::condition_variable arrived;
    std::vector<Message> messages;
    std::atomic<std::uint64_t> posted{0};  // messages ever sent: what a spinning receiver watches
  };
  Channel& channel(std::uint32_t from, std::uint32_t to) { return channels_[from * devices_ + to]; }
  // Spins until `link` has had a message posted after the `seen`-th, the run is cancelled,
  // spin_ has passed or `deadline` has come.
  void spin_for_post(const Channel& link, std::uint64_t seen,
                     std::chrono::steady_clock::time_point deadline) const;

  std::uint32_t devices_;
  bool checksums_;
  std::chrono::nanoseconds spin_;
  std::unique_ptr<Channel[]> channels_;
  std::atomic<bool> cancelled_{false};
};

// How long receives should spin for `devices` worker threads on `cores` cores: 50 us, longer
// than a sleeping thread's wake-up (5 to 15 us on the development machine) and short next to
// real ops, when every worker has a core of its own; 0 otherwise, as a spinner would take the
// core from the very thread it waits for.
std::chrono::nanoseconds receive_spin(std::uint32_t devices, std::uint32_t cores);

}  // namespace pipewise::exec
