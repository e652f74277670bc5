#pragma once
#include <cstdint>

#include "common/ir/op.hpp"

namespace pipewise::exec {

// A backend's share of a data-parallel run: replica `replica` of `replicas` copies of the
// pipeline, each training on micro-batches of its own. Micro-batch mb of iteration i reads
// the data set's micro-batch i·m·replicas + replica·m + mb, so the replicas together read
// what one pipeline with m·replicas micro-batches per iteration would. Every backend reads
// its data by this rule (CPU threads or ranks, CUDA ranks).
struct DataParallelShare {
  std::uint32_t replica = 0;
  std::uint32_t replicas = 1;

  // The data set's micro-batch `op` reads, with m = `microbatches` per iteration.
  std::uint64_t data_microbatch(const Op& op, std::uint32_t microbatches) const {
    return (std::uint64_t{op.iteration} * replicas + replica) * microbatches + op.microbatch;
  }
};

}  // namespace pipewise::exec
