#pragma once
#include <cstdint>

#include "common/ir/status.hpp"

namespace pipewise::exec::mpi {

// The MPI tag of a stage-to-stage message, so that MPI's matching does the work of the
// in-process transport's mailbox: each (kind, sending stage, micro-batch, iteration) of a run
// has a tag of its own, and MPI matches a receive to its send by tag however many other
// messages are on their way. Tags count up from kFirstMessageTag:
//   kFirstMessageTag + ((iteration · m + micro-batch) · stages + from_stage) · 2 + gradient
// Tags below kFirstMessageTag are the control messages' (ControlTag).
inline constexpr std::uint64_t kFirstMessageTag = 16;

enum class ControlTag : int {
  ClockSample = 1,   // clock alignment: a ping and its answer
  Gather = 2,        // results gathered by rank 0 at the end of a run
  Profile = 3,       // profiling: messages timed between ranks, and the turn to profile
};

struct MessageNumbering {
  std::uint32_t stages = 1;        // p·v
  std::uint32_t microbatches = 1;  // m

  std::uint64_t tag(bool gradient, std::uint32_t from_stage, std::uint32_t microbatch,
                    std::uint32_t iteration) const {
    const std::uint64_t global = std::uint64_t{iteration} * microbatches + microbatch;
    return kFirstMessageTag + (global * stages + from_stage) * 2 + (gradient ? 1 : 0);
  }
  // The largest tag of a run of `iterations` (≥ 1) iterations.
  std::uint64_t last_tag(std::uint32_t iterations) const {
    return tag(true, stages - 1, microbatches - 1, iterations - 1);
  }
};

// Ok when every tag of a run of `iterations` iterations numbered by `numbering` is at most
// `tag_upper_bound` (the communicator's MPI_TAG_UB: 2^31 − 1 with Open MPI, at least 32767
// anywhere); otherwise why not, with the numbers.
Status check_tags_fit(const MessageNumbering& numbering, std::uint32_t iterations,
                      std::uint64_t tag_upper_bound);

}  // namespace pipewise::exec::mpi
