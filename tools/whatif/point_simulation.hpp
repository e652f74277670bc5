#pragma once
// Simulating one configuration (schedule, p, v, m under given costs) for the what-if
// engines, with the timeline off, and reducing the run to the numbers they compare.
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/ir/problem.hpp"
#include "common/ir/schedule.hpp"
#include "common/ir/status.hpp"
#include "sim/cost_model.hpp"

namespace pipewise::tools {

// One device's memory at its peak.
struct DeviceMemoryPeak {
  double peak_bytes = 0;
  double static_bytes = 0;
  double activation_bytes = 0;
  std::uint32_t stashes = 0;  // micro-batch stashes alive at the peak
};

// One simulated configuration, reduced to what the what-if engines compare.
struct PointMetrics {
  double makespan_ms = 0;          // one training step (all n iterations)
  double bubble_ratio = 0;         // Σ idle / (p · makespan)
  double mean_busy_ms = 0;         // compute per device, averaged over devices
  double peak_bytes = 0;           // the largest device peak (static + activations)
  std::uint32_t peak_device = 0;   // the device with that peak (the first one on ties)
  double peak_activation_bytes = 0;  // that device's activation peak
  std::uint32_t peak_stashes = 0;  // micro-batch stashes alive at that device's peak
  double static_bytes = 0;         // that device's weights, gradients and optimizer state
  std::vector<DeviceMemoryPeak> devices;  // every device's peak, in device order
};

// Generates schedule `schedule` for `problem` (streamed where it can be: schedule_stream.hpp),
// resolves `costs` for it and simulates it. A configuration that cannot be simulated is an
// answer, not an error: the failure says why (the schedule does not accept the problem, the
// costs do not fit it, this machine lacks the memory to simulate it, or a streamed one has
// more ops than sim::kMostStreamedOps). Throws pipewise::Error only for an unknown schedule name.
Result<PointMetrics> simulate_point(std::string_view schedule, const Problem& problem,
                                    const sim::CostConfig& costs);

// Simulates `schedule`, already generated (for many configurations that share its
// program), under `costs` resolved for its problem. `structure_checked`: the caller has
// checked the schedule with check_structure (sim::SimulationOptions). Fails, with the
// reason, when the costs do not fit the problem.
Result<PointMetrics> simulate_point(const Schedule& schedule, const sim::CostConfig& costs,
                                    bool structure_checked = false);

}  // namespace pipewise::tools
