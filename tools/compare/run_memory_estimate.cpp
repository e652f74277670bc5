#include "tools/compare/run_memory_estimate.hpp"

#include "tools/compare/cost_from_profile.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"

namespace pipewise::tools {

std::uint64_t estimate_cpu_run_bytes(const Schedule& schedule, const exec::MlpModel& model,
                                     const exec::SyntheticTaskConfig& task,
                                     const exec::OptimizerConfig& optimizer) {
  const Problem& problem = schedule.problem;
  const exec::MlpConfig& config = model.config();
  std::uint64_t bytes = std::uint64_t{task.distinct_microbatches} * task.microbatch_size *
                        (std::uint64_t{config.input_width()} * sizeof(float) + sizeof(std::int32_t));
  // Memory does not depend on op times, only on their order: unit times will do.
  sim::CostConfig costs;
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    costs.memory = device_memory_config(model, problem, d, task.microbatch_size, optimizer);
    const sim::SimulationResult result =
        sim::simulate(schedule, sim::resolve_costs(costs, problem));
    bytes += result.devices[d].peak_bytes;
  }
  return bytes;
}

}  // namespace pipewise::tools
