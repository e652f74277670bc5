#pragma once
// The per-layer cost list `pipewise partition --layers-file` reads: JSON or CSV, one entry
// per layer, in model order.
//
// JSON: an array (or {"layers": [...]}) of objects
//   {"name": "block3", "count": 1, "forward_ms": 1.2, "backward_ms": 2.4,
//    "static_bytes": 2.1e9, "activation_bytes": 3.0e8}
// where only forward_ms is required: backward_ms defaults to twice it, count (repeats of the
// entry) to 1, the byte sizes to 0. static_bytes are weights, gradients and optimizer state;
// activation_bytes what one micro-batch stashes.
// CSV: a header naming some of the columns name, count, forward_ms, backward_ms,
// static_bytes, activation_bytes (forward_ms required), then one row per entry; blank lines
// and lines starting with '#' are skipped.
#include <string>
#include <vector>

namespace pipewise::tools {

struct LayerEntry {
  std::string name;
  double forward_ms = 0;
  double backward_ms = 0;
  double static_bytes = 0;
  double activation_bytes = 0;
  // Not a column: what a model's layer rebuilds during its backward under full
  // recomputation (PartitionLayer::transient_bytes).
  double transient_bytes = 0;
};

// The layers of `text`, JSON when its first non-blank character is '[' or '{', else CSV.
// Throws pipewise::Error "SOURCE: ..." naming the JSON path or the CSV line and column of
// the first problem (malformed or truncated JSON, an unknown column or field, a missing
// forward_ms, a negative or non-numeric value, no layers at all, more than kMaxLayers).
std::vector<LayerEntry> read_layer_list(const std::string& text, const std::string& source);

}  // namespace pipewise::tools
