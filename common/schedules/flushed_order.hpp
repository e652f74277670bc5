#pragma once
// The synchronous schedules that run the one-forward-one-backward order on every device
// and end each iteration with a flush: naive (no warm-up), 1F1B (p-d-1 warm-up forwards),
// GPipe (all forwards first) and Megatron-LM's interleaved 1F1B (its warm-up and schedule
// table over v chunks). Each is described by a FlushedOrder and produced op by op, so that
// one definition gives both the whole Schedule (materialize) and the streamed one that the
// simulator reads for schedules too large to hold.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/ir/schedule_stream.hpp"

namespace pipewise {

// One entry of Megatron-LM's schedule table: which chunk runs which micro-batch.
struct VirtualMicrobatch {
  std::uint32_t microbatch = 0;
  std::uint32_t chunk = 0;
};

// A flushed one-forward-one-backward schedule. Device d runs, for every iteration, the
// order of one_f_one_b_item (program_builder.hpp) over `work` items with warmup[d] warm-up
// forwards, then one OptimizerStep per chunk (stage c·p + d, chunk order) dated to
// micro-batch m-1 of the iteration. Every op of iteration i reads weight version i.
struct FlushedOrder {
  std::uint64_t work = 0;             // forwards (and backwards) of a device per iteration
  std::vector<std::uint64_t> warmup;  // per device; each <= work
  // Forward k runs table[k]; backward k runs table[k]'s micro-batch on the mirrored chunk
  // v-1-c (Megatron-LM's interleaving). Empty: item k is micro-batch k on chunk 0.
  std::vector<VirtualMicrobatch> table;
};

// The schedule `order` describes, named `name`, for `problem` (looped placement).
// REQUIRES: order.warmup has one entry per device; table empty or of `work` entries.
std::unique_ptr<ScheduleStream> flushed_stream(std::string name, const Problem& problem,
                                               FlushedOrder order);

}  // namespace pipewise
