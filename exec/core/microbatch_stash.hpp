#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/memory_account.hpp"

// What a stage holds for one micro-batch in flight, and the rules every backend follows to
// fill and empty it: which buffers each op takes and gives back, charged to which memory
// category, and which orders of ops are errors (each named the same way on every backend).
// The math between the steps, and how a buffer is copied, are the backend's.
//
// Buffer is the backend's buffer type (a host vector, a block of a GPU arena): default
// constructible, cheap to move, with empty() and size() (in floats). Pool is the backend's per-device pool:
//   Buffer take(std::size_t floats, MemoryCategory category);  // now held as `category`
//   void give(Buffer& buffer, MemoryCategory category);         // empties it (empty: no-op)
//   void adopt(const Buffer& buffer, MemoryCategory category);  // charged as `category`
//   void disown(const Buffer& buffer, MemoryCategory category); // no longer charged
//   MemoryAccount& account();
// A stage's buffers are sized from its widths (StageLayout::widths: the stage input, then
// each layer's output) and the micro-batch's rows.

namespace pipewise::exec {

template <class Buffer>
struct MicrobatchStash {
  std::uint64_t microbatch = 0;       // g = iteration·m + micro-batch
  bool in_use = false;                // open in its stage's MicrobatchStashes
  bool forwarded = false;             // F ran and its activations are stashed
  bool input_grad_computed = false;   // I ran
  bool weight_grad_computed = false;  // W ran: the activations are freed
  Buffer input;                       // stage input (stages > 0): received or handed over
  std::vector<Buffer> outputs;        // layer outputs; the last feeds the next stage
  std::vector<Buffer> grads;          // pre-activation gradients; grads.back() first
                                      // holds the gradient of the stage output
  Buffer input_grad;                  // gradient of the stage input, until sent or handed over

  // Before F's math: takes a buffer per layer output. Throws pipewise::Error when F ran
  // already, or when a stage that receives its input (`receives_input`) has not.
  template <class Pool>
  void take_outputs(const std::vector<std::uint32_t>& widths, std::uint32_t rows,
                    bool receives_input, Pool& pool) {
    if (forwarded || weight_grad_computed) throw Error("a second forward of the same micro-batch");
    if (receives_input && input.empty()) {
      throw Error("the stage input has not arrived (is a RecvActivation missing?)");
    }
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
      outputs[l] = pool.take(std::size_t{rows} * widths[l + 1], MemoryCategory::Activations);
    }
  }
  // After F's math: the activations are stashed.
  template <class Pool>
  void stash_forward(Pool& pool) {
    forwarded = true;
    pool.account().activation_stash_opened();
  }

  // Before I's math: the gradient of the stage output is in grads.back() (on the loss stage,
  // `computes_loss`, the probabilities F left in outputs.back() become it in place), and
  // buffers are taken for the other layers' gradients and, unless `first_stage`, for the
  // input gradient. Throws pipewise::Error when I ran already or the output gradient has
  // not arrived.
  template <class Pool>
  void take_gradients(const std::vector<std::uint32_t>& widths, std::uint32_t rows,
                      bool computes_loss, bool first_stage, Pool& pool) {
    if (input_grad_computed) throw Error("a second backward-input of the same micro-batch");
    if (computes_loss) {
      pool.disown(outputs.back(), MemoryCategory::Activations);
      pool.adopt(outputs.back(), MemoryCategory::ActivationGradients);
      grads.back() = std::exchange(outputs.back(), Buffer{});
    } else if (grads.back().empty()) {
      throw Error("the gradient of the stage output has not arrived (is a RecvGrad missing?)");
    }
    for (std::size_t l = 0; l + 2 < widths.size(); ++l) {
      grads[l] = pool.take(std::size_t{rows} * widths[l + 1], MemoryCategory::ActivationGradients);
    }
    if (!first_stage) {
      input_grad = pool.take(std::size_t{rows} * widths.front(), MemoryCategory::ActivationGradients);
    }
  }
  // After I's math: the last output, which only the ReLU mask of I read, is freed.
  template <class Pool>
  void finish_backward_input(Pool& pool) {
    pool.give(outputs.back(), MemoryCategory::Activations);
    input_grad_computed = true;
  }

  // Before W's math. Throws pipewise::Error when I has not run.
  void check_backward_weight() const {
    if (!input_grad_computed) throw Error("backward-weight before the backward-input of its micro-batch");
  }
  // After W's math: every activation and gradient of the micro-batch but the input
  // gradient (still to be sent) is freed, and the stash is closed.
  template <class Pool>
  void finish_backward_weight(Pool& pool) {
    pool.give(input, MemoryCategory::Activations);
    for (Buffer& output : outputs) pool.give(output, MemoryCategory::Activations);
    for (Buffer& grad : grads) pool.give(grad, MemoryCategory::ActivationGradients);
    forwarded = false;
    weight_grad_computed = true;
    pool.account().activation_stash_closed();
  }

  // A stage input handed over from the previous stage on the same device: a buffer of
  // `floats` for the backend to copy the previous stage's output into. Throws
  // pipewise::Error when the stage holds an input for the micro-batch already.
  template <class Pool>
  Buffer& take_handed_input(std::size_t floats, Pool& pool) {
    if (!input.empty()) throw Error("the next stage already holds an input for this micro-batch");
    input = pool.take(floats, MemoryCategory::Activations);
    return input;
  }
  // Hands the input gradient to `previous`, the stash of the same micro-batch on the previous
  // stage when it is on the same device (null when it has none). Throws pipewise::Error when
  // that stage has no stashed forward or already holds its output gradient.
  void hand_input_grad_to(MicrobatchStash* previous) {
    if (previous == nullptr || !previous->forwarded) {
      throw Error("the previous stage has no stashed forward of this micro-batch");
    }
    if (!previous->grads.back().empty()) {
      throw Error("the previous stage already holds an output gradient for this micro-batch");
    }
    previous->grads.back() = std::exchange(input_grad, Buffer{});
  }

  // W ran and the input gradient has left: nothing of the micro-batch is held any more.
  bool done() const { return weight_grad_computed && input_grad.empty(); }

  // Gives back whatever the stash still holds (a run that stopped midway), closing its
  // activation stash if open.
  template <class Pool>
  void release(Pool& pool) {
    if (forwarded) pool.account().activation_stash_closed();
    pool.give(input, MemoryCategory::Activations);
    for (Buffer& output : outputs) pool.give(output, MemoryCategory::Activations);
    for (Buffer& grad : grads) pool.give(grad, MemoryCategory::ActivationGradients);
    pool.give(input_grad, MemoryCategory::ActivationGradients);
    forwarded = false;
  }
};

// The stashes of one stage, looked up by micro-batch. Closed stashes are reused, so once
// the number of micro-batches in flight has peaked nothing is allocated. A stash reference
// stays valid until the next open of this stage.
template <class Buffer>
class MicrobatchStashes {
 public:
  using Stash = MicrobatchStash<Buffer>;

  // The open stash of micro-batch g, or null.
  Stash* find(std::uint64_t g) {
    for (Stash& stash : stashes_) {
      if (stash.in_use && stash.microbatch == g) return &stash;
    }
    return nullptr;
  }
  // The open stash of micro-batch g, opened (with `layers` empty outputs and grads) if absent.
  Stash& find_or_open(std::uint64_t g, std::uint32_t layers) {
    Stash* free_stash = nullptr;
    for (Stash& stash : stashes_) {
      if (stash.in_use && stash.microbatch == g) return stash;
      if (!stash.in_use && free_stash == nullptr) free_stash = &stash;
    }
    if (free_stash == nullptr) free_stash = &stashes_.emplace_back();
    free_stash->microbatch = g;
    free_stash->in_use = true;
    free_stash->forwarded = false;
    free_stash->input_grad_computed = false;
    free_stash->weight_grad_computed = false;
    free_stash->outputs.resize(layers);
    free_stash->grads.resize(layers);
    return *free_stash;
  }
  // The stash whose forward is stashed, for `needed_by` ("backward-input", ...). Throws
  // pipewise::Error when micro-batch g has none.
  Stash& forwarded(std::uint64_t g, const char* needed_by) {
    Stash* stash = find(g);
    if (stash == nullptr || !stash->forwarded) {
      throw Error(std::string("no stashed forward activations of this micro-batch for its ") +
                  needed_by);
    }
    return *stash;
  }
  // The stash a received message goes into (its stage input, or for a gradient the gradient
  // of its stage output), opened if absent. Throws pipewise::Error when a gradient arrives
  // for a micro-batch without a stashed forward, or the stash holds that message already.
  Buffer& message_target(std::uint64_t g, std::uint32_t layers, bool gradient) {
    if (gradient) {
      const Stash* stash = find(g);
      if (stash == nullptr || !stash->forwarded) {
        throw Error("the gradient arrived for a micro-batch whose forward this stage has not stashed");
      }
    }
    Stash& stash = find_or_open(g, layers);
    Buffer& target = gradient ? stash.grads.back() : stash.input;
    if (!target.empty()) throw Error("a second message for the same micro-batch");
    return target;
  }
  // The message a send of micro-batch g carries, taken out of the device's account (it is in
  // transit): for an activation a copy of the stage output, made into a buffer taken from
  // `pool` by `copy(target, source)` (the backend's way of copying); for a `gradient` the
  // input gradient itself, which leaves the stash (closed then if done). Throws
  // pipewise::Error when the op that makes it has not run.
  template <class Pool, class Copy>
  Buffer message_to_send(std::uint64_t g, bool gradient, Pool& pool, Copy&& copy) {
    Stash* stash = find(g);
    if (!gradient) {
      if (stash == nullptr || !stash->forwarded || stash->outputs.back().empty()) {
        throw Error("no forward output of this micro-batch to send (has its forward run?)");
      }
      const Buffer& output = stash->outputs.back();
      Buffer message = pool.take(output.size(), MemoryCategory::Activations);
      copy(message, output);
      pool.disown(message, MemoryCategory::Activations);
      return message;
    }
    if (stash == nullptr || stash->input_grad.empty()) {
      throw Error("no input gradient of this micro-batch to send (has its backward run?)");
    }
    Buffer message = std::exchange(stash->input_grad, Buffer{});
    pool.disown(message, MemoryCategory::ActivationGradients);
    close_if_done(*stash);
    return message;
  }
  // Closes `stash` when it is done (MicrobatchStash::done).
  void close_if_done(Stash& stash) {
    if (stash.done()) stash.in_use = false;
  }
  // Gives back what every open stash holds and closes them all (after a run).
  template <class Pool>
  void release_all(Pool& pool) {
    for (Stash& stash : stashes_) {
      if (!stash.in_use) continue;
      stash.release(pool);
      stash.in_use = false;
    }
  }

 private:
  std::vector<Stash> stashes_;
};

}  // namespace pipewise::exec
