#pragma once
// The discrete-event simulator: runs a schedule on a cost model and says when every op
// ran, how busy each device was and how much memory it needed.
//
// Semantics (the contract the executor's predictions rely on):
//  - Each device runs its program strictly in order, one op at a time.
//  - An op starts when its device is free and its inputs are there:
//      F(s, j)   needs the output of F(s−1, j)    (stage 0: nothing)
//      B/I(s, j) needs the gradient of B/I(s+1, j) (last stage: nothing) and F(s, j)
//      W(s, j)   needs I(s, j)
//    (common/ir/dependencies.hpp). An input from another device arrives over that pair's
//    link (CommunicationCosts); an input from the same device is there when its producer ends.
//    A pipeline's first stage has its input and its last stage computes the loss
//    (Problem::starts_pipeline / ends_pipeline: with bidirectional placement each copy is
//    a pipeline of its own).
//  - An overlapped pair (a forward marked kOverlapWithNext and the B or I after it, op.hpp)
//    starts when the device is free and both ops have their inputs, runs for
//    CostModel::pair_time, and both ops end together: their outputs leave at the pair's end.
//  - Send and recv ops in a lowered schedule are skipped: communication is modelled on the
//    cross-device edges themselves, so lowered and unlowered forms simulate identically.
//  - FSDP ops (Unshard, Reshard; PyTorch's UNSHARD/RESHARD) are skipped too: they cost no
//    time and no memory here. The static memory already counts whole (unsharded) weights,
//    and PyTorch issues each UNSHARD a few stages ahead so that the all-gather hides behind
//    compute; a schedule that cannot hide it is not modelled.
//  - In Blocking mode the producer's device stays busy until its message has arrived.
//  - An OptimizerStep of stage s also waits for the all-reduce of s's gradients when
//    data parallelism is on (DataParallelCosts). With bidirectional placement it first
//    waits for the mirror stage's m/2 weight gradients of its iteration (B or W) and their
//    transfer (latency + the stage's parameter bytes over the pipeline link, none on one
//    device): both copies apply the sum of their gradients.
//  - An OptimizerStep of stage s that replaces its newest version while a micro-batch that
//    read that version in its F has yet to run its B or W keeps the version (weight
//    stashing) and takes StageCosts::stashing_step; every other step optimizer_step. The
//    executor keeps exactly these (exec/core/weight_lifetimes.hpp; a test holds the two to
//    the same steps for every generator).
//  - Memory: see MemoryConfig in cost_model.hpp. Static bytes per device are weights
//    (× weight versions held, common/ir/weight_versions.hpp), gradients and optimizer state.
// Cost: O(ops) time and O(p·v·m·n) memory (two doubles and one byte per stage and
// micro-batch; a streamed schedule: per stage and micro-batch in flight), no allocation per
// op unless the timeline is recorded.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "common/ir/schedule_stream.hpp"
#include "sim/cost_model.hpp"
#include "common/timeline/timeline.hpp"

namespace pipewise::sim {

struct SimulationOptions {
  bool track_memory = true;      // per-device memory peaks (cheap)
  bool record_timeline = false;  // every op span, message, memory sample and lifetime
  std::string timeline_name = "predicted";
  // The caller has already checked this very schedule with check_structure
  // (common/validate/placement.hpp) and found it sound, e.g. once for the many cost models
  // it is simulated under. The simulator checks each op's placement as it first reaches
  // it either way (a few compares); when this is false, an error met during the run is
  // first traced to the schedule's first structural fault, if any, so that the message
  // names that fault as a check before the run would have. A schedule that was not checked
  // must leave this false.
  bool structure_checked = false;
  // Streamed schedules only: called with the ops read so far, about every
  // kStreamProgressOps of them (outside the replay's hot loop, as buffers are refilled), so
  // that a long run can show how far it is. Counts start again from 0 if the run starts
  // again with a larger window.
  std::function<void(std::uint64_t ops_read)> on_stream_progress;
};

// How many ops a streamed simulation reads between two calls of on_stream_progress.
inline constexpr std::uint64_t kStreamProgressOps = std::uint64_t{1} << 22;

// What one device did.
struct DeviceStats {
  double busy_ms = 0.0;            // compute: F, B, I, W (with recomputation) and steps
  double path_compute_ms = 0.0;    // the F, B and I part of busy_ms
  double step_ms = 0.0;            // the OptimizerStep part of busy_ms
  double allreduce_ms = 0.0;       // gradient all-reduces of its stages (data parallelism)
  double blocked_ms = 0.0;         // waiting for its own blocking sends or all-reduces
  double first_start_ms = 0.0;     // start of its first op (0 when it has none)
  double finish_ms = 0.0;          // end of its last op (0 when it has none)
  std::uint64_t compute_ops = 0;   // ops run, communication and FSDP ops not counted
  std::uint64_t path_ops = 0;      // the F, B and I among them (whatever their time)
  // Its span, first start to last end: the zero-bubble papers' per-stage time, whose idle
  // part (span − busy) is their "bubble" (the staggered start and end of the devices, which
  // the optimizer's post-validation lets the next iteration overlap, not counted).
  double span_ms() const { return finish_ms - first_start_ms; }
  std::uint32_t weight_versions = 0;     // most versions of one stage held at once
  std::uint64_t weight_bytes = 0;        // weights × versions held (stashed copies included)
  std::uint64_t static_bytes = 0;        // weight_bytes + gradients + optimizer state
  std::uint64_t peak_bytes = 0;          // static_bytes + peak activation bytes
  // The most bytes held at once besides the static ones: stashed activations, recomputation
  // working sets, and the step working bytes of an optimizer step while it runs.
  std::uint64_t peak_activation_bytes = 0;
  std::uint32_t peak_activations = 0;    // most (stage, micro-batch) stashes alive at once
  double peak_time_ms = 0.0;             // first time the byte peak was reached
  double peak_activations_time_ms = 0.0; // first time peak_activations was reached
};

struct SimulationResult {
  std::string schedule_name;
  Problem problem;
  double makespan_ms = 0.0;                // end of the last op of the run
  std::vector<double> iteration_end_ms;    // per iteration: end of its last op
  std::vector<DeviceStats> devices;
  bool split_backward = false;             // some op was an I (zero-bubble split)
  std::uint64_t messages = 0;              // cross-device messages sent
  double message_ms = 0.0;                 // sum over messages of occupancy + latency
  std::optional<Timeline> timeline;        // when SimulationOptions::record_timeline
};

// Simulates `schedule` (lowered or not) under `costs`. REQUIRES: costs was resolved for
// schedule.problem. Throws pipewise::Error with one line when the schedule cannot run:
// an op of unknown kind, outside the problem or on the wrong device, an op that runs twice,
// or a stuck run
// ("deadlock: ..." naming the waiting ops, each with the producer it waits for, in a
// cycle; or the op whose producer no device will run), or when memory runs out.
SimulationResult simulate(const Schedule& schedule, const CostModel& costs,
                          const SimulationOptions& options = {});

// The same for a streamed schedule (schedule_stream.hpp), with the same result as
// simulating materialize(stream), in memory that grows with p and the micro-batches in
// flight instead of p·m: the state of a window of micro-batches per stage, reused as they
// finish (started again with a window twice as large when one is too small, rarely).
// REQUIRES: costs was resolved for stream.problem(). Throws pipewise::Error when the
// options ask for a timeline (it needs every op), or as simulate() does.
SimulationResult simulate(ScheduleStream& stream, const CostModel& costs,
                          const SimulationOptions& options = {});

}  // namespace pipewise::sim
