#pragma once
#include <cstdint>
#include <span>

namespace pipewise::exec {

// FNV-1a over the 32-bit patterns of `values`: any single flipped bit changes it.
std::uint64_t buffer_checksum(std::span<const float> values);

}  // namespace pipewise::exec
