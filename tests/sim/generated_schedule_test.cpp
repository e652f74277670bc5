// The simulator on schedules from the generator registry (common/schedules), against the
// same closed forms as the hand-written schedules, and on multi-iteration runs.
#include <gtest/gtest.h>

#include "common/schedules/registry.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/metrics.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

Metrics simulate_generated(const char* name, std::uint32_t p, std::uint32_t m,
                           std::uint32_t v = 1, std::uint32_t n = 1) {
  Problem problem;
  problem.devices = p;
  problem.microbatches = m;
  problem.chunks = v;
  problem.iterations = n;
  // One device's share: F = 1 ms, B = 2 ms; each of v chunks takes 1/v of it.
  CostConfig config;
  config.device_share = {1.0, 1.0, 1.0, 0.0};
  const CostModel costs = resolve_costs(config, problem);
  return compute_metrics(simulate(generate_schedule(name, problem), costs), costs);
}

TEST(GeneratedSchedules, FlushedSchedulesMeetTheClosedForms) {
  for (std::uint32_t p : {2u, 4u, 8u}) {
    for (std::uint32_t m : {4u, 8u, 16u}) {
      for (const char* name : {"gpipe", "1f1b"}) {
        const Metrics metrics = simulate_generated(name, p, m);
        EXPECT_DOUBLE_EQ(metrics.makespan_ms, (m + p - 1) * 3.0) << name << " p=" << p << " m=" << m;
      }
      EXPECT_NEAR(simulate_generated("naive", p, m).bubble_ratio.value(), (p - 1.0) / p, 1e-12);
    }
  }
}

TEST(GeneratedSchedules, InterleavingDividesTheBubbleByV) {
  for (std::uint32_t p : {2u, 4u}) {
    for (std::uint32_t v : {2u, 4u}) {
      const std::uint32_t m = 2 * p;
      const Metrics metrics = simulate_generated("interleaved", p, m, v);
      // The same model as v = 1: m·(F+B) of work per device, a bubble of (p-1)(F+B)/v.
      EXPECT_NEAR(metrics.makespan_ms, m * 3.0 + (p - 1) * 3.0 / v, 1e-9) << "p=" << p << " v=" << v;
      EXPECT_NEAR(metrics.bubble_overhead.value(), (p - 1.0) / (v * m), 1e-12);
    }
  }
}

TEST(GeneratedSchedules, PipeDreamWeightVersionsPerDevice) {
  const std::uint32_t p = 4;
  const Metrics pipedream = simulate_generated("pipedream", p, 8, 1, 2);
  for (std::uint32_t d = 0; d < p; ++d) EXPECT_EQ(pipedream.devices[d].weight_versions, p - d);
  const Metrics two_bw = simulate_generated("pipedream-2bw", p, 8, 1, 2);
  for (std::uint32_t d = 0; d < p; ++d) EXPECT_LE(two_bw.devices[d].weight_versions, 2u);
}

TEST(MultiIteration, PipeDreamSteadyStateIterationIsMTimesFPlusB) {
  // Once device 0 is saturated it finishes one micro-batch (F + B = 3 ms) every 3 ms, so
  // an iteration of m = 4 micro-batches takes 12 ms; the first iteration also pays the fill.
  const std::uint32_t p = 4;
  const std::uint32_t m = 4;
  const Schedule schedule = testing::pipedream_schedule(p, m, 4);
  CostConfig config;
  config.device_share = {1.0, 1.0, 1.0, 0.0};
  const CostModel costs = resolve_costs(config, schedule.problem);
  const SimulationResult result = simulate(schedule, costs);
  const Metrics metrics = compute_metrics(result, costs);
  ASSERT_TRUE(metrics.steady_state_iteration_ms.has_value());
  EXPECT_DOUBLE_EQ(*metrics.steady_state_iteration_ms, 12.0);
  // B(0, k) of the k-th micro-batch of the stream ends at 12 + 3k: the first after the
  // 4-ms forward chain and 8-ms backward chain, then one every 3 ms; iteration 0 ends
  // with k = 3.
  EXPECT_DOUBLE_EQ(result.iteration_end_ms[0], 21.0);
  EXPECT_DOUBLE_EQ(result.makespan_ms, 12.0 + 3.0 * 15);
  // A single iteration has no steady state to report.
  const Schedule single = testing::gpipe_schedule(p, m);
  const CostModel single_costs(single.problem, StageCosts{});
  EXPECT_FALSE(compute_metrics(simulate(single, single_costs), single_costs)
                   .steady_state_iteration_ms.has_value());
}

}  // namespace
}  // namespace pipewise::sim
