#include "exec/cpu/microbatch_slots.hpp"

namespace pipewise::exec {

MicrobatchSlot* MicrobatchSlots::find(std::uint64_t g) {
  for (MicrobatchSlot& slot : slots_) {
    if (slot.in_use && slot.microbatch == g) return &slot;
  }
  return nullptr;
}

MicrobatchSlot& MicrobatchSlots::find_or_open(std::uint64_t g, std::uint32_t layers) {
  MicrobatchSlot* free_slot = nullptr;
  for (MicrobatchSlot& slot : slots_) {
    if (slot.in_use && slot.microbatch == g) return slot;
    if (!slot.in_use && free_slot == nullptr) free_slot = &slot;
  }
  if (free_slot == nullptr) free_slot = &slots_.emplace_back();
  free_slot->microbatch = g;
  free_slot->in_use = true;
  free_slot->forwarded = false;
  free_slot->input_grad_computed = false;
  free_slot->weight_grad_computed = false;
  free_slot->weight_version = 0;
  free_slot->outputs.resize(layers);
  free_slot->grads.resize(layers);
  return *free_slot;
}

void MicrobatchSlots::close(MicrobatchSlot& slot) { slot.in_use = false; }

}  // namespace pipewise::exec
