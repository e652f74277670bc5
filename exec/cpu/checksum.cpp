#include "exec/cpu/checksum.hpp"

#include <bit>

namespace pipewise::exec {

std::uint64_t buffer_checksum(std::span<const float> values) {
  std::uint64_t hash = 0xCBF29CE484222325ull;
  for (const float value : values) {
    hash ^= std::bit_cast<std::uint32_t>(value);
    hash *= 0x100000001B3ull;
  }
  return hash;
}

}  // namespace pipewise::exec
