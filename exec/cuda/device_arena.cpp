#include "exec/cuda/device_arena.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <string>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"
#include "exec/cuda/cuda_check.hpp"

namespace pipewise::exec::cuda {
namespace {

std::string bytes_text(std::size_t bytes) { return format_bytes(static_cast<double>(bytes)); }

}  // namespace

DeviceArena::DeviceArena(int gpu, std::size_t growth_bytes)
    : gpu_(gpu), growth_bytes_(std::max<std::size_t>(growth_bytes, 1u << 20)) {}

DeviceArena::~DeviceArena() {
  for (void* segment : segments_) cudaFree(segment);
}

void DeviceArena::add_segment(std::size_t bytes) {
  void* segment = nullptr;
  const cudaError_t status = cudaMalloc(&segment, bytes);
  if (status != cudaSuccess) {
    cudaGetLastError();
    std::size_t free = 0;
    std::size_t total = 0;
    cudaMemGetInfo(&free, &total);
    throw Error("GPU " + std::to_string(gpu_) + " is out of memory: the arena needs " + bytes_text(bytes) +
                " more (it holds " + bytes_text(reserved_bytes()) + "; the GPU has " + bytes_text(free) +
                " free of " + bytes_text(total) + "): " + cudaGetErrorString(status));
  }
  segments_.push_back(segment);
  allocator_.add_segment(bytes);
}

void DeviceArena::reserve(std::size_t bytes) {
  std::size_t free_before = 0;
  std::size_t free_after = 0;
  std::size_t total = 0;
  check_cuda(cudaMemGetInfo(&free_before, &total), "reading free memory of GPU " + std::to_string(gpu_));
  add_segment(bytes);
  check_cuda(cudaMemGetInfo(&free_after, &total), "reading free memory of GPU " + std::to_string(gpu_));
  if (free_before > free_after) observed_drop_ += free_before - free_after;
}

DeviceBlock DeviceArena::allocate(std::size_t bytes) {
  std::optional<ArenaBlock> block = allocator_.allocate(bytes);
  if (!block) {
    add_segment(std::max(growth_bytes_, (bytes + ArenaAllocator::kAlignment - 1) /
                                            ArenaAllocator::kAlignment * ArenaAllocator::kAlignment));
    ++grown_segments_;
    block = allocator_.allocate(bytes);
    if (!block) throw Error("arena: a fresh segment could not hold " + std::to_string(bytes) + " bytes");
  }
  return {static_cast<char*>(segments_[block->segment]) + block->offset, *block};
}

void DeviceArena::free(DeviceBlock& block) {
  if (block.data == nullptr) return;
  allocator_.free(block.block);
  block = DeviceBlock{};
}

void DeviceArena::reset_peak() {
  allocator_.reset_peak();
  grown_segments_ = 0;
}

}  // namespace pipewise::exec::cuda
