#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "exec/core/execution_profile.hpp"

// What every backend's profiler (profile_cpu_execution, profile_cuda_execution) does the
// same way: the warm-up and timed repeats of a measurement and their median, the order of
// one stage's measurements, the message sizes and the transfer fit. The backend brings what
// differs: how it runs each op alone, its clock, and how a message moves.

namespace pipewise::exec {

// A call, as the profiler times it.
using ProfiledCall = std::function<void()>;

// Times `body` once on the backend's clock, after `prepare` (untimed): the milliseconds
// `body` took. The CPU reads the host clock around it; a GPU records events around the
// work `body` enqueues and waits for them.
using TimeCall = std::function<double(const ProfiledCall& prepare, const ProfiledCall& body)>;

// The median of options.repeats timed calls of `body`, each after `prepare`, following
// options.warmup calls whose times are dropped. REQUIRES: options.repeats > 0.
double median_call_ms(const ProfileOptions& options, const TimeCall& time,
                      const ProfiledCall& prepare, const ProfiledCall& body);

// One stage's ops as a backend runs them alone, on one micro-batch whose stage input is in
// place. Each may assume the ones before it in this list ran at least once.
struct StageOps {
  ProfiledCall forward;           // F
  // Untimed, once after F's measurements: keeps the stage output as the output gradient I
  // starts from (the probabilities on the loss stage; elsewhere a buffer of that size, whose
  // values do not change the work).
  ProfiledCall keep_output_gradient;
  // Untimed, before every I and B: puts the kept output gradient back (I consumes it).
  ProfiledCall restore_output_gradient;
  ProfiledCall backward_input;   // I
  ProfiledCall backward_weight;  // W
  ProfiledCall optimizer_step;   // one step of the stage's optimizer, in place
  // One step that leaves the weights it reads as they are and writes the new ones into a
  // buffer of their own, as a step keeping the version it replaces does.
  ProfiledCall stashing_step;
};

// Times F, I, W, B (I then W back to back, as one op), the optimizer step and the
// stashing step of one stage, in that order, each by median_call_ms. The byte sizes of the
// result are left 0: the caller knows the stage.
StageProfile time_stage_ops(const StageOps& ops, const TimeCall& time,
                            const ProfileOptions& options);

// The message sizes to time: options.transfer_bytes, or 4 KiB, 16 KiB, ..., 4 MiB. Throws
// pipewise::Error for options that cannot profile: no timed repeat, a size of 0 bytes.
std::vector<std::size_t> checked_message_sizes(const ProfileOptions& options);

// The median one-way time in ms of a message of `bytes` bytes; `size_index` counts the
// sizes (0, 1, ...) so that a backend can tell the messages of different sizes apart.
using MessageTime = std::function<double(std::size_t bytes, std::uint32_t size_index)>;

// Times a message of each of `sizes` (in order) and fits latency + bytes · ms_per_byte to
// the samples: by least squares for two sizes or more (a negative latency or slope read as
// 0), as ms_per_byte alone for one. REQUIRES: sizes are those of checked_message_sizes.
TransferProfile profile_transfers(const std::vector<std::size_t>& sizes,
                                  const MessageTime& message_ms);

}  // namespace pipewise::exec
