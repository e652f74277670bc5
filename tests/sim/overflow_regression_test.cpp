// Numbers the simulator must never get wrong with exit 0 (issue 13): byte counts past 2^64
// wrapped (a peak of 0 B for 2e19 parameter bytes), times past the largest double read as
// a deadlock, the lower bound dropped fill and drain for devices whose ops take no time,
// and ratios with a zero denominator were reported as 0. docs/reliability.md lists them.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "common/ir/error.hpp"
#include "common/ir/weight_versions.hpp"
#include "common/schedules/registry.hpp"
#include "sim/closed_forms.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/metrics.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

using testing::gpipe_schedule;
using testing::one_f_one_b_schedule;

// The one-line error simulating `schedule` under `config` fails with ("" when it runs).
std::string failure_of(const Schedule& schedule, const CostConfig& config) {
  try {
    const Result<CostModel> costs = try_resolve_costs(config, schedule.problem);
    if (!costs.ok()) return costs.status().reason();
    simulate(schedule, *costs);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(OverflowRegression, ParameterBytesPastTwoToThe64AreRefusedNotWrappedToZero) {
  CostConfig config;
  config.memory.parameter_bytes = 2e19;  // was: a peak of 0 B
  EXPECT_EQ(failure_of(one_f_one_b_schedule(2, 4), config),
            "parameter bytes = 2e+19 is too large: pipewise counts at most 1.84467e+19 bytes "
            "(2^64 - 1)");
}

TEST(OverflowRegression, AHugeParameterCountIsBlamedOnTheParameterBytesNotTheOptimizerState) {
  CostConfig config;
  config.memory.parameter_bytes = 1e308;  // was: "optimizer state bytes must be finite"
  config.memory.optimizer = Optimizer::Adam;
  EXPECT_EQ(failure_of(one_f_one_b_schedule(2, 4), config).rfind("parameter bytes = 1e+308", 0), 0u);
}

TEST(OverflowRegression, StaticMemoryPastTwoToThe64IsRefusedNamingTheInput) {
  // 5e18 weights + 5e18 gradients + 1e19 Adam moments = 2e19 bytes per device: the sum
  // wrapped to 690 PiB (the true total is about 17,000 PiB).
  CostConfig config;
  config.memory.parameter_bytes = 5e18;
  config.memory.optimizer = Optimizer::Adam;
  EXPECT_EQ(failure_of(one_f_one_b_schedule(2, 4), config),
            "device 0's static memory (weights x 1 version(s), gradients, optimizer state) "
            "exceeds the 1.84467e+19 bytes (2^64 - 1) pipewise can count: the parameter, "
            "gradient or optimizer state bytes are too large");
}

TEST(OverflowRegression, ActivationsPastTwoToThe64AreRefusedNotWrappedToTwoToThe63) {
  CostConfig config;
  config.memory.activation_bytes_per_layer = 1e19;  // two stashed: 2e19, was exactly 2^63
  EXPECT_EQ(failure_of(one_f_one_b_schedule(2, 4), config),
            "device 0's memory (static memory plus its stashed activations) exceeds the "
            "1.84467e+19 bytes (2^64 - 1) pipewise can count: the activation bytes (or the "
            "parameter bytes beside them) are too large");
}

TEST(OverflowRegression, TimesPastTheLargestDoubleAreNamedNotReportedAsADeadlock) {
  CostConfig config;
  config.device_share.forward = 1e308;  // two forwards end past 1.8e308 ms: infinity
  const std::string failure = failure_of(one_f_one_b_schedule(2, 4), config);
  EXPECT_EQ(failure.rfind("the times are too large to simulate: op 0F1 on device 0 (1e+308 ms)", 0), 0u)
      << failure;  // was: "deadlock: ... stuck: 1F1 waits for 0F1"
  EXPECT_EQ(failure.find("deadlock"), std::string::npos) << failure;
}

TEST(OverflowRegression, OverlappedPairsAndMirroredStagesPastTheLargestDoubleAreNamed) {
  // DualPipe's schedules (overlapped F&B pairs, mirrored stages exchanging gradients) with
  // times that end past 1.8e308 ms: the first op to do so is named, never a deadlock.
  for (const char* name : {"dualpipe", "dualpipe-v"}) {
    const ScheduleInfo& info = find_schedule(name);
    const Problem problem{2, info.fixed_chunks, 4, 1, info.placement};
    CostConfig config;
    config.device_share.forward = 1e308;
    config.device_share.backward_input = 1e308;
    const std::string failure = failure_of(generate_schedule(name, problem), config);
    EXPECT_EQ(failure.rfind("the times are too large to simulate: ", 0), 0u) << name << ": " << failure;
    EXPECT_EQ(failure.find("deadlock"), std::string::npos) << name << ": " << failure;
  }
}

TEST(OverflowRegression, AnOverlappedPairPastTheLargestDoubleIsNamedAsAPair) {
  // Every pair of DualPipe p = 4 takes 1e308 ms (ops of 1 ms): the second pair on a device
  // ends past 1.8e308 ms, and its pair time is to blame, not its stage's op times.
  const ScheduleInfo& info = find_schedule("dualpipe");
  const Problem problem{4, info.fixed_chunks, 8, 1, info.placement};
  CostConfig config;
  for (std::uint32_t forward = 0; forward < problem.stages(); ++forward) {
    for (std::uint32_t backward = 0; backward < problem.stages(); ++backward) {
      config.overlap.pairs.push_back({forward, backward, 1e308});
    }
  }
  const std::string failure = failure_of(generate_schedule("dualpipe", problem), config);
  EXPECT_EQ(failure.rfind("the times are too large to simulate: the overlapped pair (", 0), 0u)
      << failure;
  EXPECT_NE(failure.find("its pair time"), std::string::npos) << failure;
}

TEST(OverflowRegression, AMessageArrivingPastTheLargestDoubleIsNamed) {
  CostConfig config;
  config.communication.latency_ms = std::numeric_limits<double>::max();
  // 0F0's message arrives at 1 + 1.8e308 (rounded to 1.8e308, finite); the gradient sent
  // back after it would arrive at infinity.
  const std::string failure = failure_of(one_f_one_b_schedule(2, 4), config);
  EXPECT_EQ(failure.rfind("the times are too large to simulate: the message of op 1B0", 0), 0u)
      << failure;
}

TEST(OverflowRegression, ATinyTargetBubbleSaturatesTheMicroBatchesItNeeds) {
  // (p − 1)(1/1e-20 − 1) = 1e20 micro-batches: past 2^64, was cast to 0 and answered m = 1.
  EXPECT_EQ(microbatches_for_bubble_ratio(2, 1e-20), ~std::uint64_t{0});
  EXPECT_EQ(microbatches_for_bubble_ratio(4, 0.1), 27u);
}

TEST(OverflowRegression, AWeightVersionOfTwoToThe32MinusOneIsAnErrorNotACrash) {
  // `version + 1` wrapped to 0 and the history was indexed past its end (a segfault in
  // simulate and run).
  Schedule schedule = one_f_one_b_schedule(2, 3);
  assign_weight_versions(schedule);
  schedule.programs[0][0].weight_version = 4294967295u;
  try {
    weight_versions_held(schedule);
    FAIL() << "an impossible weight version was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("names weight version 4294967295"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(simulate(schedule, CostModel(schedule.problem, StageCosts{})), Error);
}

// GPipe p = 3, m = 2 with free compute and 2 ms per message: device 2 cannot start before
// two hops (4 ms) and its gradient needs two hops back (4 ms), so no schedule ends before
// 8 ms, the makespan.
TEST(BoundsRegression, ADeviceWhoseOpsTakeNoTimeStillWaitsForFillAndDrain) {
  const Schedule schedule = gpipe_schedule(3, 2);
  for (const double forward : {0.0, 1e-12}) {  // the bound must not jump between them
    CostConfig config;
    config.device_share = {forward, 0.0, 0.0, 0.0};
    config.communication.latency_ms = 2.0;
    const CostModel costs = resolve_costs(config, schedule.problem);
    const Metrics metrics = compute_metrics(simulate(schedule, costs), costs);
    EXPECT_NEAR(metrics.makespan_ms, 8.0, 1e-9) << forward;
    EXPECT_NEAR(metrics.lower_bound_ms, 8.0, 1e-9) << forward;  // was 0 at forward = 0
    ASSERT_TRUE(metrics.gap_to_lower_bound.has_value());
    EXPECT_NEAR(*metrics.gap_to_lower_bound, 0.0, 1e-9);
  }
}

TEST(UndefinedRatios, AreAbsentNotZero) {
  // Free compute, 2 ms messages: busy time 0, so idle / busy is undefined, while every
  // device idles the whole 8 ms (bubble ratio 1).
  const Schedule schedule = gpipe_schedule(3, 2);
  CostConfig config;
  config.device_share = {0.0, 0.0, 0.0, 0.0};
  config.communication.latency_ms = 2.0;
  CostModel costs = resolve_costs(config, schedule.problem);
  Metrics metrics = compute_metrics(simulate(schedule, costs), costs);
  EXPECT_FALSE(metrics.bubble_overhead.has_value());  // was 0.0
  ASSERT_TRUE(metrics.bubble_ratio.has_value());
  EXPECT_DOUBLE_EQ(*metrics.bubble_ratio, 1.0);

  // Nothing costs anything: the makespan is 0, and so is every denominator.
  config.communication.latency_ms = 0.0;
  costs = resolve_costs(config, schedule.problem);
  metrics = compute_metrics(simulate(schedule, costs), costs, 32.0);
  EXPECT_EQ(metrics.makespan_ms, 0.0);
  EXPECT_FALSE(metrics.bubble_ratio.has_value());
  EXPECT_FALSE(metrics.throughput_microbatches_per_s.has_value());  // was 0.0
  EXPECT_FALSE(metrics.samples_per_s.has_value());
  EXPECT_FALSE(metrics.speedup_over_naive.has_value());  // was 0.0
  EXPECT_FALSE(metrics.gap_to_lower_bound.has_value());
  EXPECT_FALSE(metrics.devices[0].utilization.has_value());
}

TEST(UndefinedRatios, SamplesPerSecondTooLargeForADoubleIsAnError) {
  const Schedule schedule = gpipe_schedule(2, 4);
  const CostModel costs(schedule.problem, StageCosts{});
  // was: samples_per_second null, which the README reserves for "no micro-batch size"
  EXPECT_THROW(compute_metrics(simulate(schedule, costs), costs, 1e308), Error);
}

TEST(PeakTime, DatesThePeakActivationsEvenWhenTheyTakeNoBytes) {
  // GPipe p = 2, m = 4, unit costs and no memory sizes: device 0 holds all four stashes
  // once its fourth forward starts, at 3 ms (the byte peak is the static memory from 0).
  const Schedule schedule = gpipe_schedule(2, 4);
  const CostModel costs(schedule.problem, StageCosts{1.0, 1.0, 1.0, 0.0});
  const Metrics metrics = compute_metrics(simulate(schedule, costs), costs);
  EXPECT_EQ(metrics.devices[0].peak_activations, 4u);
  EXPECT_DOUBLE_EQ(metrics.devices[0].peak_activations_time_ms, 3.0);
  EXPECT_EQ(metrics.devices[0].peak_memory_bytes, 0u);
}

}  // namespace
}  // namespace pipewise::sim
