// The schedule search (tools/search): what it returns is a valid schedule, never slower
// than the best hand-written schedule it simulated for the same inputs and memory cap, and
// within the cap; a cap nothing fits is refused with the reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/validate/validate.hpp"
#include "sim/engine.hpp"
#include "sim/activation_effects.hpp"
#include "tools/search/schedule_search.hpp"

namespace pipewise::tools {
namespace {

SearchOptions options_for(std::uint32_t p, std::uint32_t m, const sim::CostConfig& costs) {
  SearchOptions options;
  options.shapes = {Problem{p, 1, m, 1, Placement::Looped}};
  options.costs = costs;
  options.costs.memory.layers = 1;
  options.costs.memory.activation_bytes_per_layer = 1 << 20;
  options.costs.memory.parameter_bytes = 1 << 16;
  return options;
}

// Uneven stages: stage 2 is 1.5 times as slow as the others (F = 1.5, B = 3, W = 1.5
// against 1, 2, 1), and messages take 0.2 ms.
sim::CostConfig uneven_costs() {
  sim::CostConfig costs;
  sim::StageOverride slow;
  slow.stage = 2;
  slow.costs.forward = 1.5;
  slow.costs.backward = 3.0;
  slow.costs.backward_weight = 1.5;
  costs.stages.push_back(slow);
  costs.communication.latency_ms = 0.2;
  return costs;
}

// Static bytes (weights and gradients, 2 × 64 KiB) and p = 4 stashes of 1 MiB: 1F1B's peak.
constexpr double kOneFOneBMemory = 2.0 * (1 << 16) + 4.0 * (1 << 20);

void expect_sound(const Result<SearchResult>& result, const SearchOptions& options,
                  const std::string& where) {
  ASSERT_TRUE(result.ok()) << where << ": " << result.status().reason();
  EXPECT_TRUE(validate_schedule(result->schedule).ok()) << where;
  ASSERT_TRUE(result->best_named.has_value()) << where;
  EXPECT_LE(result->best.makespan_ms, result->best_named->makespan_ms) << where;
  ASSERT_TRUE(result->gap_to_lower_bound.has_value()) << where;
  EXPECT_GE(*result->gap_to_lower_bound, -1e-12) << where;  // the bound, summed in another order
  // What the result says is what the simulator finds for its schedule.
  const sim::SimulationResult run = sim::simulate(
      result->schedule, sim::resolve_costs(options.costs, result->schedule.problem));
  EXPECT_NEAR(run.makespan_ms, result->best.makespan_ms, 1e-9) << where;
  if (options.memory_cap_bytes) {
    for (const sim::DeviceStats& device : run.devices) {
      EXPECT_LE(static_cast<double>(device.peak_bytes), *options.memory_cap_bytes) << where;
    }
  }
}

TEST(ScheduleSearch, NeverSlowerThanTheBestHandWrittenScheduleWithUniformCosts) {
  for (std::uint32_t p : {2u, 4u}) {
    for (std::uint32_t m : {p, 2 * p}) {
      const SearchOptions options = options_for(p, m, {});
      expect_sound(search_schedule(options), options,
                   "p=" + std::to_string(p) + " m=" + std::to_string(m));
    }
  }
}

// Without a cap ZB-H2 already reaches the lower bound there; at 1F1B's memory the best
// hand-written schedule is ZB-H1 (39.3 ms), and the list scheduler reaches the lower
// bound (38.4 ms).
TEST(ScheduleSearch, StrictlyFasterThanTheHandWrittenSchedulesOnUnevenStagesUnderACap) {
  SearchOptions options = options_for(4, 8, uneven_costs());
  options.memory_cap_bytes = kOneFOneBMemory;
  const Result<SearchResult> result = search_schedule(options);
  expect_sound(result, options, "uneven p=4 m=8");
  ASSERT_TRUE(result.ok());
  EXPECT_LT(result->best.makespan_ms, result->best_named->makespan_ms);
  EXPECT_FALSE(result->best.named);
  ASSERT_TRUE(result->gap_to_lower_bound.has_value());
  EXPECT_NEAR(*result->gap_to_lower_bound, 0.0, 1e-9);
}

TEST(ScheduleSearch, StaysUnderTheMemoryCap) {
  SearchOptions options = options_for(4, 8, {});
  options.memory_cap_bytes = kOneFOneBMemory;
  expect_sound(search_schedule(options), options, "capped p=4 m=8");
}

TEST(ScheduleSearch, ACapNothingFitsIsRefusedWithTheReason) {
  SearchOptions options = options_for(4, 8, {});
  options.memory_cap_bytes = 1000;
  const Result<SearchResult> result = search_schedule(options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().reason().find("no schedule fits the memory cap"), std::string::npos)
      << result.status().reason();
}

// At 1F1B's memory, a V-shape puts two chunks of every micro-batch on device 0: the list
// scheduler must keep room for the second chunk (it once filled device 0 with first-chunk
// stashes and left every device waiting). ZB-V runs in that memory, so the list scheduler
// must too, under every policy with a split backward and backward first.
TEST(ListScheduler, RunsVShapeAndInterleavedShapesAtOneFOneBMemory) {
  for (const Placement placement : {Placement::VShape, Placement::Looped}) {
    const Problem problem{4, 2, 8, 1, placement};
    sim::CostConfig config = options_for(4, 8, uneven_costs()).costs;
    const sim::CostModel costs = sim::resolve_costs(config, problem);
    std::vector<std::uint64_t> caps;
    for (std::uint32_t d = 0; d < problem.devices; ++d) {
      caps.push_back(static_cast<std::uint64_t>(4 * (1 << 20)));  // 1F1B's p stashes
    }
    for (const ListPolicy& policy : search_policies(problem, false)) {
      if (!policy.split_backward || !policy.backward_first) continue;
      const std::string where = std::string(placement_name(placement)) + " " + policy.describe();
      const Result<Schedule> schedule = list_schedule(problem, costs, policy, caps);
      ASSERT_TRUE(schedule.ok()) << where << ": " << schedule.status().reason();
      EXPECT_TRUE(validate_schedule(*schedule).ok()) << where;
      const sim::SimulationResult run = sim::simulate(*schedule, costs);
      for (std::uint32_t d = 0; d < problem.devices; ++d) {
        EXPECT_LE(run.devices[d].peak_bytes, sim::synchronous_static_bytes(costs, d) + caps[d])
            << where << " device " << d;
      }
    }
  }
}

// Over a grid of shapes and uneven costs (one stage slower by a factor, messages with
// latency), with and without 1F1B's memory as the cap, on every shape the search takes:
// the answer is valid, within the cap, what the simulator finds, and never slower than the
// best hand-written schedule.
TEST(ScheduleSearch, SoundOverAGridOfShapesAndUnevenCosts) {
  for (const std::uint32_t p : {2u, 3u, 4u, 6u}) {
    for (const std::uint32_t m : {p, 2 * p, 3 * p}) {
      for (const std::uint32_t slow : {0u, p / 2, p - 1}) {
        sim::CostConfig costs;
        sim::StageOverride stage;
        stage.stage = slow;
        stage.costs.forward = 1.4;
        stage.costs.backward = 2.6;
        stage.costs.backward_weight = 1.1;
        costs.stages.push_back(stage);
        costs.communication.latency_ms = 0.1 * slow;
        for (const bool capped : {false, true}) {
          SearchOptions options = options_for(p, m, costs);
          options.shapes.push_back(Problem{p, 2, m, 1, Placement::VShape});
          options.shapes.push_back(Problem{p, 2, m, 1, Placement::Looped});
          if (m % 2 == 0) options.shapes.push_back(Problem{p, 2, m, 1, Placement::Bidirectional});
          if (capped) options.memory_cap_bytes = 2.0 * (1 << 16) + p * double{1 << 20};
          expect_sound(search_schedule(options), options,
                       "p=" + std::to_string(p) + " m=" + std::to_string(m) + " slow stage " +
                           std::to_string(slow) + (capped ? " capped" : ""));
        }
      }
    }
  }
}

}  // namespace
}  // namespace pipewise::tools
