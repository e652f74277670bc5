#include "exec/core/executor.hpp"

#include <system_error>
#include <thread>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/device_worker.hpp"
#include "exec/core/run_checks.hpp"
#include "exec/core/weight_lifetimes.hpp"

namespace pipewise {

RunSummary run_schedule(const Schedule& schedule, Backend& backend, const RunOptions& options,
                        RunObserver* observer) {
  check_runnable(schedule);
  const std::vector<DeviceWeightLifetimes> lifetimes = plan_weight_lifetimes(schedule);
  backend.prepare(schedule, options);
  RunContext run{schedule, backend, options, observer};
  const std::uint32_t devices = schedule.problem.devices;
  const std::int64_t origin_ns = backend.now_ns(0);
  if (observer != nullptr) observer->on_run_start(schedule, origin_ns);

  std::vector<std::thread> workers;
  workers.reserve(devices);
  try {
    for (std::uint32_t device = 0; device < devices; ++device) {
      workers.emplace_back(run_device, device, std::cref(lifetimes[device]), std::ref(run));
    }
  } catch (const std::system_error& error) {
    if (run.failures.record("could not start a worker thread for device " +
                            std::to_string(workers.size()) + ": " + error.what())) {
      backend.cancel();
    }
  }
  for (std::thread& worker : workers) worker.join();
  const std::int64_t end_ns = backend.now_ns(0);
  backend.finish();
  const bool succeeded = !run.failures.failed();
  if (observer != nullptr) observer->on_run_end(succeeded);
  if (!succeeded) throw Error(run.failures.message());
  return {end_ns - origin_ns, run.ops_run.load()};
}

}  // namespace pipewise
