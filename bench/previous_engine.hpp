#pragma once
// The simulator before the single-pass engine, frozen for side-by-side benchmarks
// (bench/previous_engine.cpp says why). Same contract as sim::simulate (sim/engine.hpp).
#include "common/ir/schedule.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"

namespace pipewise::bench::previous {

// sim::simulate as of commit f7ba0d2: same results, same errors, the old speed.
sim::SimulationResult simulate(const Schedule& schedule, const sim::CostModel& costs,
                               const sim::SimulationOptions& options = {});

}  // namespace pipewise::bench::previous
