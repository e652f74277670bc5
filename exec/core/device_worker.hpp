#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stop_token>
#include <string>

#include "common/ir/schedule.hpp"
#include "exec/core/backend.hpp"
#include "exec/core/failure_latch.hpp"
#include "exec/core/run_observer.hpp"
#include "exec/core/run_options.hpp"
#include "exec/core/weight_lifetimes.hpp"

namespace pipewise::exec {

// What the workers of one run share. Everything but `failures` and `ops_run` is read-only
// while they run.
struct RunContext {
  RunContext(const Schedule& run_schedule, Backend& run_backend, const RunOptions& run_options,
             RunObserver* run_observer)
      : schedule(run_schedule), backend(run_backend), options(run_options), observer(run_observer) {}

  const Schedule& schedule;
  Backend& backend;
  const RunOptions& options;
  RunObserver* observer;
  FailureLatch failures;
  std::atomic<std::uint64_t> ops_run{0};
  // Requested on the first failure: every wait a worker makes outside the backend (an
  // injected delay) waits on it, as the backend's blocking calls wait on cancel().
  std::stop_source stop;

  // Records `message` as the run's failure unless one came first; then cancels the backend
  // and requests `stop`, so that every other worker's wait ends at once.
  void fail(std::string message) {
    if (failures.record(std::move(message))) {
      backend.cancel();
      stop.request_stop();
    }
  }
};

// How a worker ended, as the thread that supervises it sees it (a process's exit status).
struct WorkerExit {
  std::size_t ops_done = 0;  // ops of its program that ran: its size when it finished
  bool killed = false;       // the fault hook killed it (WorkerKilled) before op #ops_done
};

// The body of device `device`'s worker thread: runs its program in order, dispatching
// compute ops to the backend, sends and receives to the backend's transport, weight
// version checks to a WeightVersionGuard and releases to the backend as `lifetimes` says.
// Returns after the last op, or as soon as the run has failed. Never throws: the first
// failure goes to run.failures as one line naming the device, the op and the cause, and
// cancels the backend so that blocked receives of other workers return. A worker the
// fault hook kills returns at once and records nothing, as a crashed process says nothing:
// its supervisor must notice (WorkerExit::ops_done short of the program, and no failure).
WorkerExit run_device(std::uint32_t device, const DeviceWeightLifetimes& lifetimes,
                      RunContext& run);

}  // namespace pipewise::exec
