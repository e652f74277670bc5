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
  // Frees the buffers kept for reuse (held buffers are not affected).
  void clear_idle() { idle_.clear(); }

  MemoryAccount& account() { return account_; }
  const MemoryAccount& account() const { return account_; }

 private:
  MemoryAccount account_;
  std::vector<std::vector<float>> idle_;
};

}  // namespace pipewise::exec
