#pragma once
#include <cstdint>
#include <vector>

namespace pipewise::exec {

// What one stage holds for one in-flight micro-batch on the CPU backend. Buffers are empty
// when not held; outputs and grads have one entry per layer of the stage.
struct MicrobatchSlot {
  std::uint64_t microbatch = 0;     // g = iteration·m + micro-batch
  bool in_use = false;
  bool forwarded = false;           // F ran and its activations are stashed
  bool input_grad_computed = false; // I ran
  bool weight_grad_computed = false;// W ran: the activations are freed
  std::uint32_t weight_version = 0; // the version F read
  std::vector<float> input;         // stage input (stages > 0): received or handed over
  std::vector<std::vector<float>> outputs;  // layer outputs; the last feeds the next stage
  std::vector<std::vector<float>> grads;    // pre-activation gradients; grads.back() first
                                            // holds the gradient of the stage output
  std::vector<float> input_grad;    // gradient of the stage input, until sent or handed over
};

// The slots of one stage, looked up by micro-batch. Closed slots are reused, so once the
// number of micro-batches in flight has peaked nothing is allocated.
class MicrobatchSlots {
 public:
  // The open slot of micro-batch g, or null.
  MicrobatchSlot* find(std::uint64_t g);
  // The open slot of micro-batch g, opened (with `layers` empty outputs and grads) if absent.
  MicrobatchSlot& find_or_open(std::uint64_t g, std::uint32_t layers);
  // Marks `slot` free. REQUIRES: its buffers are empty (given back).
  void close(MicrobatchSlot& slot);
  // Every slot, open or not (for releasing buffers at the end of a run).
  std::vector<MicrobatchSlot>& all() { return slots_; }

 private:
  std::vector<MicrobatchSlot> slots_;
};

}  // namespace pipewise::exec
