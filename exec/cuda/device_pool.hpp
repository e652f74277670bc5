#pragma once
#include <cstddef>

#include "exec/core/memory_account.hpp"
#include "exec/cuda/device_arena.hpp"

namespace pipewise::exec::cuda {

// `floats` fp32 values in GPU memory; empty (data null) when nothing is held.
struct DeviceBuffer {
  float* data = nullptr;
  std::size_t floats = 0;
  DeviceBlock block;
  bool empty() const { return data == nullptr; }
  std::size_t size() const { return floats; }  // as a host vector's, for shared code
  std::size_t bytes() const { return floats * sizeof(float); }
};

// One device's fp32 buffers, carved from its arena and charged to its MemoryAccount by
// category with the CPU backend's rules (exec/cpu/buffer_pool.hpp): take and give move
// bytes in and out of the account, adopt and disown move a buffer's charge between
// devices when a message changes hands. Single-threaded, like the device's worker.
class DevicePool {
 public:
  explicit DevicePool(DeviceArena& arena) : arena_(&arena) {}

  // A buffer of `floats` floats (contents unspecified), now held as `category`.
  DeviceBuffer take(std::size_t floats, MemoryCategory category);
  // `buffer` (held as `category`) is no longer needed; empties it. Empty buffers are ignored.
  void give(DeviceBuffer& buffer, MemoryCategory category);
  // `buffer` arrived from elsewhere and is now held here as `category`.
  void adopt(const DeviceBuffer& buffer, MemoryCategory category) {
    account_.allocate(category, buffer.bytes());
  }
  // `buffer` (held as `category`) left the device's account: it is a message in transit.
  void disown(const DeviceBuffer& buffer, MemoryCategory category) {
    account_.release(category, buffer.bytes());
  }
  // Memory outside the account (data set, scratch, messages in transit).
  DeviceBuffer take_untracked(std::size_t floats);
  void give_untracked(DeviceBuffer& buffer);

  DeviceArena& arena() { return *arena_; }
  MemoryAccount& account() { return account_; }
  const MemoryAccount& account() const { return account_; }

 private:
  DeviceArena* arena_;
  MemoryAccount account_;
};

}  // namespace pipewise::exec::cuda
