#pragma once
#include <cstdint>

#include "exec/core/run_description.hpp"

namespace pipewise::exec {

// How a CPU run's workers sat on the machine's cores.
struct CpuPlacement {
  std::uint32_t devices = 0;
  std::uint32_t cores = 0;      // cores the process may run on
  bool pinned = false;          // each worker had a core of its own
  bool oversubscribed = false;  // devices > cores: timings then measure contention
};

// The placement for a report: one line saying how many devices ran on how many cores and
// whether each was pinned, and a warning when the devices outnumber the cores. dedicated
// is `pinned`.
RunDescription describe_cpu_placement(const CpuPlacement& placement);

}  // namespace pipewise::exec
