#include "exec/core/executor.hpp"

#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/device_worker.hpp"
#include "exec/core/op_description.hpp"
#include "exec/core/run_checks.hpp"
#include "exec/core/weight_lifetimes.hpp"

namespace pipewise::exec {
namespace {

// What a worker thread runs: the device's program, then the check a supervisor makes of a
// process it started. A worker that ended before the end of its program while no failure
// was recorded died silently (killed, or a bug that returned early): its peers may wait on
// it, so its death becomes the run's failure and the backend is cancelled.
void supervise_device(std::uint32_t device, const DeviceWeightLifetimes& lifetimes,
                      RunContext& run) {
  const WorkerExit exit = run_device(device, lifetimes, run);
  const auto& program = run.schedule.programs[device];
  if (exit.ops_done >= program.size() || run.failures.failed()) return;
  const std::string cause = exit.killed
                                ? "its worker died (killed by fault injection)"
                                : "its worker stopped without finishing its program or "
                                  "reporting an error";
  const std::string message =
      "device " + std::to_string(device) + " failed before op " +
      describe_op(program[exit.ops_done], run.schedule.problem.microbatches) + ", #" +
      std::to_string(exit.ops_done) + " of its program: " + cause;
  run.fail(message);
}

void check_devices(const Schedule& schedule, std::span<const std::uint32_t> devices) {
  if (devices.empty()) throw Error("no device to run");
  std::vector<bool> named(schedule.problem.devices, false);
  for (const std::uint32_t device : devices) {
    if (device >= named.size()) {
      throw Error("device " + std::to_string(device) + " is not in the schedule (it has " +
                  std::to_string(named.size()) + ")");
    }
    if (named[device]) throw Error("device " + std::to_string(device) + " is named twice");
    named[device] = true;
  }
}

}  // namespace

RunSummary run_schedule(const Schedule& schedule, Backend& backend, const RunOptions& options,
                        RunObserver* observer) {
  std::vector<std::uint32_t> devices(schedule.problem.devices);
  for (std::uint32_t device = 0; device < devices.size(); ++device) devices[device] = device;
  return run_devices(schedule, devices, backend, options, observer);
}

RunSummary run_devices(const Schedule& schedule, std::span<const std::uint32_t> devices,
                       Backend& backend, const RunOptions& options, RunObserver* observer) {
  check_runnable(schedule);
  check_devices(schedule, devices);
  const std::vector<DeviceWeightLifetimes> lifetimes = plan_weight_lifetimes(schedule);
  backend.prepare(schedule, options);
  RunContext run{schedule, backend, options, observer};
  const std::uint32_t clock_device = devices.front();
  const std::int64_t origin_ns = backend.now_ns(clock_device);
  if (observer != nullptr) observer->on_run_start(schedule, origin_ns);

  std::vector<std::thread> workers;
  workers.reserve(devices.size());
  try {
    for (const std::uint32_t device : devices) {
      workers.emplace_back(supervise_device, device, std::cref(lifetimes[device]), std::ref(run));
    }
  } catch (const std::system_error& error) {
    run.fail("could not start a worker thread for device " +
             std::to_string(devices[workers.size()]) + ": " + error.what());
  }
  for (std::thread& worker : workers) worker.join();
  const std::int64_t end_ns = backend.now_ns(clock_device);
  backend.finish();
  const bool succeeded = !run.failures.failed();
  if (observer != nullptr) observer->on_run_end(succeeded);
  if (!succeeded) throw Error(run.failures.message());
  return {end_ns - origin_ns, run.ops_run.load()};
}

}  // namespace pipewise::exec
