#pragma once
// How each kind of op looks in the timelines: one colour scheme for SVG, trace and ASCII.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ir/op.hpp"

namespace pipewise {

struct OpStyle {
  std::string_view letter;       // one character for ASCII grids: F, B, I, W, S
  std::string_view description;  // for legends: "forward", ...
  std::string_view fill;         // SVG colour of chunk 0, "#rrggbb"
  std::string_view trace_colour; // Chrome trace reserved colour name (cname)
};

// The style of compute and optimizer ops; communication ops share one neutral style.
const OpStyle& op_style(OpKind kind);

// `fill` lightened for chunk `chunk` of `chunks` (chunk 0 unchanged, later chunks paler),
// so interleaved diagrams tell chunks apart as the papers do.
std::string chunk_fill(OpKind kind, std::uint32_t chunk, std::uint32_t chunks);

// The micro-batch number shown on an op: i·m + j for iteration i (as op_label numbers it).
std::uint64_t global_microbatch(const Op& op, std::uint32_t microbatches_per_iteration);

}  // namespace pipewise
