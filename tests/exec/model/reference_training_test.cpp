// The sequential replay of a schedule's weight versions reduces to plain synchronous
// training for a flushed schedule, and rejects schedules it cannot replay.
#include <gtest/gtest.h>

#include <cmath>

#include <string>

#include "common/ir/error.hpp"
#include "exec/model/reference_training.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

TEST(ReferenceTraining, ReplayingAFlushedScheduleIsSynchronousTraining) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 4);
  const OptimizerConfig optimizer = OptimizerConfig::sgd(0.05f, 0.9f);
  const TrainedModel synchronous = train_synchronous_reference(model, task, optimizer, 4, 3);
  const TrainedModel replay =
      train_following_schedule(model, task, optimizer, generate_schedule("gpipe", test::problem(4, 4, 3)));
  for (std::uint32_t s = 0; s < 4; ++s) {
    EXPECT_LT(test::relative_difference(replay.parameters[s], synchronous.parameters[s]), 1e-6);
    EXPECT_LT(test::relative_difference(replay.last_gradients[s], synchronous.last_gradients[s]),
              1e-6);
  }
  // The losses come from the same math in another order (per stage rather than whole-model
  // GEMMs, whose kernels OpenBLAS picks per CPU): equal to float rounding, not bit for bit.
  ASSERT_EQ(replay.losses.size(), synchronous.losses.size());
  for (std::size_t i = 0; i < replay.losses.size(); ++i) {
    EXPECT_NEAR(replay.losses[i], synchronous.losses[i], 1e-6 * std::abs(synchronous.losses[i]))
        << "loss " << i;
  }
}

TEST(ReferenceTraining, SynchronousTrainingStepsOnTheAverageGradient) {
  // One stage, one step of plain SGD: the parameter change is -lr times the averaged
  // gradient, which the reference reports.
  const MlpConfig config = MlpConfig::uniform(12, 8, 2, 5, 3);
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 1);
  const float lr = 0.5f;
  const TrainedModel trained =
      train_synchronous_reference(model, task, OptimizerConfig::sgd(lr), 3, 1);
  const std::vector<float> initial = model.initial_parameters(0);
  for (std::size_t i = 0; i < initial.size(); ++i) {
    EXPECT_NEAR(trained.parameters[0][i], initial[i] - lr * trained.last_gradients[0][i], 1e-6);
  }
}

TEST(ReferenceTraining, AScheduleMissingABackwardIsRejected) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 2);
  Schedule schedule = generate_schedule("gpipe", test::problem(2, 2, 1));
  auto& program = schedule.programs[1];
  for (auto it = program.begin(); it != program.end(); ++it) {
    if (it->kind == OpKind::Backward && it->microbatch == 1) {
      program.erase(it);
      break;
    }
  }
  try {
    train_following_schedule(model, task, OptimizerConfig::sgd(0.1f), schedule);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "stage 1 micro-batch 1 of iteration 0 has no backward in the schedule");
  }
}

TEST(ReferenceTraining, AModelWithADifferentStageCountIsRejected) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 3);
  EXPECT_THROW(train_following_schedule(model, task, OptimizerConfig::sgd(0.1f),
                                        generate_schedule("gpipe", test::problem(2, 2, 1))),
               Error);
}

}  // namespace
}  // namespace pipewise::exec
