#include "tools/compare/predicted_run.hpp"

#include <string>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"

namespace pipewise::tools {

PredictedRun predict_run(const Schedule& schedule, const sim::CostConfig& timing,
                         const std::vector<sim::MemoryConfig>& memory) {
  const Problem& problem = schedule.problem;
  if (memory.size() != problem.devices) {
    throw Error("memory shares are given for " + std::to_string(memory.size()) +
                " devices but the schedule has " + std::to_string(problem.devices));
  }
  sim::SimulationOptions options;
  options.record_timeline = true;
  options.timeline_name = "predicted";
  PredictedRun prediction;
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    sim::CostConfig config = timing;
    config.memory = memory[d];
    sim::CostModel costs = sim::resolve_costs(config, problem);
    sim::SimulationResult result = sim::simulate(schedule, costs, options);
    if (d == 0) {
      prediction.costs = std::move(costs);
      prediction.result = std::move(result);
      std::erase_if(prediction.result.timeline->activations,
                    [](const ActivationLifetime& lifetime) { return lifetime.device != 0; });
      continue;
    }
    prediction.result.devices[d] = result.devices[d];
    prediction.result.timeline->memory[d] = std::move(result.timeline->memory[d]);
    for (const ActivationLifetime& lifetime : result.timeline->activations) {
      if (lifetime.device == d) prediction.result.timeline->activations.push_back(lifetime);
    }
  }
  prediction.metrics = sim::compute_metrics(prediction.result, prediction.costs);
  return prediction;
}

}  // namespace pipewise::tools
