#pragma once
#include <atomic>
#include <chrono>
#include <thread>

#include "exec/core/backend.hpp"

namespace pipewise::exec::mpi {

// How a rank waits for MPI: MPI makes progress only while a process calls it, so every wait
// polls (MPI_Test, MPI_Improbe). A wait first spins for `spin` (when every rank on the
// machine has a core of its own: a message then costs about a microsecond instead of a
// sleeping thread's wake-up), then sleeps between polls, briefly at first and at most
// kLongestNap, so that an idle rank leaves its core to the ranks that compute.
struct WaitPolicy {
  std::chrono::nanoseconds spin{0};
  static constexpr std::chrono::microseconds kFirstNap{5};
  static constexpr std::chrono::microseconds kLongestNap{100};
};

// Lets the kernel wake this thread's short sleeps on time (the default timer slack adds
// 50 us to each); once per thread.
void tighten_timer_slack() noexcept;

// Polls `done` until it returns true, as `policy` says. Returns false when `deadline` comes
// first; throws RunCancelled once `cancelled` (may be null) is set.
template <class Done>
bool poll_until(Done&& done, std::chrono::steady_clock::time_point deadline,
                const WaitPolicy& policy, const std::atomic<bool>* cancelled) {
  using Clock = std::chrono::steady_clock;
  const auto spin_until = Clock::now() + policy.spin;
  auto nap = std::chrono::duration_cast<std::chrono::nanoseconds>(WaitPolicy::kFirstNap);
  bool slack_tightened = false;
  while (true) {
    if (done()) return true;
    if (cancelled != nullptr && cancelled->load(std::memory_order_acquire)) throw RunCancelled();
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (now < spin_until) continue;
    if (!slack_tightened) {
      tighten_timer_slack();
      slack_tightened = true;
    }
    std::this_thread::sleep_for(nap);
    nap = std::min<std::chrono::nanoseconds>(nap * 2, WaitPolicy::kLongestNap);
  }
}

}  // namespace pipewise::exec::mpi
