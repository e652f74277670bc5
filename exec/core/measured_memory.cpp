#include "exec/core/measured_memory.hpp"

#include <algorithm>

namespace pipewise::exec {

MeasuredMemory MeasuredMemory::max_with(const MeasuredMemory& other) const {
  return {std::max(peak_bytes, other.peak_bytes),
          std::max(peak_activation_bytes, other.peak_activation_bytes),
          std::max(peak_activations, other.peak_activations),
          std::max(weight_versions, other.weight_versions)};
}

MeasuredMemory measured_memory(const MemoryAccount& account) {
  return {account.peak_bytes(), account.peak_bytes(MemoryCategory::Activations),
          account.peak_live_activations(), account.peak_weight_versions()};
}

}  // namespace pipewise::exec
