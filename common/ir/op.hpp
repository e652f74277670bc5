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
};
inline constexpr int kOpKindCount = 9;

// One instruction of a device program. 16 bytes, so 10^8 ops take 1.6 GB.
// `microbatch` counts within an iteration (0..m-1); `iteration` is the training step.
// `weight_version` is the version of the stage's weights that the op reads (compute and
// communication ops) or the version it replaces (OptimizerStep).
struct Op {
  OpKind kind = OpKind::Forward;
  std::uint8_t reserved = 0;
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
// Backward-family ops that produce the gradient for the previous stage (B or I).
constexpr bool produces_input_grad(OpKind kind) {
  return kind == OpKind::Backward || kind == OpKind::BackwardInput;
}

// Short name used in text forms and tables: F, B, I, W, SEND_F, RECV_F, SEND_B, RECV_B, STEP.
std::string_view op_kind_name(OpKind kind);
// Long name used in JSON: "forward", "backward", ..., "optimizer_step".
std::string_view op_kind_json_name(OpKind kind);
// Inverse of op_kind_json_name; throws pipewise::Error naming the unknown string.
OpKind op_kind_from_json_name(std::string_view name);

// Compact label such as "F3" (forward of micro-batch 3) or "2B0" with the stage, for
// timelines; multi-iteration schedules print the global micro-batch number i*m + mb.
std::string op_label(const Op& op, std::uint32_t microbatches_per_iteration);

}  // namespace pipewise
