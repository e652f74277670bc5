#include "exec/cuda/device_pool.hpp"

namespace pipewise::exec::cuda {

DeviceBuffer DevicePool::take(std::size_t floats, MemoryCategory category) {
  DeviceBuffer buffer = take_untracked(floats);
  account_.allocate(category, buffer.bytes());
  return buffer;
}

void DevicePool::give(DeviceBuffer& buffer, MemoryCategory category) {
  if (buffer.empty()) return;
  account_.release(category, buffer.bytes());
  give_untracked(buffer);
}

DeviceBuffer DevicePool::take_untracked(std::size_t floats) {
  DeviceBlock block = arena_->allocate(floats * sizeof(float));
  return {static_cast<float*>(block.data), floats, block};
}

void DevicePool::give_untracked(DeviceBuffer& buffer) {
  arena_->free(buffer.block);
  buffer = DeviceBuffer{};
}

}  // namespace pipewise::exec::cuda
