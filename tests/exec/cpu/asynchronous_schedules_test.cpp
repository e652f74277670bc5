// Asynchronous schedules (PipeDream, PipeDream-2BW) update weights while other
// micro-batches are in flight. Each backward must use the weight version its forward used
// (the executor checks op.weight_version against its stash during the run), and the
// result must equal a sequential replay of the same update rule.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "exec/core/executor.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/model/reference_training.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

constexpr double kTolerance = 1e-5;

void expect_equals_sequential_replay(const char* name, const Problem& shape,
                                     const OptimizerConfig& optimizer) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, shape.stages());
  const Schedule schedule = test::lowered(name, shape);
  CpuBackendOptions options;
  options.keep_last_gradients = true;
  CpuBackend backend(model, task, optimizer, options);
  run_schedule(schedule, backend);
  const TrainedModel replay = train_following_schedule(model, task, optimizer, schedule);
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    EXPECT_LT(test::relative_difference(backend.parameters(s), replay.parameters[s]), kTolerance)
        << name << ": parameters of stage " << s;
    EXPECT_LT(test::relative_difference(backend.last_gradient(s), replay.last_gradients[s]),
              kTolerance)
        << name << ": last gradient of stage " << s;
  }
}

TEST(AsynchronousSchedules, PipeDreamEqualsTheSequentialReplayOfItsVersions) {
  expect_equals_sequential_replay("pipedream", test::problem(4, 2, 4), OptimizerConfig::sgd(0.05f));
  expect_equals_sequential_replay("pipedream", test::problem(3, 1, 6),
                                  OptimizerConfig::adam(0.002f));
}

TEST(AsynchronousSchedules, PipeDream2BWEqualsTheSequentialReplayOfItsVersions) {
  expect_equals_sequential_replay("pipedream-2bw", test::problem(4, 4, 3),
                                  OptimizerConfig::sgd(0.05f, 0.9f));
  expect_equals_sequential_replay("pipedream-2bw", test::problem(2, 3, 4),
                                  OptimizerConfig::adam(0.002f));
}

TEST(AsynchronousSchedules, StaleWeightsMakePipeDreamDifferFromSynchronousTraining) {
  // The replay is not a restatement of synchronous training: with p = 4 and a step per
  // micro-batch, stage 0's forwards read weights up to 3 steps old.
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 4);
  const OptimizerConfig optimizer = OptimizerConfig::sgd(0.05f);
  const Schedule schedule = test::lowered("pipedream", test::problem(4, 1, 8));
  const TrainedModel replay = train_following_schedule(model, task, optimizer, schedule);
  const TrainedModel synchronous = train_synchronous_reference(model, task, optimizer, 1, 8);
  EXPECT_GT(test::relative_difference(replay.parameters[0], synchronous.parameters[0]), 1e-4);
}

TEST(AsynchronousSchedules, ABackwardThatReadsANewerVersionThanItsForwardFailsTheRun) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 2);
  Schedule schedule = test::lowered("pipedream", test::problem(2, 1, 4));
  // Device 0 runs F0 F1 B0 STEP F2 B1 ...: B1 must read version 0 (what F1 read), even
  // though version 1 exists by then. Make it claim version 1.
  bool edited = false;
  for (Op& op : schedule.programs[0]) {
    if (op.kind == OpKind::Backward && op.iteration == 1) {
      ASSERT_EQ(op.weight_version, 0u);
      op.weight_version = 1;
      edited = true;
    }
  }
  ASSERT_TRUE(edited);
  CpuBackend backend(model, task, OptimizerConfig::sgd(0.05f));
  try {
    run_schedule(schedule, backend);
    FAIL() << "the run should fail";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("device 0"), std::string::npos) << message;
    EXPECT_NE(message.find("0B1"), std::string::npos) << message;
    EXPECT_NE(message.find("its forward read version 0"), std::string::npos) << message;
  }
}

TEST(AsynchronousSchedules, AForwardThatReadsAStaleVersionFailsTheRun) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 2);
  Schedule schedule = test::lowered("pipedream", test::problem(2, 1, 4));
  // Stage 1 (device 1) runs F0 B0 STEP F1 ...: F1 must read the newest version, 1.
  for (Op& op : schedule.programs[1]) {
    if (op.kind == OpKind::Forward && op.iteration == 1) op.weight_version = 0;
  }
  CpuBackend backend(model, task, OptimizerConfig::sgd(0.05f));
  try {
    run_schedule(schedule, backend);
    FAIL() << "the run should fail";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("device 1 failed at op 1F1"), std::string::npos) << message;
    EXPECT_NE(message.find("newest version of its stage is 1"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace pipewise::exec
