#include "exec/core/memory_account.hpp"

#include <algorithm>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec {

std::string_view memory_category_name(MemoryCategory category) {
  switch (category) {
    case MemoryCategory::Weights: return "weights";
    case MemoryCategory::WeightGradients: return "weight_gradients";
    case MemoryCategory::OptimizerState: return "optimizer_state";
    case MemoryCategory::Activations: return "activations";
    case MemoryCategory::ActivationGradients: return "activation_gradients";
  }
  return "unknown";
}

void MemoryAccount::allocate(MemoryCategory category, std::size_t bytes) {
  const int index = static_cast<int>(category);
  current_[index] += bytes;
  peak_[index] = std::max(peak_[index], current_[index]);
  current_total_ += bytes;
  peak_total_ = std::max(peak_total_, current_total_);
}

void MemoryAccount::release(MemoryCategory category, std::size_t bytes) {
  const int index = static_cast<int>(category);
  if (current_[index] < bytes) {
    throw Error("memory account: releasing " + std::to_string(bytes) + " bytes of " +
                std::string(memory_category_name(category)) + " but only " +
                std::to_string(current_[index]) + " are held");
  }
  current_[index] -= bytes;
  current_total_ -= bytes;
}

void MemoryAccount::activation_stash_opened() {
  ++live_activations_;
  peak_live_activations_ = std::max(peak_live_activations_, live_activations_);
}

void MemoryAccount::activation_stash_closed() {
  if (live_activations_ == 0) throw Error("memory account: closing an activation stash that is not open");
  --live_activations_;
}

void MemoryAccount::weight_versions_held(std::uint32_t versions) {
  peak_weight_versions_ = std::max(peak_weight_versions_, versions);
}

void MemoryAccount::reset_peaks() {
  peak_ = current_;
  peak_total_ = current_total_;
  peak_live_activations_ = live_activations_;
  peak_weight_versions_ = 0;
}

}  // namespace pipewise::exec
