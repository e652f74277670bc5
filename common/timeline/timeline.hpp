#pragma once
// A timeline: when each op ran on which device, when each message was on which link, and
// how much memory each device held over time. The simulator records one ("predicted"); the
// executor records another ("measured"); the trace and SVG writers (report/) draw a list of
// them, one above the other. Times are in milliseconds from the start of the run.
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/op.hpp"
#include "common/ir/problem.hpp"

namespace pipewise {

// One op's run on a device: [start_ms, end_ms).
struct OpSpan {
  double start_ms = 0.0;
  double end_ms = 0.0;
  Op op;
  std::uint32_t device = 0;
};

// One message on link from_device -> to_device: it occupies the link from start_ms and
// arrives at end_ms. `producer` is the compute op whose output (F) or input gradient (B/I)
// it carries; the consumer is F(stage+1) or B/I(stage−1) of the same micro-batch.
struct MessageSpan {
  double start_ms = 0.0;
  double end_ms = 0.0;
  std::uint32_t from_device = 0;
  std::uint32_t to_device = 0;
  Op producer;
};

// Device memory (static bytes plus live activations) from time_ms on, until the next sample.
struct MemorySample {
  double time_ms = 0.0;
  std::uint64_t bytes = 0;
  std::uint32_t live_activations = 0;  // micro-batch stashes alive on the device
};

// One micro-batch's stashed activation on one stage: allocated when its F starts, released
// when its B (or, for split schedules, its W) ends.
struct ActivationLifetime {
  std::uint32_t stage = 0;
  std::uint32_t iteration = 0;
  std::uint32_t microbatch = 0;
  std::uint32_t device = 0;
  double allocated_ms = 0.0;
  double released_ms = 0.0;
  std::uint64_t bytes = 0;
};

struct Timeline {
  std::string name;  // e.g. "predicted" or "measured"; used as a title
  Problem problem;   // sizes, for labels (micro-batch numbering, stage to device)
  std::vector<OpSpan> ops;  // any order
  std::vector<MessageSpan> messages;
  std::vector<std::vector<MemorySample>> memory;  // per device, in time order; may be empty
  std::vector<ActivationLifetime> activations;    // may be empty

  // The latest end time of any op or message (0 for an empty timeline).
  double end_ms() const;
};

}  // namespace pipewise
