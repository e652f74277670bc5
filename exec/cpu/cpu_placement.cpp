#include "exec/cpu/cpu_placement.hpp"

#include <string>

namespace pipewise::exec {

RunDescription describe_cpu_placement(const CpuPlacement& placement) {
  RunDescription description;
  description.dedicated = placement.pinned;
  description.placement.push_back(
      std::to_string(placement.devices) + " device(s) on " + std::to_string(placement.cores) +
      " core(s), " +
      (placement.pinned ? "each worker pinned to a core of its own" : "workers not pinned"));
  if (placement.oversubscribed) {
    description.warnings.push_back(
        std::to_string(placement.devices) + " devices share " + std::to_string(placement.cores) +
        " cores: the timings measure contention between workers, not the schedule alone "
        "(p <= cores gives meaningful timings)");
  }
  return description;
}

}  // namespace pipewise::exec
