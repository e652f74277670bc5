#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace pipewise {

// What an op does. Compute ops run one model stage on one micro-batch; communication
// ops move that stage's output activation (to stage+1) or its input gradient (to stage-1).
enum class OpKind : std::uint8_t {
  Forward,         // F: forward of `stage` on `microbatch`
  Backward,        // B: full backward (input and weight gradients together)
  BackwardInput,   // I: gradient w.r.t. the stage input only (zero-bubble split)
  BackwardWeight,  // W: gradient w.r.t. the stage weights only (needs I first)
  SendActivation,  // output of F(stage, mb) sent to stage+1
  RecvActivation,  // input of F(stage, mb) received from stage-1
  SendGrad,        // input gradient of B/I(stage, mb) sent to stage-1
  RecvGrad,        // output gradient for B/I(stage, mb) received from stage+1
  OptimizerStep,   // turns weight version `weight_version` of `stage` into version+1
  Unshard,         // FSDP: gathers the sharded parameters of `stage` (PyTorch's UNSHARD)
  Reshard,         // FSDP: frees the gathered parameters of `stage` (PyTorch's RESHARD)
};
inline constexpr int kOpKindCount = 11;

// Bits of Op::flags.
//
// kOverlapWithNext marks a forward that runs overlapped with the next op of its program, a
// B or an I of another micro-batch or stage: the F&B pair of DualPipe (DeepSeek-V3 §3.2.1),
// PyTorch's `(0F7;7B3)OVERLAP_F_B`. The pair starts when the device is free and both ops'
// inputs are there, and both ops end together, when the pair ends (sim/engine.hpp prices
// it from its parts); a consumer of either op's output waits for the pair. Why a flag and
// not an op kind of its own: the two ops stay ordinary ops, so every rule that looks at an
// F or a B (dependencies, coverage, weight versions, lowering, the executor's stage math)
// sees them unchanged, the record stays 16 bytes (a composite op would need two stages
// and two micro-batches), and a reader that ignores the flag still sees a valid schedule
// that runs the two ops one after the other, as PyTorch's runtime does by default. In a
// lowered schedule the pair's receives come before the F and its sends after the B, so the
// B is always the op right after its F (validate.hpp: "bad-overlap").
inline constexpr std::uint8_t kOverlapWithNext = 1;
inline constexpr std::uint8_t kKnownOpFlags = kOverlapWithNext;

// One instruction of a device program. 16 bytes, so 10^8 ops take 1.6 GB.
// `microbatch` counts within an iteration (0..m-1); `iteration` is the training step.
// `weight_version` is the version of the stage's weights that the op reads (compute and
// communication ops) or the version it replaces (OptimizerStep). Unshard and Reshard carry
// only their stage (micro-batch, iteration and version 0). `flags` holds the bits above.
struct Op {
  OpKind kind = OpKind::Forward;
  std::uint8_t flags = 0;
  std::uint16_t stage = 0;
  std::uint32_t microbatch = 0;
  std::uint32_t iteration = 0;
  std::uint32_t weight_version = 0;

  friend bool operator==(const Op&, const Op&) = default;
};
static_assert(sizeof(Op) == 16, "the IR promises 16 bytes per op");

constexpr bool is_compute(OpKind kind) {
  return kind == OpKind::Forward || kind == OpKind::Backward || kind == OpKind::BackwardInput ||
         kind == OpKind::BackwardWeight;
}
constexpr bool is_communication(OpKind kind) {
  return kind == OpKind::SendActivation || kind == OpKind::RecvActivation ||
         kind == OpKind::SendGrad || kind == OpKind::RecvGrad;
}
constexpr bool is_send(OpKind kind) {
  return kind == OpKind::SendActivation || kind == OpKind::SendGrad;
}
constexpr bool is_recv(OpKind kind) {
  return kind == OpKind::RecvActivation || kind == OpKind::RecvGrad;
}
// FSDP parameter ops (PyTorch's UNSHARD and RESHARD): they carry no micro-batch, and
// pipewise prices them at zero (sim/engine.hpp says why).
constexpr bool is_fsdp(OpKind kind) { return kind == OpKind::Unshard || kind == OpKind::Reshard; }
// Ops that carry a micro-batch of their stage: compute and communication ops (not steps,
// not FSDP ops).
constexpr bool has_microbatch(OpKind kind) { return is_compute(kind) || is_communication(kind); }
// True for a forward marked to run overlapped with the next op of its program.
constexpr bool overlaps_next(const Op& op) { return (op.flags & kOverlapWithNext) != 0; }
// Backward-family ops that produce the gradient for the previous stage (B or I).
constexpr bool produces_input_grad(OpKind kind) {
  return kind == OpKind::Backward || kind == OpKind::BackwardInput;
}

// Short name used in text forms and tables: F, B, I, W, SEND_F, RECV_F, SEND_B, RECV_B, STEP,
// UNSHARD, RESHARD.
std::string_view op_kind_name(OpKind kind);
// Long name used in JSON: "forward", "backward", ..., "optimizer_step", "unshard", "reshard".
std::string_view op_kind_json_name(OpKind kind);
// Inverse of op_kind_json_name; throws pipewise::Error naming the unknown string.
OpKind op_kind_from_json_name(std::string_view name);

// Compact label such as "2B0" (stage 2, backward of micro-batch 0), for timelines and text
// forms; multi-iteration schedules print the global micro-batch number i*m + mb. Steps and
// FSDP ops print no micro-batch ("0STEP", "1UNSHARD").
std::string op_label(const Op& op, std::uint32_t microbatches_per_iteration);

}  // namespace pipewise
