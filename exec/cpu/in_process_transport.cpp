#include "exec/cpu/in_process_transport.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"
#include "exec/cpu/checksum.hpp"

namespace pipewise::exec {

namespace {

// Tells the core that this thread spins, so that its sibling hyper-thread runs meanwhile.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

InProcessTransport::InProcessTransport(std::uint32_t devices, bool checksums,
                                       std::chrono::nanoseconds spin)
    : devices_(devices),
      checksums_(checksums),
      spin_(spin),
      channels_(std::make_unique<Channel[]>(std::size_t{devices} * devices)) {}

void InProcessTransport::send(std::uint32_t from, std::uint32_t to, const MessageTag& tag,
                              std::vector<float>&& payload, MessageFault fault) {
  if (fault == MessageFault::Fail) {
    throw Error("transport failure sending to device " + std::to_string(to) + " (injected)");
  }
  if (fault == MessageFault::Drop) {
    payload = {};
    return;
  }
  Message message{tag, std::move(payload), 0};
  if (checksums_) message.checksum = buffer_checksum(message.payload);
  if (fault == MessageFault::Corrupt && !message.payload.empty()) {
    float& victim = message.payload[message.payload.size() / 2];
    victim = std::bit_cast<float>(std::bit_cast<std::uint32_t>(victim) ^ (1u << 30));
  }
  Channel& link = channel(from, to);
  {
    std::lock_guard lock(link.mutex);
    link.messages.push_back(std::move(message));
    link.posted.fetch_add(1, std::memory_order_release);
  }
  link.arrived.notify_all();
}

void InProcessTransport::spin_for_post(const Channel& link, std::uint64_t seen,
                                       std::chrono::steady_clock::time_point deadline) const {
  const auto until = std::min(std::chrono::steady_clock::now() + spin_, deadline);
  while (link.posted.load(std::memory_order_acquire) == seen &&
         !cancelled_.load(std::memory_order_relaxed)) {
    for (int i = 0; i < 32; ++i) cpu_relax();
    if (std::chrono::steady_clock::now() >= until) return;
  }
}

std::vector<float> InProcessTransport::receive(std::uint32_t to, std::uint32_t from,
                                               const MessageTag& tag,
                                               std::chrono::nanoseconds timeout) {
  Channel& link = channel(from, to);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Message message;
  {
    std::unique_lock lock(link.mutex);
    bool spun = spin_.count() == 0;
    while (true) {
      if (cancelled_.load(std::memory_order_acquire)) throw RunCancelled();
      auto found = link.messages.begin();
      while (found != link.messages.end() && !(found->tag == tag)) ++found;
      if (found != link.messages.end()) {
        message = std::move(*found);
        link.messages.erase(found);
        break;
      }
      if (!spun) {  // once per receive, then sleep
        spun = true;
        const std::uint64_t seen = link.posted.load(std::memory_order_relaxed);
        lock.unlock();
        spin_for_post(link, seen, deadline);
        lock.lock();
        continue;
      }
      if (link.arrived.wait_until(lock, deadline) == std::cv_status::timeout &&
          std::chrono::steady_clock::now() >= deadline) {
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
        throw Error("no message from device " + std::to_string(from) + " within " +
                    std::to_string(waited.count()) +
                    " ms (a deadlock in the schedule, or a lost message)");
      }
    }
  }
  if (checksums_ && buffer_checksum(message.payload) != message.checksum) {
    throw Error("the message from device " + std::to_string(from) +
                " failed its checksum (corrupted in transit)");
  }
  return std::move(message.payload);
}

void InProcessTransport::cancel() noexcept {
  cancelled_.store(true, std::memory_order_release);
  for (std::size_t i = 0; i < std::size_t{devices_} * devices_; ++i) {
    // Taking the lock orders the flag before any waiter's next check of it.
    { std::lock_guard lock(channels_[i].mutex); }
    channels_[i].arrived.notify_all();
  }
}

std::chrono::nanoseconds receive_spin(std::uint32_t devices, std::uint32_t cores) {
  if (devices > cores) return std::chrono::nanoseconds{0};
  return std::chrono::microseconds{50};
}

std::size_t InProcessTransport::pending() const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < std::size_t{devices_} * devices_; ++i) {
    std::lock_guard lock(channels_[i].mutex);
    count += channels_[i].messages.size();
  }
  return count;
}

}  // namespace pipewise::exec
