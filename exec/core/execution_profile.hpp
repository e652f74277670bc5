#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>


// Measured costs of running a model on a backend, in the simulator's units
// (milliseconds, bytes, GB/s), for comparing measured runs against predictions.

namespace pipewise::exec {

// Median times of one stage's ops on one micro-batch.
struct StageProfile {
  double forward_ms = 0.0;          // F
  double backward_input_ms = 0.0;   // I
  double backward_weight_ms = 0.0;  // W
  double backward_ms = 0.0;         // B, timed as one op (I then W back to back)
  double optimizer_step_ms = 0.0;   // one optimizer step of the stage, in place
  // One step that keeps the version it replaces (weight stashing: PipeDream, 2BW) and so
  // writes the new one into another buffer; 0 when not measured.
  double stashing_step_ms = 0.0;
  std::size_t parameter_bytes = 0;
  std::size_t output_bytes = 0;     // the activation the stage sends forward per micro-batch
};

// One message size and the median time to move it between two device threads: the
// sender's copy into a message, the hand-over and the receiver's wake-up, as a run pays.
struct TransferSample {
  std::size_t bytes = 0;
  double median_ms = 0.0;
};

// Transfer time modelled as latency + bytes · ms_per_byte, fitted to the samples by least
// squares (a negative fitted latency is reported as 0).
struct TransferProfile {
  std::vector<TransferSample> samples;
  double latency_ms = 0.0;
  double ms_per_byte = 0.0;
  // 10^9 bytes per second: 1 / (ms_per_byte · 10^6); 0 when no per-byte cost was measured.
  double bandwidth_gb_per_s() const;
};

// How profiling measures, with defaults.
struct ProfileOptions {
  std::uint32_t warmup = 3;    // untimed runs of each measurement first
  std::uint32_t repeats = 15;  // timed runs; the median is reported
  // Message sizes to time; empty means 4 KiB, 16 KiB, ..., 4 MiB (six sizes).
  std::vector<std::size_t> transfer_bytes;
  // Pin the measuring threads to cores when the process may use at least two.
  bool pin_threads = true;
};

// The data-parallel gradient all-reduce across `replicas` copies of the pipeline: all-reduces
// of several sizes timed, and latency + bytes · ms_per_byte fitted to them as TransferProfile
// fits messages. With replicas = 1 none was timed (no data parallelism).
struct AllReduceProfile {
  std::uint32_t replicas = 1;
  std::vector<TransferSample> samples;
  double latency_ms = 0.0;
  double ms_per_byte = 0.0;
};

struct ExecutionProfile {
  std::vector<StageProfile> stages;  // one per model stage
  TransferProfile transfer;
  AllReduceProfile data_parallel;
};

}  // namespace pipewise::exec
