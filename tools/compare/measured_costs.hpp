#pragma once
// Measured cost files: what `pipewise profile` writes from one profiled pipeline, and how
// `pipewise run --costs` costs a configuration from such a file, including splits of the
// model the profile did not run (per-layer costs).
#include <string>

#include "common/ir/problem.hpp"
#include "exec/core/execution_profile.hpp"
#include "exec/model/mlp_model.hpp"
#include "sim/cost_file.hpp"
#include "sim/cost_model.hpp"

namespace pipewise::tools {

// Where a profile was taken, beside the model and the measurements.
struct ProfileSetting {
  std::string backend;    // "cpu" or "cuda"
  std::string schedule;   // the schedule that ran
  std::uint32_t processes = 1;  // 1: one process; more: one MPI rank per device
  std::uint32_t microbatch_size = 1;
  std::string optimizer;  // sgd, momentum or adam
  bool split_backward = false;  // the schedule ran I and W as separate ops
};

// The cost file of a profile of `model` (split for `problem`):
//  - "stages": every model stage's F, I, W and optimizer step as they ran inside the
//    pipeline (`in_pipeline`, profile_from_steps), and the links, as cost_config_from_profile
//    makes them: a file that predicts this split as run's own profile does; with replicas
//    (a profile across p·d ranks) also "data_parallel", the all-reduce they measured;
//  - "profile": the model and the split; per kind of op the contention factor, the
//    in-pipeline time of every stage summed over the time alone of every layer summed; and per
//    layer its F, I, W (B timed as one op minus W, unless the schedule split the backward) and
//    optimizer step: its stage's in-pipeline time, shared among the stage's layers in
//    proportion to their times alone in `layers_alone` (the model split one layer per stage,
//    every op timed alone). A stage's layers sum to its measured time, and a slowdown of the
//    machine while the layers were timed alone cancels. A layer's stashing step is its step
//    times its stage's stashing step over step: what a stashing step costs beyond an
//    in-place one depends on the stage's whole footprint (caches), not on one layer's, so
//    another split keeps the profiled stages' ratio.
// Throws pipewise::Error when the profiles do not fit the model (stages, layers).
sim::CostFileContents measured_cost_file(const exec::ExecutionProfile& in_pipeline,
                                         const exec::ExecutionProfile& layers_alone,
                                         const exec::MlpModel& model, const Problem& problem,
                                         const ProfileSetting& setting);

// The timing costs `file` (read from `path`, named in errors) gives a run of `model` split for
// `problem`, with micro-batches of `microbatch_size` and `optimizer`:
//  - a measured file (with "profile") must describe the same model, micro-batch size and
//    optimizer; for the split it profiled its stages are used as they are, for another split
//    (another p·v) each stage costs the sum of its layers, and every message carries the mean
//    of the activation bytes of this split's stage boundaries that cross devices;
//  - any other cost file must give a forward time for every model stage, and is used as is.
// Memory is left to the caller (device_memory_config). Throws pipewise::Error with one line
// naming the file and the mismatch.
sim::CostConfig costs_for_run(const sim::CostConfig& file, const std::string& path,
                              const exec::MlpModel& model, const Problem& problem,
                              std::uint32_t microbatch_size, const std::string& optimizer);

// The timing costs a measured `file` (read from `path`) gives `problem` on its own: the model
// it profiled split for `problem` as `pipewise run` splits it, with the profile's micro-batch
// size and optimizer (costs_for_run: the file as it is at its own split, each stage the sum
// of its layers at another). Throws pipewise::Error naming the file when the model has fewer
// layers than problem.model_stages(). REQUIRES: file.profile.
sim::CostConfig costs_at_split(const sim::CostConfig& file, const std::string& path, const Problem& problem);

}  // namespace pipewise::tools
