#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <vector>

namespace pipewise::exec::cuda {

// CUDA events reused from run to run, so that timing every op creates no event in steady
// state. Events are created in the calling thread's current context (the device's lane);
// recycle() hands them all out again, once the device's work has completed.
// Single-threaded, like the device's worker.
class EventPool {
 public:
  // `flags`: cudaEventDefault for timing events, cudaEventDisableTiming for events that only
  // order streams (cheaper to record and wait on).
  explicit EventPool(unsigned flags) : flags_(flags) {}
  ~EventPool();
  EventPool(const EventPool&) = delete;
  EventPool& operator=(const EventPool&) = delete;

  // An event not handed out since the last recycle(). Throws pipewise::Error when CUDA
  // cannot create one.
  cudaEvent_t next();
  // Makes every event available again. REQUIRES: no event is still awaited.
  void recycle() { used_ = 0; }
  // Creates events until `count` exist (before a run, outside its timed part).
  void reserve(std::size_t count);

 private:
  unsigned flags_;
  std::vector<cudaEvent_t> events_;
  std::size_t used_ = 0;
};

}  // namespace pipewise::exec::cuda
