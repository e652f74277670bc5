#pragma once
#include <cstdint>

#include "common/ir/problem.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/core/execution_profile.hpp"
#include "sim/cost_model.hpp"

// From what a model's ops cost on a machine (exec/core/execution_profile.hpp) to the simulator's cost model,
// so that the simulator predicts a run of that model on that machine.

namespace pipewise::tools {

// The simulator's timing costs of `model` split into problem.stages() stages, as measured by
// `profile`:
//  - every stage gets its own measured times as an absolute stage override. With
//    `split_backward` (the schedule runs I and W as separate ops) I and W are the measured
//    ones and B = I + W; otherwise the measured B, timed as one op, is kept exact and
//    I = B − W (clamped at 0), since B is the op that runs.
//  - communication: the transfer fit's latency and bandwidth; each message carries the mean
//    of the activation bytes of the stage boundaries that cross devices (the simulator has one
//    message size); overlapped mode, as the backends hand a message over and go on.
//  - data parallelism (profile.data_parallel with d > 1 replicas): the ring all-reduce whose
//    time matches the fitted all-reduce, not overlapped with the cool-down (the backends
//    all-reduce a stage's gradient at its optimizer step).
//  - memory is left at its defaults: see device_memory_config.
// Throws pipewise::Error when the profile has another number of stages than `model`, or
// `model` another number than the problem.
sim::CostConfig cost_config_from_profile(const exec::ExecutionProfile& profile, const exec::MlpModel& model,
                                         const Problem& problem, bool split_backward);

// The memory of `device`'s share of `model` as the simulator models it, sized like the
// buffers the backends account (MemoryCategory): the parameter bytes of its stages, the
// optimizer's state per parameter, and per micro-batch of `rows` samples a stash of every
// layer's output plus the stage input when it comes from another stage; after I, W still needs
// all of it but the last layer's output; with bidirectional placement each stage's optimizer
// step also holds the other copy's gradient (step_working_bytes). The simulator gives each
// of the device's v chunks 1/v of the share, so uneven chunks are each charged the device's
// mean; with bidirectional placement each of the device's two stages is a whole share, so
// the share is their mean.
// REQUIRES: model.stages() == problem.model_stages(), device < problem.devices.
sim::MemoryConfig device_memory_config(const exec::MlpModel& model, const Problem& problem,
                                       std::uint32_t device, std::uint32_t rows,
                                       const exec::OptimizerConfig& optimizer);

// Bytes of the activations the forward of `stage` stashes per micro-batch of `rows` samples:
// every layer's output, plus the stage's input when stage > 0.
std::uint64_t stage_stash_bytes(const exec::MlpModel& model, std::uint32_t stage, std::uint32_t rows);

}  // namespace pipewise::tools
