#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace pipewise::exec::cuda {

// A block handed out by an ArenaAllocator: `bytes` at `offset` of segment `segment`.
struct ArenaBlock {
  std::uint32_t segment = 0;
  std::size_t offset = 0;
  std::size_t bytes = 0;  // the rounded size actually reserved
  friend bool operator==(const ArenaBlock&, const ArenaBlock&) = default;
};

// The bookkeeping of a device memory arena, with no memory of its own: segments are
// ranges the owner reserved (one cudaMalloc each); blocks are carved from them best-fit,
// sizes rounded up to kAlignment, and freed blocks merge with free neighbours. Pure host
// logic, so it is tested without a GPU. Not thread-safe: one owner thread at a time.
class ArenaAllocator {
 public:
  static constexpr std::size_t kAlignment = 256;  // what cudaMalloc guarantees

  // Adds a segment of `bytes` (rounded down to kAlignment); returns its index.
  std::uint32_t add_segment(std::size_t bytes);
  // The smallest free range that holds `bytes` (at least one aligned unit), lowest segment
  // and offset on ties; nullopt when none does (the owner may add a segment and retry).
  std::optional<ArenaBlock> allocate(std::size_t bytes);
  // Returns `block` to its segment. Throws pipewise::Error when it is not a live block of
  // this arena (a double free or a forged block).
  void free(const ArenaBlock& block);

  std::size_t segment_count() const { return segments_.size(); }
  std::size_t reserved_bytes() const { return reserved_; }
  std::size_t in_use_bytes() const { return in_use_; }
  // Largest in_use_bytes() since construction or the last reset_peak().
  std::size_t peak_in_use_bytes() const { return peak_in_use_; }
  void reset_peak() { peak_in_use_ = in_use_; }
  std::size_t live_blocks() const;

 private:
  struct Segment {
    std::size_t bytes = 0;
    std::map<std::size_t, std::size_t> free;  // offset -> size, never adjacent
    std::map<std::size_t, std::size_t> used;  // offset -> size
  };
  std::vector<Segment> segments_;
  std::size_t reserved_ = 0;
  std::size_t in_use_ = 0;
  std::size_t peak_in_use_ = 0;
};

}  // namespace pipewise::exec::cuda
