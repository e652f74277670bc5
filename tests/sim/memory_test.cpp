// The memory model: activation peaks, recomputation, split backwards, static memory per
// optimizer, weight stashing, and exact activation lifetimes.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "common/schedules/registry.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/metrics.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

using testing::gpipe_schedule;
using testing::make_op;
using testing::one_f_one_b_schedule;
using testing::pipedream_schedule;

// One layer of 1000 activation bytes per device: the stash of a micro-batch is 1000 bytes.
CostConfig stash_config(double activation_bytes_per_layer = 1000) {
  CostConfig config;
  config.device_share = {1.0, 1.0, 1.0, 0.0};
  config.memory.activation_bytes_per_layer = activation_bytes_per_layer;
  return config;
}

SimulationResult run(const Schedule& schedule, const CostConfig& config, bool record = false) {
  SimulationOptions options;
  options.record_timeline = record;
  return simulate(schedule, resolve_costs(config, schedule.problem), options);
}

TEST(Memory, GpipeHoldsEveryMicrobatchOnEveryDevice) {
  for (std::uint32_t p : {1u, 2u, 4u, 8u}) {
    for (std::uint32_t m : {1u, 3u, 8u, 32u}) {
      const SimulationResult result = run(gpipe_schedule(p, m), stash_config());
      for (std::uint32_t d = 0; d < p; ++d) {
        // All m forwards run before the first backward frees anything.
        EXPECT_EQ(result.devices[d].peak_activations, m) << "p=" << p << " m=" << m;
        EXPECT_EQ(result.devices[d].peak_activation_bytes, m * 1000u);
      }
    }
  }
}

// A buffer held only while an optimizer step runs (step_working_bytes) adds to what the device
// holds then: in 1F1B every backward has freed its stash before the steps, so the step's
// buffer is the peak when it is larger than the stashes, and leaves it alone when smaller.
TEST(Memory, StepWorkingBytesAreHeldOnlyDuringTheStep) {
  const Schedule schedule = generate_schedule("1f1b", Problem{2, 1, 4, 1, Placement::Looped});
  for (const double step_bytes : {5000.0, 500.0}) {
    CostConfig config = stash_config();
    config.device_share.optimizer_step = 1.0;
    config.memory.step_working_bytes = step_bytes;
    const SimulationResult result = run(schedule, config, true);
    for (std::uint32_t d = 0; d < 2; ++d) {
      // Device d stashes at most p - d micro-batches of 1000 bytes.
      const std::uint64_t stashes = (2 - d) * 1000u;
      EXPECT_EQ(result.devices[d].peak_activation_bytes,
                std::max<std::uint64_t>(stashes, static_cast<std::uint64_t>(step_bytes)))
          << "device " << d << " step bytes " << step_bytes;
      // The last sample (the end of the step) is back to the static bytes alone.
      ASSERT_FALSE(result.timeline->memory[d].empty());
      EXPECT_EQ(result.timeline->memory[d].back().bytes, result.devices[d].static_bytes);
    }
  }
}

TEST(Memory, OneFOneBDeviceHoldsMinOfMAndPMinusD) {
  for (std::uint32_t p : {1u, 2u, 4u, 8u, 16u}) {
    for (std::uint32_t m : {1u, 2u, 3u, 8u, 32u}) {
      const SimulationResult result = run(one_f_one_b_schedule(p, m), stash_config());
      for (std::uint32_t d = 0; d < p; ++d) {
        // p-d-1 warm-up forwards plus the first steady-state forward, before its backward.
        const std::uint32_t expected = std::min(m, p - d);
        EXPECT_EQ(result.devices[d].peak_activations, expected) << "p=" << p << " m=" << m << " d=" << d;
        EXPECT_EQ(result.devices[d].peak_activation_bytes, expected * 1000u);
      }
    }
  }
}

TEST(Memory, RecomputationKeepsBoundariesAndRebuildsOneWorkingSet) {
  // L = 4 layers of A_layer = 100 bytes, alpha = 1.5, boundary A_b = 10 bytes, m = 8.
  // GPipe peak: m·A_b + alpha·L·A_layer = 80 + 600 = 680 bytes, at the first backward.
  CostConfig config = stash_config(100);
  config.memory.layers = 4;
  config.memory.working_set_factor = 1.5;
  config.memory.recompute = true;
  config.communication.activation_bytes = 10;
  config.communication.gradient_bytes = 10;
  config.device_share = {1.0, 1.0, 1.0, 0.0};
  const std::uint32_t p = 3;
  const std::uint32_t m = 8;
  const SimulationResult result = run(gpipe_schedule(p, m), config);
  for (std::uint32_t d = 0; d < p; ++d) {
    EXPECT_EQ(result.devices[d].peak_activation_bytes, 680u);
    EXPECT_EQ(result.devices[d].peak_activations, m);
  }
  // Every backward reruns its forward: B' = B + F = 3 ms, so (m+p-1)(F+B') = 10 · 4 ms.
  EXPECT_DOUBLE_EQ(result.makespan_ms, 40.0);
  // Without recomputation the peak would be m·L·A_layer = 3200 bytes.
  config.memory.recompute = false;
  EXPECT_EQ(run(gpipe_schedule(p, m), config).devices[0].peak_activation_bytes, 3200u);
}

TEST(Memory, SplitBackwardFreesTheStashInTwoParts) {
  // One device: F0 F1 I0 I1 W0 W1, 1 ms each, stash 100 bytes, W keeps a quarter of it.
  Schedule schedule = testing::empty_schedule("split", 1, 2);
  for (OpKind kind : {OpKind::Forward, OpKind::BackwardInput, OpKind::BackwardWeight}) {
    schedule.programs[0].push_back(make_op(kind, 0, 0));
    schedule.programs[0].push_back(make_op(kind, 0, 1));
  }
  CostConfig config = stash_config(100);
  config.memory.weight_gradient_fraction = 0.25;
  const SimulationResult result = run(schedule, config, true);
  // 0: +100, 1: +100 (peak 200), 3: I0 ends, -75, 4: I1 ends, -75, 5: W0 ends, -25, 6: -25.
  const std::vector<std::pair<double, std::uint64_t>> expected = {
      {0, 100}, {1, 200}, {3, 125}, {4, 50}, {5, 25}, {6, 0}};
  const auto& samples = result.timeline->memory[0];
  ASSERT_EQ(samples.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_DOUBLE_EQ(samples[i].time_ms, expected[i].first);
    EXPECT_EQ(samples[i].bytes, expected[i].second);
  }
  EXPECT_EQ(result.devices[0].peak_activation_bytes, 200u);
  EXPECT_DOUBLE_EQ(result.devices[0].peak_time_ms, 1.0);
  // A micro-batch's stash lives until its W.
  const auto& lifetimes = result.timeline->activations;
  ASSERT_EQ(lifetimes.size(), 2u);
  EXPECT_DOUBLE_EQ(lifetimes[0].allocated_ms, 0.0);
  EXPECT_DOUBLE_EQ(lifetimes[0].released_ms, 5.0);
  EXPECT_DOUBLE_EQ(lifetimes[1].allocated_ms, 1.0);
  EXPECT_DOUBLE_EQ(lifetimes[1].released_ms, 6.0);
}

TEST(Memory, StaticBytesFollowTheOptimizer) {
  // Per device: weights P, gradients P, optimizer state 0 (SGD), P (momentum), 2P (Adam).
  const double parameters = 1e6;
  for (const auto& [optimizer, multiple] :
       {std::pair{Optimizer::Sgd, 2u}, std::pair{Optimizer::Momentum, 3u},
        std::pair{Optimizer::Adam, 4u}}) {
    CostConfig config = stash_config();
    config.memory.parameter_bytes = parameters;
    config.memory.optimizer = optimizer;
    const SimulationResult result = run(one_f_one_b_schedule(4, 8), config);
    for (const DeviceStats& device : result.devices) {
      EXPECT_EQ(device.static_bytes, multiple * 1000000u);
      EXPECT_EQ(device.peak_bytes, device.static_bytes + device.peak_activation_bytes);
    }
  }
}

TEST(Memory, InterleavedChunksShareTheDeviceParameters) {
  // v = 2: each chunk holds half of the device's 10^6 parameter bytes.
  CostConfig config = stash_config();
  config.memory.parameter_bytes = 1e6;
  const SimulationResult result = run(testing::interleaved_schedule(2, 4, 2), config);
  EXPECT_EQ(result.devices[0].static_bytes, 2000000u);
}

TEST(Memory, PipeDreamStashesPMinusDWeightVersions) {
  // Stage d has p-d micro-batches in flight, each pinned to the version its forward read.
  const std::uint32_t p = 4;
  CostConfig config = stash_config();
  config.memory.parameter_bytes = 1e6;
  const SimulationResult result = run(pipedream_schedule(p, 8, 2), config);
  for (std::uint32_t d = 0; d < p; ++d) {
    EXPECT_EQ(result.devices[d].weight_versions, p - d) << "device " << d;
    // (p-d) weight versions plus one gradient buffer.
    EXPECT_EQ(result.devices[d].weight_bytes, (p - d) * 1000000u);
    EXPECT_EQ(result.devices[d].static_bytes, (p - d + 1) * 1000000u);
  }
  // A flushed schedule holds one version.
  EXPECT_EQ(run(gpipe_schedule(p, 8), config).devices[0].weight_versions, 1u);
}

TEST(Memory, GpipeLifetimesAgainstTheWholeIterationApproximation) {
  // Uniform F, B: F(s, j) starts at (s + j)F; the last stage's backwards run back to back
  // after the last forward, so B(s, j) ends at (m+p-1)F + (j + p - s)B. The usual
  // approximation keeps every stash for the whole iteration, (m+p-1)(F+B).
  const std::uint32_t p = 4;
  const std::uint32_t m = 8;
  const double forward = 1.0;
  const double backward = 2.0;
  CostConfig config = stash_config();
  config.device_share = {forward, backward / 2, backward / 2, 0.0};
  const SimulationResult result = run(gpipe_schedule(p, m), config, true);
  const auto& lifetimes = result.timeline->activations;
  ASSERT_EQ(lifetimes.size(), p * m);
  double exact_total = 0;
  for (const ActivationLifetime& lifetime : lifetimes) {
    const double s = lifetime.stage;
    const double j = lifetime.microbatch;
    const double allocated = (s + j) * forward;
    const double released = (m + p - 1) * forward + (j + p - s) * backward;
    EXPECT_DOUBLE_EQ(lifetime.allocated_ms, allocated) << "stage " << s << " mb " << j;
    EXPECT_DOUBLE_EQ(lifetime.released_ms, released) << "stage " << s << " mb " << j;
    exact_total += released - allocated;
  }
  // Summing the closed form over s < 4, j < 8: Σ (11-s-j)·F = 352 - 48 - 112 = 192 and
  // Σ (j+4-s)·B = 2·(112 + 128 - 48) = 384.
  EXPECT_DOUBLE_EQ(exact_total, 576.0);
  const double approximation_total = p * m * (m + p - 1) * (forward + backward);
  EXPECT_DOUBLE_EQ(approximation_total, 1056.0);
  EXPECT_LT(exact_total, approximation_total);
}

}  // namespace
}  // namespace pipewise::sim
