#include "common/io/temporary_file_registry.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <initializer_list>
#include <mutex>

namespace pipewise {
namespace {

constexpr std::size_t kSlots = 64;
constexpr std::size_t kPathBytes = 4096;

// A slot is Free, then Claimed by one writer while it copies its path in, then Ready, then
// Free again when the writer is done. The handler takes a Ready slot back to Claimed before
// it reads the path, so no writer can overwrite the path under it, and never frees it: the
// process is ending. Every state change is a lock-free atomic, as a signal handler needs.
enum SlotState : int { kFree, kClaimed, kReady };

struct Slot {
  std::atomic<int> state{kFree};
  char path[kPathBytes];
};

std::array<Slot, kSlots>& slots() {
  static std::array<Slot, kSlots> all;
  return all;
}

void remove_registered_files(int signal_number) {
  for (Slot& slot : slots()) {
    int expected = kReady;
    if (slot.state.compare_exchange_strong(expected, kClaimed, std::memory_order_acquire)) {
      ::unlink(slot.path);
    }
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void install_for(int signal_number) {
  struct sigaction previous {};
  if (::sigaction(signal_number, nullptr, &previous) != 0) return;
  if (previous.sa_handler == SIG_IGN) return;  // e.g. nohup: keep ignoring
  struct sigaction action {};
  action.sa_handler = remove_registered_files;
  sigemptyset(&action.sa_mask);
  ::sigaction(signal_number, &action, nullptr);
}

}  // namespace

void remove_temporary_files_on_signals() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    slots();  // constructed before any handler can run
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) install_for(signal_number);
  });
}

RegisteredTemporaryFile::RegisteredTemporaryFile(const std::string& path) noexcept {
  if (path.size() >= kPathBytes) return;
  for (std::size_t i = 0; i < kSlots; ++i) {
    Slot& slot = slots()[i];
    int expected = kFree;
    if (!slot.state.compare_exchange_strong(expected, kClaimed, std::memory_order_acquire)) {
      continue;
    }
    std::memcpy(slot.path, path.c_str(), path.size() + 1);
    slot.state.store(kReady, std::memory_order_release);
    slot_ = i;
    return;
  }
}

RegisteredTemporaryFile::~RegisteredTemporaryFile() {
  if (slot_ == kNoSlot) return;
  int expected = kReady;  // not Ready: the handler has it, and the process is ending
  slots()[slot_].state.compare_exchange_strong(expected, kFree, std::memory_order_release);
}

}  // namespace pipewise
