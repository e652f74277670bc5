#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pipewise::exec {

// What a byte of device memory holds.
enum class MemoryCategory : std::uint8_t {
  Weights,              // every held version of the stage parameters
  WeightGradients,      // the per-stage gradient accumulators
  OptimizerState,       // momentum, Adam moments
  Activations,          // stashed forward activations, received stage inputs included
  ActivationGradients,  // gradients flowing backward: received, computed, awaiting send
};
inline constexpr int kMemoryCategoryCount = 5;
// "weights", "weight_gradients", "optimizer_state", "activations", "activation_gradients".
std::string_view memory_category_name(MemoryCategory category);

// Everything one device holds, and the peaks of one run. Single-threaded: only the
// device's own worker updates it (and the main thread between runs).
class MemoryAccount {
 public:
  // `bytes` more of `category` are held.
  void allocate(MemoryCategory category, std::size_t bytes);
  // `bytes` of `category` are no longer held. Throws pipewise::Error when fewer are held.
  void release(MemoryCategory category, std::size_t bytes);
  // One more / one fewer micro-batch has its forward activations stashed on the device.
  void activation_stash_opened();
  void activation_stash_closed();
  // A stage of this device now holds `versions` versions of its weights.
  void weight_versions_held(std::uint32_t versions);
  // Starts a new measurement: every peak becomes the current value, and the weight-version
  // peak 0 until the stages report their holdings again.
  void reset_peaks();

  std::size_t current_bytes() const { return current_total_; }
  // Largest total held at any one time.
  std::size_t peak_bytes() const { return peak_total_; }
  std::size_t current_bytes(MemoryCategory category) const {
    return current_[static_cast<int>(category)];
  }
  // Largest amount of `category` held at any one time (not necessarily at peak_bytes()).
  std::size_t peak_bytes(MemoryCategory category) const { return peak_[static_cast<int>(category)]; }
  std::uint32_t live_activations() const { return live_activations_; }
  // Most micro-batches with stashed activations at any one time.
  std::uint32_t peak_live_activations() const { return peak_live_activations_; }
  // Most weight versions any one stage of the device held at once.
  std::uint32_t peak_weight_versions() const { return peak_weight_versions_; }

 private:
  std::array<std::size_t, kMemoryCategoryCount> current_{};
  std::array<std::size_t, kMemoryCategoryCount> peak_{};
  std::size_t current_total_ = 0;
  std::size_t peak_total_ = 0;
  std::uint32_t live_activations_ = 0;
  std::uint32_t peak_live_activations_ = 0;
  std::uint32_t peak_weight_versions_ = 0;
};

}  // namespace pipewise::exec
