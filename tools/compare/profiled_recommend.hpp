#pragma once
// `pipewise recommend --costs FILE`: the pipeline configurations of a profiled model (the MLP
// a cost file written by `pipewise profile` describes) on a number of devices, each predicted
// exactly as `pipewise run --costs FILE` predicts it, and ranked by step time under a memory
// cap per device. Profile once, ask which configuration to train with, then run that one and
// see the prediction hold.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ir/status.hpp"
#include "sim/cost_model.hpp"
#include "tools/compare/predicted_run.hpp"

namespace pipewise::tools {

// What to search. Empty lists mean the defaults described on each field.
struct ProfiledSearch {
  std::uint32_t devices = 1;      // every configuration uses them all: p · d = devices
  std::uint64_t global_batch = 1;  // samples per step: m = global_batch / (b · d)
  std::optional<double> memory_cap_bytes;  // per device; none: every configuration fits
  // Every synchronous schedule (the zero-bubble and DualPipe family included); asynchronous
  // ones train on stale weights and are searched only when named.
  std::vector<std::string> schedules;
  std::vector<std::uint32_t> stages;  // p: every divisor of `devices`
  // v for schedules with chunks: every v >= 2 with p·v at most the model's layers; the one
  // v a schedule fixes (zbv: 2) otherwise.
  std::vector<std::uint32_t> chunks;
};

// One configuration and, when it could be predicted, its prediction.
struct ProfiledCandidate {
  std::string schedule;
  std::uint32_t stages = 1;        // p
  std::uint32_t chunks = 1;        // v
  std::uint32_t replicas = 1;      // d
  std::uint32_t microbatches = 1;  // m, per replica
  // Ok unless the configuration cannot be run or predicted (the batch does not divide, the
  // model has too few layers, the schedule refuses it, the profile measured no all-reduce
  // for d > 1); the reason says which.
  Status validity;
  double step_ms = 0;        // the predicted step (one iteration of the schedule)
  double bubble_ratio = 0;   // idle / (p · step)
  std::uint64_t peak_bytes = 0;    // the fullest device's peak
  std::uint64_t static_bytes = 0;  // its weights, gradients and optimizer state
  std::uint32_t peak_device = 0;
  bool fits = false;  // every device's peak within the cap
};

struct ProfiledRecommendation {
  // Every configuration: those that fit by step time (ties to the smaller peak, then the
  // search order), then those over the cap by step time, then the invalid ones in search
  // order.
  std::vector<ProfiledCandidate> candidates;
  std::size_t fitting = 0;
  std::size_t exceeding = 0;
};

// Searches the configurations of the model profiled in `file` (read from `path`, named in
// errors): schedule × p × v, with d = devices / p and m = global batch / (the profile's
// micro-batch size · d). Each valid one is predicted as `run --costs` does (costs_for_run:
// the measured stages at the profiled split, the layers' costs at another; the file's
// all-reduce applied to d replicas; each device's memory sized from the model by
// device_memory_config, its peak from the program) on the lowered schedule. Throws
// pipewise::Error when the file has no "profile" section (only a measured file describes a
// model to lay out), when the search is empty (no devices, no batch, an unknown schedule), or
// when its schedules would hold more than 2^25 ops in all (half a minute or more: the
// message says how to narrow it).
ProfiledRecommendation recommend_from_profile(const sim::CostConfig& file, const std::string& path,
                                              const ProfiledSearch& search);

// `candidate` (one recommend_from_profile predicted) at `microbatches` micro-batches instead
// of its own m, predicted with its timeline as `run --costs` predicts it (predict_run: each
// device's memory track from its own share). Throws pipewise::Error when the schedule does
// not take that m.
PredictedRun predict_with_timeline(const sim::CostConfig& file, const std::string& path,
                                   ProfiledCandidate candidate, std::uint32_t microbatches);

// The command that runs `candidate` on the profiled backend and sets its measurement beside
// this very prediction: `pipewise run ... --costs PATH`, under `mpirun -np p·d` when the
// profile ran across processes or d > 1. The path is quoted for a POSIX shell when needed.
std::string run_command_line(const ProfiledCandidate& candidate, const sim::ProfileOrigin& origin,
                             const std::string& costs_path);

}  // namespace pipewise::tools
