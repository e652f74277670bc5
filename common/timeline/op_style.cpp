#include "common/timeline/op_style.hpp"

#include <array>
#include <cstdio>

namespace pipewise {
namespace {

const std::array<OpStyle, 6> kStyles = {{
    {"F", "forward", "#4c78a8", "rail_response"},
    {"B", "backward", "#59a14f", "good"},
    {"I", "backward (input gradient)", "#f28e2b", "thread_state_iowait"},
    {"W", "backward (weight gradient)", "#b07aa1", "rail_animation"},
    {"S", "optimizer step", "#7f7f7f", "grey"},
    {"C", "communication", "#bab0ac", "generic_work"},
}};

int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

const OpStyle& op_style(OpKind kind) {
  switch (kind) {
    case OpKind::Forward: return kStyles[0];
    case OpKind::Backward: return kStyles[1];
    case OpKind::BackwardInput: return kStyles[2];
    case OpKind::BackwardWeight: return kStyles[3];
    case OpKind::OptimizerStep: return kStyles[4];
    default: return kStyles[5];
  }
}

std::string chunk_fill(OpKind kind, std::uint32_t chunk, std::uint32_t chunks) {
  const std::string_view fill = op_style(kind).fill;
  if (chunks <= 1 || chunk == 0) return std::string(fill);
  const double paler = 0.45 * chunk / (chunks - 1);  // mix with white
  char text[8];
  int channel[3];
  for (int i = 0; i < 3; ++i) {
    const int value = hex_value(fill[1 + 2 * i]) * 16 + hex_value(fill[2 + 2 * i]);
    channel[i] = static_cast<int>(value + (255 - value) * paler + 0.5);
  }
  std::snprintf(text, sizeof text, "#%02x%02x%02x", channel[0], channel[1], channel[2]);
  return text;
}

std::uint64_t global_microbatch(const Op& op, std::uint32_t microbatches_per_iteration) {
  return std::uint64_t{op.iteration} * microbatches_per_iteration + op.microbatch;
}

}  // namespace pipewise
