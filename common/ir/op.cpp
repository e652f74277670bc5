#include "common/ir/op.hpp"

#include <array>

#include "common/ir/error.hpp"

namespace pipewise {
namespace {
constexpr std::array<std::string_view, kOpKindCount> kShortNames = {
    "F", "B", "I", "W", "SEND_F", "RECV_F", "SEND_B", "RECV_B", "STEP", "UNSHARD", "RESHARD"};
constexpr std::array<std::string_view, kOpKindCount> kJsonNames = {
    "forward",         "backward",        "backward_input", "backward_weight", "send_activation",
    "recv_activation", "send_grad",       "recv_grad",      "optimizer_step",  "unshard",
    "reshard"};
}  // namespace

std::string_view op_kind_name(OpKind kind) { return kShortNames[static_cast<int>(kind)]; }

std::string_view op_kind_json_name(OpKind kind) { return kJsonNames[static_cast<int>(kind)]; }

OpKind op_kind_from_json_name(std::string_view name) {
  for (int k = 0; k < kOpKindCount; ++k) {
    if (kJsonNames[k] == name) return static_cast<OpKind>(k);
  }
  throw Error("unknown op kind \"" + std::string(name) + "\"");
}

std::string op_label(const Op& op, std::uint32_t microbatches_per_iteration) {
  const std::uint64_t global_mb =
      std::uint64_t{op.iteration} * microbatches_per_iteration + op.microbatch;
  std::string label = std::to_string(op.stage);
  label += op_kind_name(op.kind);
  if (has_microbatch(op.kind)) label += std::to_string(global_mb);
  return label;
}

}  // namespace pipewise
