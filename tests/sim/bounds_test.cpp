// The schedule-free lower bound (sim/bounds.hpp) that searches use to skip configurations
// without simulating them: for every schedule of the registry, over a grid of shapes and
// uneven costs, it equals the bound derived from the schedule's simulated run (synchronous
// schedules, whose work per device is fixed by the problem) and never exceeds the makespan.
#include <gtest/gtest.h>

#include <string>

#include "common/schedules/registry.hpp"
#include "sim/bounds.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"

namespace pipewise::sim {
namespace {

CostConfig uneven_costs(std::uint32_t slow_stage, double latency_ms, double step_ms) {
  CostConfig config;
  config.device_share = {1.0, 1.2, 0.8, step_ms};
  StageOverride slow;
  slow.stage = slow_stage;
  slow.costs.forward = 1.7;
  slow.costs.backward = 3.1;
  slow.costs.backward_weight = 1.2;
  config.stages.push_back(slow);
  config.communication.latency_ms = latency_ms;
  return config;
}

TEST(ScheduleFreeLowerBound, EqualsTheRunsBoundAndNeverExceedsTheMakespan) {
  std::size_t compared = 0;
  for (const ScheduleInfo& info : schedule_catalog()) {
    for (const std::uint32_t p : {2u, 3u, 4u}) {
      for (const std::uint32_t m : {2 * p, 3 * p}) {
        for (const std::uint32_t v : {1u, 2u}) {
          Problem problem{p, v, m, 2, info.placement};
          if (info.fixed_chunks != 0) problem.chunks = info.fixed_chunks;
          if (!schedule_accepts(info.name, problem).ok()) continue;
          for (const double latency : {0.0, 0.3}) {
            const CostConfig config = uneven_costs(problem.model_stages() - 1, latency, 0.4);
            const CostModel costs = resolve_costs(config, problem);
            const Schedule schedule = generate_schedule(info.name, problem);
            const SimulationResult run = simulate(schedule, costs);
            const double bound = schedule_free_lower_bound(costs, run.split_backward);
            const std::string where = info.name + " " + problem_sizes(problem);
            EXPECT_LE(bound, run.makespan_ms + 1e-9) << where;
            if (!info.asynchronous) {
              EXPECT_NEAR(bound, makespan_bounds(run, costs).lower_bound_ms, 1e-9) << where;
            }
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 100u);
}

TEST(ScheduleFreeLowerBound, OneFOneBWithUniformCostsIsItsMakespan) {
  const Problem problem{4, 1, 8, 1, Placement::Looped};
  const CostModel costs = resolve_costs(CostConfig{}, problem);  // F = I = W = 1
  // (m + p − 1)(F + B) = 11 · 3.
  EXPECT_NEAR(schedule_free_lower_bound(costs, false), 33.0, 1e-9);
  EXPECT_NEAR(simulate(generate_schedule("1f1b", problem), costs).makespan_ms, 33.0, 1e-9);
}

}  // namespace
}  // namespace pipewise::sim
