#pragma once
#include <cstdint>

#include "exec/core/memory_account.hpp"

namespace pipewise::exec {

// The memory peaks of one device over a run, as its backend accounted them: the figures the
// simulator predicts (sim::DeviceStats) for the same device.
struct MeasuredMemory {
  std::uint64_t peak_bytes = 0;             // everything held at once, at its peak
  std::uint64_t peak_activation_bytes = 0;  // MemoryCategory::Activations at its peak
  std::uint32_t peak_activations = 0;       // most micro-batch stashes alive at once
  std::uint32_t weight_versions = 0;        // most weight versions of one stage held at once

  // The larger of each peak of this and `other`.
  MeasuredMemory max_with(const MeasuredMemory& other) const;
};

// The peaks `account` recorded since its last reset.
MeasuredMemory measured_memory(const MemoryAccount& account);

}  // namespace pipewise::exec
