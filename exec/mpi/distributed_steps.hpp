#pragma once
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/core/backend.hpp"
#include "exec/core/timed_steps.hpp"
#include "exec/mpi/mpi_world.hpp"
#include "exec/mpi/planning/clock_alignment.hpp"

namespace pipewise::exec::mpi {

// What a multi-process run of timed steps hands back.
struct DistributedSteps {
  // On rank 0: the steps of every device of replica 0's pipeline, merged on rank 0's clock
  // (merge_device_steps), each device's memory peaks as its rank measured them, and per step
  // the mean loss over every replica's micro-batches. On the other ranks: their own steps
  // (run_timed_steps of their device).
  TimedSteps steps;
  // On rank 0, per world rank: how its clock maps onto rank 0's, from offsets measured before
  // the first step and after the last.
  std::vector<ClockMapping> clocks;
  std::vector<ClockOffset> start_offsets;
  std::vector<ClockOffset> end_offsets;
};

// Collective over the world: runs the warm-up, profiling and timed steps of `options` of
// `schedule` on this rank's device (run_timed_steps with devices = {its device}, every step
// started by all ranks together: StepHooks::before_step meets them) on `backend`,
// which reaches the other devices through its transport, measures the clocks of every rank
// against rank 0's before and after, and gathers everything on rank 0. Throws
// pipewise::Error when a step fails on this rank (run_schedule's error) or a rank does not
// take part in the measurements or the gathering within options.run.receive_timeout.
DistributedSteps run_distributed_steps(const MpiWorld& world, const GridCommunicators& grid,
                                       const Schedule& schedule, Backend& backend,
                                       TimedStepOptions options, const StepHooks& hooks);

}  // namespace pipewise::exec::mpi
