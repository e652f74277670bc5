// A measured run as a Timeline: every op, every message, memory after every op.
#include <gtest/gtest.h>

#include "exec/core/executor.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/core/measured_timeline.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

TEST(MeasuredTimeline, HoldsEveryOpMessageAndMemorySample) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 2, PartitionRule::ByLayers);
  CpuBackend backend(model, task, OptimizerConfig::sgd(0.05f));
  TimingRecorder timing(backend);
  // GPipe, p = 2, m = 2: device 0 runs F0 SEND_F0 F1 SEND_F1 RECV_B0 B0 RECV_B1 B1 STEP
  // (9 ops), device 1 RECV_F0 F0 RECV_F1 F1 B0 SEND_B0 B1 SEND_B1 STEP (9 ops); 4 messages.
  const Schedule schedule = test::lowered("gpipe", test::problem(2, 2));
  run_schedule(schedule, backend, {}, &timing);
  const Timeline timeline = measured_timeline(timing);

  EXPECT_EQ(timeline.name, "measured");
  EXPECT_EQ(timeline.ops.size(), 18u);
  ASSERT_EQ(timeline.messages.size(), 4u);
  for (const MessageSpan& message : timeline.messages) {
    EXPECT_LE(message.start_ms, message.end_ms);
    if (message.producer.kind == OpKind::Forward) {
      EXPECT_EQ(message.from_device, 0u);
      EXPECT_EQ(message.to_device, 1u);
      EXPECT_EQ(message.producer.stage, 0u);
    } else {
      EXPECT_EQ(message.producer.kind, OpKind::Backward);
      EXPECT_EQ(message.from_device, 1u);
      EXPECT_EQ(message.to_device, 0u);
    }
  }
  ASSERT_EQ(timeline.memory.size(), 2u);
  EXPECT_EQ(timeline.memory[0].size(), 9u);
  // Device 1 after F1 (op #3) holds both micro-batches' stashes; after the step only
  // parameters and gradients (stage 1: 24·33 + 24·25 + 16·25 + 5·17 = 1877 parameters).
  EXPECT_EQ(timeline.memory[1][3].live_activations, 2u);
  EXPECT_EQ(timeline.memory[1].back().live_activations, 0u);
  EXPECT_EQ(timeline.memory[1].back().bytes, 2u * 1877 * sizeof(float));
  EXPECT_DOUBLE_EQ(timeline.end_ms(), static_cast<double>(timing.makespan_ns()) / 1e6);
}

}  // namespace
}  // namespace pipewise::exec
