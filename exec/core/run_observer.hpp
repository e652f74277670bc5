#pragma once
#include <cstddef>
#include <cstdint>

#include "common/ir/schedule.hpp"

namespace pipewise::exec {

// Watches a run (after taskflow's ObserverInterface): timing, traces and reports are
// observers, never code inside the executor. Times are on the backend clock.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // On the calling thread before any worker starts; `origin_ns` is the clock at the start.
  virtual void on_run_start(const Schedule& schedule, std::int64_t origin_ns) = 0;
  // On `device`'s worker after op `index` of its program ran over [start_ns, end_ns).
  // Called concurrently for different devices, in program order for one device.
  virtual void on_op(std::uint32_t device, std::size_t index, const Op& op, std::int64_t start_ns,
                     std::int64_t end_ns) = 0;
  // On the calling thread after every worker was joined; `succeeded` is false when the
  // run failed (some ops then never ran).
  virtual void on_run_end(bool succeeded) = 0;
};

}  // namespace pipewise::exec
