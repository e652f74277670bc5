#include "exec/cuda/planning/arena_allocator.hpp"

#include <algorithm>
#include <iterator>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {
namespace {

std::size_t round_up(std::size_t bytes, std::size_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

}  // namespace

std::uint32_t ArenaAllocator::add_segment(std::size_t bytes) {
  Segment segment;
  segment.bytes = bytes / kAlignment * kAlignment;
  if (segment.bytes > 0) segment.free.emplace(0, segment.bytes);
  reserved_ += segment.bytes;
  segments_.push_back(std::move(segment));
  return static_cast<std::uint32_t>(segments_.size() - 1);
}

std::optional<ArenaBlock> ArenaAllocator::allocate(std::size_t bytes) {
  const std::size_t size = round_up(std::max<std::size_t>(bytes, 1), kAlignment);
  std::optional<ArenaBlock> best;
  std::size_t best_size = 0;
  for (std::uint32_t s = 0; s < segments_.size(); ++s) {
    for (const auto& [offset, free_size] : segments_[s].free) {
      if (free_size < size || (best && free_size >= best_size)) continue;
      best = ArenaBlock{s, offset, size};
      best_size = free_size;
    }
  }
  if (!best) return std::nullopt;
  Segment& segment = segments_[best->segment];
  segment.free.erase(best->offset);
  if (best_size > size) segment.free.emplace(best->offset + size, best_size - size);
  segment.used.emplace(best->offset, size);
  in_use_ += size;
  peak_in_use_ = std::max(peak_in_use_, in_use_);
  return best;
}

void ArenaAllocator::free(const ArenaBlock& block) {
  const auto forged = [&] {
    return Error("arena: freeing " + std::to_string(block.bytes) + " bytes at offset " +
                 std::to_string(block.offset) + " of segment " + std::to_string(block.segment) +
                 ", which is not a live block (double free?)");
  };
  if (block.segment >= segments_.size()) throw forged();
  Segment& segment = segments_[block.segment];
  const auto used = segment.used.find(block.offset);
  if (used == segment.used.end() || used->second != block.bytes) throw forged();
  segment.used.erase(used);
  in_use_ -= block.bytes;
  std::size_t offset = block.offset;
  std::size_t size = block.bytes;
  auto after = segment.free.lower_bound(offset);
  if (after != segment.free.end() && after->first == offset + size) {
    size += after->second;
    after = segment.free.erase(after);
  }
  if (after != segment.free.begin()) {
    const auto before = std::prev(after);
    if (before->first + before->second == offset) {
      offset = before->first;
      size += before->second;
      segment.free.erase(before);
    }
  }
  segment.free.emplace(offset, size);
}

std::size_t ArenaAllocator::live_blocks() const {
  std::size_t count = 0;
  for (const Segment& segment : segments_) count += segment.used.size();
  return count;
}

}  // namespace pipewise::exec::cuda
