#pragma once
// Reference points for a simulated makespan: a lower bound no schedule can beat, and the
// naive schedule that runs one micro-batch at a time.
#include <vector>

#include "sim/cost_model.hpp"
#include "sim/engine.hpp"

namespace pipewise::sim {

struct MakespanBounds {
  // Per device d: max(fill_d + busy_d, fill_d + path_d + drain_d), where fill_d is the
  // fastest chain of forwards (and messages) from stage 0 to d's first stage, busy_d all of
  // d's compute, path_d its F, B and I compute, and drain_d the fastest chain of input
  // gradients (and messages) from d's first stage back to stage 0. No schedule of the same
  // ops finishes device d earlier. 0 for a device without ops.
  std::vector<double> device_lower_bound_ms;
  // The longest round trip of one micro-batch: its forwards through every stage, its input
  // gradients back, the messages between them and the first stage's W (split backward).
  // Every schedule runs it in full. 0 for a schedule without F, B or I ops.
  double microbatch_path_ms = 0.0;
  // The largest device bound, or the micro-batch path when that is longer.
  double lower_bound_ms = 0.0;
  // The same ops run one at a time: every F, B, I and W and every message in sequence,
  // then the slowest device's optimizer steps and all-reduces.
  double naive_makespan_ms = 0.0;
};

// Bounds for the run `result` of a schedule under `costs` (the same ones simulate used).
MakespanBounds makespan_bounds(const SimulationResult& result, const CostModel& costs);

// A lower bound on the makespan of every synchronous schedule of costs.problem(), in any
// order, from the costs alone (no schedule, no simulation): MakespanBounds::lower_bound_ms
// with each device's work counted from its stages (every micro-batch's F and whole
// backward, one optimizer step per stage and iteration) instead of from a run, so it equals
// makespan_bounds(...).lower_bound_ms of any such schedule whose steps take what the costs
// say. `split_backward`: the schedules split B into I and W. 0 with per-op overrides (no
// bound is derived then). Costs O(p·v), for searches that skip what cannot win.
double schedule_free_lower_bound(const CostModel& costs, bool split_backward);

}  // namespace pipewise::sim
