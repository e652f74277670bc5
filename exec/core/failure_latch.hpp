#pragma once
#include <atomic>
#include <mutex>
#include <string>

namespace pipewise::exec {

// The first failure of a run, shared by its workers: the first message recorded wins, and
// failed() lets every worker see cheaply that it must stop.
class FailureLatch {
 public:
  // Records `message` unless a failure was recorded before; true when this one is first.
  bool record(std::string message) {
    std::lock_guard lock(mutex_);
    if (failed_.load(std::memory_order_relaxed)) return false;
    message_ = std::move(message);
    failed_.store(true, std::memory_order_release);
    return true;
  }
  bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
  // The first message recorded. REQUIRES: failed().
  std::string message() const {
    std::lock_guard lock(mutex_);
    return message_;
  }

 private:
  std::atomic<bool> failed_{false};
  mutable std::mutex mutex_;
  std::string message_;
};

}  // namespace pipewise::exec
