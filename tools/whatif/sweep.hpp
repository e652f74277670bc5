#pragma once
// `pipewise sweep`'s engine: simulate every point of a grid schedules × p × v × m on all
// cores. Output formats live in sweep_output.hpp, the heatmaps in sweep_heatmap.hpp.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/cost_model.hpp"
#include "tools/whatif/pipeline_costs.hpp"
#include "tools/whatif/point_simulation.hpp"

namespace pipewise::tools {

struct SweepPoint {
  std::uint32_t schedule = 0;  // index into SweepGrid::schedules
  std::uint32_t devices = 1;   // p
  std::uint32_t chunks = 1;    // v
  std::uint32_t microbatches = 1;  // m
};

struct SweepGrid {
  std::vector<std::string> schedules;  // canonical names (find_schedule)
  std::vector<std::uint32_t> devices;
  std::vector<std::uint32_t> chunks;
  std::vector<std::uint32_t> microbatches;

  std::size_t size() const;
  // Point `index` in grid order: schedule slowest, then p, then v, m fastest.
  // REQUIRES: index < size().
  SweepPoint point(std::size_t index) const;
};

// The costs of every point with p devices and v chunks, or why there are none (e.g. a
// model with fewer layers than p·v stages).
using ShapeCostSource =
    std::function<Result<PipelineCosts>(std::uint32_t devices, std::uint32_t chunks)>;

// The activation unit A of sweeps without real sizes, in the simulator's bytes: large, so
// that a chunk's share A/v stays exact to a few parts per billion in whole bytes.
inline constexpr double kActivationUnitBytes = 1024.0 * 1024.0 * 1024.0;

// Costs of the same shape everywhere: `config` for every (p, v); when it gives no memory
// sizes at all, one activation unit A stashed per micro-batch of a device's share (so
// the sweep can compare memory in units of A).
ShapeCostSource fixed_shape_costs(const sim::CostConfig& config);

// True when `config` says nothing about memory (no parameters, no activations), in its
// memory section or in any stage.
bool has_no_memory_sizes(const sim::CostConfig& config);

struct SweepRow {
  SweepPoint point;
  Result<PointMetrics> result = Status::failure("not simulated");
};

// Simulates every point of `grid` (one iteration each, no timeline) on `threads` threads;
// rows come back in grid order. Points that a schedule or the costs reject are rows whose
// result is the reason. `progress` is called from the calling thread with the number
// of points done (see parallel_for).
std::vector<SweepRow> run_sweep(const SweepGrid& grid, const ShapeCostSource& costs,
                                unsigned threads,
                                const std::function<void(std::size_t)>& progress = {});

}  // namespace pipewise::tools
