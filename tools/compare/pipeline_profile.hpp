#pragma once
#include <vector>

#include "common/ir/schedule.hpp"
#include "exec/core/execution_profile.hpp"
#include "tools/compare/measured_vs_predicted.hpp"

namespace pipewise::tools {

// A profile of each stage's ops and of the messages as they ran inside the pipeline rather
// than alone, from recorded `steps` of lowered `schedule`. Ops in a running pipeline share
// the machine with the other devices' workers (caches, memory bandwidth, clocks) and pay what
// the backend does around the math (a step's gradient averaging, the copy of a weight version
// kept for stashing); messages pay the wake-up of a receiver that waits, and on GPUs the
// host's hand-over between streams. An op or a message timed alone pays none of that.
//
// A step's time is a sum of op times, so within one step the mean, not the median, is what
// predicts it; across steps the median keeps one disturbed step (a descheduled worker) from
// moving the whole profile, as the measured step time is the median step's. So:
//  - every stage's F, B (or I and W) and optimizer step take, over the steps, the median of
//    each step's mean duration of that kind. A schedule that runs B whole splits it into I and
//    W in the ratio `isolated` measured. Optimizer steps that keep the version they replace
//    (exec/core/weight_lifetimes.hpp) are the stashing step's samples, the others the step's;
//    a kind of step the schedule did not run takes its isolated time times the factor by
//    which the other kind ran slower than its own isolated time (so a 1F1B profile prices
//    PipeDream's stashing steps with the contention its in-place steps met). With data
//    parallelism (isolated.data_parallel has d > 1) both keep their isolated times: a
//    measured step includes the wait for the gradient all-reduce, which the simulator
//    charges separately.
//  - the transfer latency becomes, over the steps, the median of each step's mean hand-over
//    time of the messages whose receiver was already waiting when they were sent (the
//    receive started no later than the send): the end of the receive minus the start of the
//    send, less the bytes' time at the isolated fit's bandwidth (at least 0). Without such a
//    message the isolated latency is kept.
// Everything else comes from `isolated` (profile_cpu_execution or a backend's own): the
// bandwidth, the samples, byte sizes, and the time of any kind of op the schedule does not
// run. Throws pipewise::Error when `isolated` has another number of stages than the
// schedule, or a step does not fit its programs.
exec::ExecutionProfile profile_from_steps(const exec::ExecutionProfile& isolated, const Schedule& schedule,
                                    const std::vector<exec::StepIntervals>& steps);

}  // namespace pipewise::tools
