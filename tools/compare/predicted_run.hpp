#pragma once
#include <vector>

#include "common/ir/schedule.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/metrics.hpp"

namespace pipewise::tools {

// The simulator's prediction of one run of a schedule.
struct PredictedRun {
  sim::CostModel costs;           // the timing costs the simulation ran with
  sim::SimulationResult result;   // with its timeline, named "predicted"
  sim::Metrics metrics;
};

// Simulates `schedule` (lowered or not) under the compute and communication costs of
// `timing`, with device d's memory sized by `memory[d]`: the simulator charges every stage the
// same memory share, while a real model's devices hold uneven shares. It simulates once per
// device with that device's share; memory does not change when ops run, so every simulation
// has the same times, and device d's memory statistics and memory samples come from its own.
// Throws pipewise::Error when memory has another size than the schedule's devices, or when
// the simulator rejects the schedule or the costs.
PredictedRun predict_run(const Schedule& schedule, const sim::CostConfig& timing,
                         const std::vector<sim::MemoryConfig>& memory);

}  // namespace pipewise::tools
