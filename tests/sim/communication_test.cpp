// Messages between stages: latency, bandwidth, link serialisation, blocking senders, and
// the gradient all-reduce of data parallelism. Every expected time is worked out by hand.
#include <gtest/gtest.h>

#include "common/ir/lower.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/metrics.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

using testing::gpipe_schedule;
using testing::one_f_one_b_schedule;

CostConfig base_config(double forward, double backward) {
  CostConfig config;
  config.device_share = {forward, backward / 2, backward / 2, 0.0};
  return config;
}

SimulationResult run(const Schedule& schedule, const CostConfig& config, bool record = false) {
  SimulationOptions options;
  options.record_timeline = record;
  return simulate(schedule, resolve_costs(config, schedule.problem), options);
}

TEST(Communication, LatencyAndBandwidthDelayEachCrossing) {
  // p = 2, m = 1, F = 1, B = 2; a message of 10^6 bytes at 4 GB/s (4·10^6 bytes/ms) holds
  // its link 0.25 ms and arrives 0.5 ms later.
  CostConfig config = base_config(1, 2);
  config.communication = {0.5, 4.0, 1e6, 1e6, CommMode::Overlapped};
  const SimulationResult result = run(gpipe_schedule(2, 1), config, true);
  // F(0) 0-1; activation on link 1-1.25, arrives 1.75; F(1) 1.75-2.75; B(1) 2.75-4.75;
  // gradient 4.75-5, arrives 5.5; B(0) 5.5-7.5.
  EXPECT_DOUBLE_EQ(result.makespan_ms, 7.5);
  EXPECT_EQ(result.messages, 2u);
  EXPECT_DOUBLE_EQ(result.message_ms, 1.5);
  ASSERT_EQ(result.timeline->messages.size(), 2u);
  const MessageSpan& activation = result.timeline->messages[0];
  EXPECT_EQ(activation.from_device, 0u);
  EXPECT_EQ(activation.to_device, 1u);
  EXPECT_DOUBLE_EQ(activation.start_ms, 1.0);
  EXPECT_DOUBLE_EQ(activation.end_ms, 1.75);
  const MessageSpan& gradient = result.timeline->messages[1];
  EXPECT_EQ(gradient.from_device, 1u);
  EXPECT_EQ(gradient.to_device, 0u);
  EXPECT_DOUBLE_EQ(gradient.start_ms, 4.75);
  EXPECT_DOUBLE_EQ(gradient.end_ms, 5.5);
}

TEST(Communication, ALinkCarriesItsMessagesOneAtATime) {
  // Messages take 2 ms of link time (2·10^6 bytes at 1 GB/s), longer than a forward (1 ms),
  // so they queue: activations leave at 1, 3, 5 and arrive at 3, 5, 7.
  CostConfig config = base_config(1, 2);
  config.communication = {0.0, 1.0, 2e6, 2e6, CommMode::Overlapped};
  const SimulationResult result = run(gpipe_schedule(2, 3), config, true);
  const auto& messages = result.timeline->messages;
  ASSERT_EQ(messages.size(), 6u);
  EXPECT_DOUBLE_EQ(messages[0].end_ms, 3.0);
  EXPECT_DOUBLE_EQ(messages[1].start_ms, 3.0);
  EXPECT_DOUBLE_EQ(messages[1].end_ms, 5.0);
  EXPECT_DOUBLE_EQ(messages[2].end_ms, 7.0);
  // Device 1: F 3-4, 5-6, 7-8, then B 8-10, 10-12, 12-14; the gradients on the other
  // direction's link arrive at 12, 14, 16; device 0's B run 12-14, 14-16, 16-18.
  EXPECT_DOUBLE_EQ(result.makespan_ms, 18.0);
  EXPECT_DOUBLE_EQ(result.devices[1].finish_ms, 14.0);
}

TEST(Communication, BlockingSendersWaitForTheirMessages) {
  // p = 2, m = 2 GPipe, F = 1, B = 2, latency 1 ms, unlimited bandwidth.
  CostConfig config = base_config(1, 2);
  config.communication.latency_ms = 1.0;
  // Overlapped: activations arrive at 2 and 3; device 1 runs F 2-3, 3-4, B 4-6, 6-8;
  // gradients arrive at 7 and 9; device 0 runs B 7-9, 9-11.
  const SimulationResult overlapped = run(gpipe_schedule(2, 2), config);
  EXPECT_DOUBLE_EQ(overlapped.makespan_ms, 11.0);
  EXPECT_DOUBLE_EQ(overlapped.devices[0].blocked_ms, 0.0);
  // Blocking: device 0 runs F 0-1, waits to 2, F 2-3, waits to 4; device 1 runs F 2-3,
  // F 4-5, B 5-7, waits to 8, B 8-10, waits to 11; device 0 runs B 8-10, B 11-13.
  config.communication.mode = CommMode::Blocking;
  const SimulationResult blocking = run(gpipe_schedule(2, 2), config);
  EXPECT_DOUBLE_EQ(blocking.makespan_ms, 13.0);
  EXPECT_DOUBLE_EQ(blocking.devices[0].blocked_ms, 2.0);
  EXPECT_DOUBLE_EQ(blocking.devices[1].blocked_ms, 2.0);
  EXPECT_DOUBLE_EQ(blocking.devices[1].finish_ms, 11.0);
}

TEST(Communication, LoweredAndUnloweredSchedulesSimulateAlike) {
  CostConfig config = base_config(1, 2);
  config.communication = {0.3, 2.0, 1e6, 5e5, CommMode::Overlapped};
  const Schedule plain = one_f_one_b_schedule(4, 8);
  const SimulationResult from_plain = run(plain, config);
  const SimulationResult from_lowered = run(lower_communication(plain), config);
  EXPECT_DOUBLE_EQ(from_plain.makespan_ms, from_lowered.makespan_ms);
  EXPECT_EQ(from_plain.messages, from_lowered.messages);
  // Each of the 8 micro-batches crosses 3 boundaries each way.
  EXPECT_EQ(from_plain.messages, 2u * 3u * 8u);
}

TEST(DataParallel, RingAllReduceCost) {
  DataParallelCosts dp;
  dp.replicas = 4;
  dp.latency_ms = 0.01;
  dp.bandwidth_gb_per_s = 100;  // 10^8 bytes per ms
  // 2(d-1)/d · bytes / bandwidth + 2(d-1) · latency = 1.5 · 10 ms + 6 · 0.01 ms.
  EXPECT_DOUBLE_EQ(dp.allreduce_ms(1e9), 15.06);
  dp.replicas = 1;
  EXPECT_DOUBLE_EQ(dp.allreduce_ms(1e9), 0.0);
}

TEST(DataParallel, OverlappedAllReduceHidesBehindTheLastBackward) {
  // 1F1B p = 2, m = 2 with steps, F = 1, B = 2, step 0.5 ms; 10^9 parameter bytes per
  // device, d = 2 at 100 GB/s: all-reduce 2·(1/2)·10 ms = 10 ms.
  // Compute: device 0 F0 0-1, F1 1-2, B0 4-6, B1 7-9; device 1 F0 1-2, B0 2-4, F1 4-5, B1 5-7.
  CostConfig config = base_config(1, 2);
  config.device_share.optimizer_step = 0.5;
  config.memory.parameter_bytes = 1e9;
  config.data_parallel.replicas = 2;
  config.data_parallel.bandwidth_gb_per_s = 100;
  const Schedule schedule = one_f_one_b_schedule(2, 2, false, true);
  // Overlapped: device 1 streams from B1's start (5) to 15, steps 15-15.5; device 0 from
  // 7 to 17, steps 17-17.5.
  const SimulationResult overlapped = run(schedule, config);
  EXPECT_DOUBLE_EQ(overlapped.devices[1].finish_ms, 15.5);
  EXPECT_DOUBLE_EQ(overlapped.makespan_ms, 17.5);
  EXPECT_DOUBLE_EQ(overlapped.devices[0].blocked_ms, 0.0);
  // Blocking: each device starts its all-reduce at its step, after its last backward:
  // device 1 at 7 (step 17-17.5), device 0 at 9 (step 19-19.5).
  config.data_parallel.overlap_with_cooldown = false;
  const SimulationResult blocking = run(schedule, config);
  EXPECT_DOUBLE_EQ(blocking.devices[1].finish_ms, 17.5);
  EXPECT_DOUBLE_EQ(blocking.makespan_ms, 19.5);
  EXPECT_DOUBLE_EQ(blocking.devices[0].blocked_ms, 10.0);
}

}  // namespace
}  // namespace pipewise::sim
