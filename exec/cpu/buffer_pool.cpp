#include "exec/cpu/buffer_pool.hpp"

#include <utility>

namespace pipewise::exec {

std::vector<float> BufferPool::take(std::size_t floats, MemoryCategory category) {
  account_.allocate(category, floats * sizeof(float));
  for (std::size_t i = idle_.size(); i-- > 0;) {
    if (idle_[i].size() != floats) continue;
    std::vector<float> buffer = std::move(idle_[i]);
    idle_[i] = std::move(idle_.back());
    idle_.pop_back();
    return buffer;
  }
  return std::vector<float>(floats);
}

void BufferPool::give(std::vector<float>& buffer, MemoryCategory category) {
  if (buffer.empty()) return;
  account_.release(category, buffer.size() * sizeof(float));
  idle_.push_back(std::move(buffer));
  buffer = {};
}

void BufferPool::adopt(const std::vector<float>& buffer, MemoryCategory category) {
  account_.allocate(category, buffer.size() * sizeof(float));
}

void BufferPool::disown(const std::vector<float>& buffer, MemoryCategory category) {
  account_.release(category, buffer.size() * sizeof(float));
}

}  // namespace pipewise::exec
