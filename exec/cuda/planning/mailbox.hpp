#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"
#include "exec/cuda/planning/transfer_plan.hpp"

namespace pipewise::exec::cuda {

// The messages waiting for one receiving device, matched by MessageKey so that a receiver
// may take them in any order. Posting never blocks; taking blocks until the message is
// there, the deadline passes or the run is cancelled. Thread-safe. On the GPU a posted
// message is a promise (a buffer and the event after which it is valid), so the host-side
// wait only orders the enqueueing of work, never the GPU.
template <typename Payload>
class Mailbox {
 public:
  // Hands `payload` of message `key` from device `sender` to the receiver.
  void post(std::uint32_t sender, const MessageKey& key, Payload payload) {
    {
      std::lock_guard lock(mutex_);
      messages_.push_back({sender, key, std::move(payload)});
    }
    arrived_.notify_all();
  }

  // The payload of message `key` from `sender`, waiting up to `timeout`. Throws
  // RunCancelled once `cancelled` is set (wake waiters with wake_all), and pipewise::Error
  // naming the sender when the deadline passes.
  Payload take(std::uint32_t sender, const MessageKey& key, std::chrono::nanoseconds timeout,
               const std::atomic<bool>& cancelled) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    while (true) {
      if (cancelled.load(std::memory_order_acquire)) throw RunCancelled();
      for (auto it = messages_.begin(); it != messages_.end(); ++it) {
        if (it->sender != sender || !(it->key == key)) continue;
        Payload payload = std::move(it->payload);
        messages_.erase(it);
        return payload;
      }
      if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout &&
          std::chrono::steady_clock::now() >= deadline) {
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
        throw Error("no message from device " + std::to_string(sender) + " within " +
                    std::to_string(waited.count()) +
                    " ms (a deadlock in the schedule, or a lost message)");
      }
    }
  }

  // Wakes every waiter so that it re-checks its cancellation flag.
  void wake_all() {
    { std::lock_guard lock(mutex_); }  // orders the caller's flag store before the re-check
    arrived_.notify_all();
  }

  // Removes and returns every message not taken (to free their buffers after a run).
  std::vector<Payload> drain() {
    std::lock_guard lock(mutex_);
    std::vector<Payload> left;
    for (auto& message : messages_) left.push_back(std::move(message.payload));
    messages_.clear();
    return left;
  }

 private:
  struct Posted {
    std::uint32_t sender;
    MessageKey key;
    Payload payload;
  };
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Posted> messages_;
};

}  // namespace pipewise::exec::cuda
