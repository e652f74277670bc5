#include "tools/whatif/sweep.hpp"

#include <algorithm>

#include "common/schedules/registry.hpp"
#include "tools/whatif/parallel_for.hpp"

namespace pipewise::tools {

std::size_t SweepGrid::size() const {
  return schedules.size() * devices.size() * chunks.size() * microbatches.size();
}

SweepPoint SweepGrid::point(std::size_t index) const {
  SweepPoint point;
  point.microbatches = microbatches[index % microbatches.size()];
  index /= microbatches.size();
  point.chunks = chunks[index % chunks.size()];
  index /= chunks.size();
  point.devices = devices[index % devices.size()];
  index /= devices.size();
  point.schedule = static_cast<std::uint32_t>(index);
  return point;
}

bool has_no_memory_sizes(const sim::CostConfig& config) {
  const auto sized = [](const sim::StageOverride& stage) {
    const sim::StageMemoryOverride& memory = stage.memory;
    return memory.parameter_bytes || memory.gradient_bytes || memory.optimizer_state_bytes ||
           memory.stash_bytes || memory.checkpoint_bytes || memory.working_set_bytes ||
           memory.step_working_bytes;
  };
  return config.memory.parameter_bytes == 0 && config.memory.activation_bytes_per_layer == 0 &&
         config.memory.optimizer_state_bytes.value_or(0) == 0 &&
         std::none_of(config.stages.begin(), config.stages.end(), sized);
}

ShapeCostSource fixed_shape_costs(const sim::CostConfig& config) {
  PipelineCosts shared;
  shared.config = config;
  if (has_no_memory_sizes(shared.config)) {
    shared.config.memory.layers = 1;
    shared.config.memory.activation_bytes_per_layer = kActivationUnitBytes;
  }
  return [shared](std::uint32_t, std::uint32_t) { return Result<PipelineCosts>(shared); };
}

std::vector<SweepRow> run_sweep(const SweepGrid& grid, const ShapeCostSource& costs,
                                unsigned threads, const std::function<void(std::size_t)>& progress) {
  // Costs depend on (p, v) only: resolve each pair once, before the parallel part.
  std::vector<Result<PipelineCosts>> shape_costs;
  shape_costs.reserve(grid.devices.size() * grid.chunks.size());
  for (const std::uint32_t devices : grid.devices) {
    for (const std::uint32_t chunks : grid.chunks) shape_costs.push_back(costs(devices, chunks));
  }
  // Bidirectional placement (DualPipe) splits the model into p stages, one copy of each on
  // two devices, whatever its v: its costs are those of (p, 1), per p.
  const bool any_bidirectional =
      std::any_of(grid.schedules.begin(), grid.schedules.end(), [](const std::string& name) {
        return find_schedule(name).placement == Placement::Bidirectional;
      });
  std::vector<Result<PipelineCosts>> bidirectional_costs;
  if (any_bidirectional) {
    for (const std::uint32_t devices : grid.devices) bidirectional_costs.push_back(costs(devices, 1));
  }

  std::vector<SweepRow> rows(grid.size());
  parallel_for(
      rows.size(), threads,
      [&](std::size_t index) {
        SweepRow& row = rows[index];
        row.point = grid.point(index);
        // Grid order is schedule, p, v, m: dropping m and the schedule leaves p·|v| + v.
        Problem problem;
        problem.devices = row.point.devices;
        problem.chunks = row.point.chunks;
        problem.microbatches = row.point.microbatches;
        problem.placement = find_schedule(grid.schedules[row.point.schedule]).placement;
        const std::size_t shape_index = index / grid.microbatches.size() % shape_costs.size();
        const Result<PipelineCosts>& shape =
            problem.bidirectional() ? bidirectional_costs[shape_index / grid.chunks.size()]
                                    : shape_costs[shape_index];
        if (!shape.ok()) {
          row.result = shape.status();
          return;
        }
        row.result = simulate_point(grid.schedules[row.point.schedule], problem, shape->config);
      },
      progress);
  return rows;
}

}  // namespace pipewise::tools
