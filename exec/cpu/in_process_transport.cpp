#include "exec/cpu/in_process_transport.hpp"

#include <bit>
#include <string>
#include <utility>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"
#include "exec/cpu/checksum.hpp"

namespace pipewise {

InProcessTransport::InProcessTransport(std::uint32_t devices, bool checksums)
    : devices_(devices),
      checksums_(checksums),
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
  }
  link.arrived.notify_all();
}

std::vector<float> InProcessTransport::receive(std::uint32_t to, std::uint32_t from,
                                               const MessageTag& tag,
                                               std::chrono::nanoseconds timeout) {
  Channel& link = channel(from, to);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Message message;
  {
    std::unique_lock lock(link.mutex);
    while (true) {
      if (cancelled_.load(std::memory_order_acquire)) throw RunCancelled();
      auto found = link.messages.begin();
      while (found != link.messages.end() && !(found->tag == tag)) ++found;
      if (found != link.messages.end()) {
        message = std::move(*found);
        link.messages.erase(found);
        break;
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

std::size_t InProcessTransport::pending() const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < std::size_t{devices_} * devices_; ++i) {
    std::lock_guard lock(channels_[i].mutex);
    count += channels_[i].messages.size();
  }
  return count;
}

}  // namespace pipewise
