#pragma once
#include <cstdint>
#include <span>

#include "common/ir/schedule.hpp"
#include "exec/core/backend.hpp"
#include "exec/core/run_observer.hpp"
#include "exec/core/run_options.hpp"

namespace pipewise::exec {

// What a successful run did.
struct RunSummary {
  std::int64_t wall_ns = 0;  // from the start of the first worker to the last join
  std::uint64_t ops_run = 0;  // ops executed over all devices
};

// Runs a lowered `schedule` (lower.hpp) on `backend`: one worker thread per device runs
// that device's program in order; compute ops and optimizer steps call the backend, sends
// and receives go through its transport, and `observer` (may be null) sees every op's
// start and end. Blocks until every worker has finished.
//
// Fails with pipewise::Error, and one line naming the device, the op and the cause, on the
// first failure of any worker: an op that throws, a transport error, a receive past
// options.receive_timeout (a deadlock or a lost message), a weight version that breaks
// weight stashing (options.check_weight_versions), a worker that died before the end of its
// program without a word (killed through options.faults: "device 1 failed before op 1F2
// (...), #10 of its program: its worker died (killed by fault injection)"). Every other
// worker is then stopped at once, without waiting for a receive deadline, and all threads
// are joined before the error is thrown. Fails before starting when
// check_runnable (run_checks.hpp) or plan_weight_lifetimes (weight_lifetimes.hpp) rejects
// the schedule, or the backend cannot prepare it.
RunSummary run_schedule(const Schedule& schedule, Backend& backend,
                        const RunOptions& options = {}, RunObserver* observer = nullptr);

// run_schedule for the programs of `devices` only (distinct, each < schedule.problem.devices):
// the part of a multi-process run that this process runs, the other devices' programs running
// in other processes that the backend's transport reaches. The same checks, supervision and
// errors; `observer` sees these devices' ops, and the origin is the clock of devices[0].
// ops_run counts these devices' ops. Throws pipewise::Error when `devices` is empty or names a
// device twice or outside the schedule.
RunSummary run_devices(const Schedule& schedule, std::span<const std::uint32_t> devices,
                       Backend& backend, const RunOptions& options = {},
                       RunObserver* observer = nullptr);

}  // namespace pipewise::exec
