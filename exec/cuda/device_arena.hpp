#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "exec/cuda/planning/arena_allocator.hpp"

namespace pipewise::exec::cuda {

// A block of GPU memory from a DeviceArena; `data` is null when nothing is held.
struct DeviceBlock {
  void* data = nullptr;
  ArenaBlock block;
};

// One pipeline device's GPU memory: segments reserved with cudaMalloc up front (so that a
// run allocates nothing from the driver in steady state) and carved by an ArenaAllocator.
// Frees are stream-ordered: a block freed by the host while kernels queued on the device's
// stream still use it is only handed out again to later work of that same stream, so it
// must not be used by another stream without an event (the backend's messages guard that).
// Single-threaded, like the device's worker. REQUIRES for every call that may reach the
// driver (constructor, reserve, allocate, the destructor): the calling thread's current
// device is the arena's GPU.
class DeviceArena {
 public:
  // `growth_bytes`: the smallest segment added when an allocation does not fit.
  DeviceArena(int gpu, std::size_t growth_bytes);
  ~DeviceArena();
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;

  // Adds a segment of `bytes` and measures how much cudaMemGetInfo's free memory dropped
  // meanwhile (added to observed_drop_bytes). Throws pipewise::Error when the GPU lacks it.
  void reserve(std::size_t bytes);
  // A block of at least `bytes`, 256-byte aligned; adds a segment when nothing fits (counted
  // in grown_segments). Throws pipewise::Error naming the sizes when the GPU is out of memory.
  DeviceBlock allocate(std::size_t bytes);
  // Returns `block` (ignored when it holds nothing) and empties it.
  void free(DeviceBlock& block);

  std::size_t reserved_bytes() const { return allocator_.reserved_bytes(); }
  std::size_t in_use_bytes() const { return allocator_.in_use_bytes(); }
  std::size_t peak_in_use_bytes() const { return allocator_.peak_in_use_bytes(); }
  // How much free GPU memory (cudaMemGetInfo) dropped across reserve() calls: the
  // cross-check of reserved_bytes (the driver rounds segments up to its page size).
  std::size_t observed_drop_bytes() const { return observed_drop_; }
  // Segments added by allocate() since the last reset_peak(): the reservation was short.
  std::uint32_t grown_segments() const { return grown_segments_; }
  void reset_peak();

 private:
  void add_segment(std::size_t bytes);

  int gpu_;
  std::size_t growth_bytes_;
  ArenaAllocator allocator_;
  std::vector<void*> segments_;
  std::size_t observed_drop_ = 0;
  std::uint32_t grown_segments_ = 0;
};

}  // namespace pipewise::exec::cuda
