#pragma once
#include <cstddef>
#include <vector>

#include "exec/core/memory_account.hpp"

namespace pipewise::exec {

// One device's fp32 buffers: recycles them by length, so that a run in steady state
// allocates nothing, and charges every buffer the device holds to its MemoryAccount.
// Single-threaded: only the device's worker uses it during a run.
class BufferPool {
 public:
  // A buffer of exactly `floats` floats (contents unspecified), now held as `category`.
  std::vector<float> take(std::size_t floats, MemoryCategory category);
  // `buffer`, held as `category`, is no longer needed: it is kept for reuse and `buffer`
  // left empty. Empty buffers are ignored.
  void give(std::vector<float>& buffer, MemoryCategory category);
  // `buffer` arrived from another device and is now held here as `category`.
  void adopt(const std::vector<float>& buffer, MemoryCategory category);
  // `buffer`, held as `category`, leaves the device (handed to the transport).
  void disown(const std::vector<float>& buffer, MemoryCategory category);
  // A new run on the same device: nothing is held any more (the account starts from zero),
  // and the buffers kept for reuse stay, so that the run's first micro-batches find them
  // instead of allocating (and zero-filling) new ones.
  void start_run() { account_ = MemoryAccount{}; }
  // `buffer`, no longer held by anyone and not charged to the account (e.g. a weight version
  // dropped between runs), is kept for reuse.
  void keep_for_reuse(std::vector<float>&& buffer) {
    if (!buffer.empty()) idle_.push_back(std::move(buffer));
  }

  MemoryAccount& account() { return account_; }
  const MemoryAccount& account() const { return account_; }

 private:
  MemoryAccount account_;
  std::vector<std::vector<float>> idle_;
};

}  // namespace pipewise::exec
