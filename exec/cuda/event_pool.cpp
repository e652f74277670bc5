#include "exec/cuda/event_pool.hpp"

#include "exec/cuda/cuda_check.hpp"

namespace pipewise::exec::cuda {

EventPool::~EventPool() {
  for (cudaEvent_t event : events_) cudaEventDestroy(event);
}

cudaEvent_t EventPool::next() {
  if (used_ == events_.size()) reserve(events_.size() + 1);
  return events_[used_++];
}

void EventPool::reserve(std::size_t count) {
  while (events_.size() < count) {
    cudaEvent_t event = nullptr;
    check_cuda(cudaEventCreateWithFlags(&event, flags_), "creating a CUDA event");
    events_.push_back(event);
  }
}

}  // namespace pipewise::exec::cuda
