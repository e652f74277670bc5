#include "tools/cli/unit_timeline.hpp"

#include "sim/engine.hpp"
#include "common/timeline/ascii_timeline.hpp"

namespace pipewise::tools {

std::string unit_timeline_grid(const Schedule& schedule) {
  sim::StageCosts unit;
  unit.forward = 1.0;
  unit.backward_input = 1.0;
  unit.backward_weight = 1.0;
  const sim::CostModel costs(schedule.problem, unit);
  sim::SimulationOptions options;
  options.track_memory = false;
  options.record_timeline = true;
  const sim::SimulationResult result = sim::simulate(schedule, costs, options);
  return ascii_timeline(*result.timeline);
}

}  // namespace pipewise::tools
