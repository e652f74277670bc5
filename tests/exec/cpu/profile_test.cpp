// Profiling: the statistics it reports by, and what a profile of a small model contains.
#include <gtest/gtest.h>

#include "common/ir/error.hpp"
#include "exec/cpu/cpu_profile.hpp"
#include "exec/core/profile_statistics.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

TEST(ProfileStatistics, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(median({5.0, 1.0, 3.0}), 3.0);
  EXPECT_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_EQ(median({7.0}), 7.0);
  EXPECT_THROW(median({}), Error);
}

TEST(ProfileStatistics, LineFitRecoversAnExactLine) {
  // y = 2 + 0.5 x at x = 0, 2, 4, 10.
  const LineFit fit = fit_line({0.0, 2.0, 4.0, 10.0}, {2.0, 3.0, 4.0, 7.0});
  EXPECT_DOUBLE_EQ(fit.intercept, 2.0);
  EXPECT_DOUBLE_EQ(fit.slope, 0.5);
  // Least squares through (0, 0), (1, 1), (2, 1): slope 1/2, intercept 1/6.
  const LineFit noisy = fit_line({0.0, 1.0, 2.0}, {0.0, 1.0, 1.0});
  EXPECT_NEAR(noisy.slope, 0.5, 1e-12);
  EXPECT_NEAR(noisy.intercept, 1.0 / 6.0, 1e-12);
  EXPECT_THROW(fit_line({1.0, 1.0}, {2.0, 3.0}), Error);
}

TEST(Profile, MeasuresEveryStageAndTransferSize) {
  MlpConfig config;
  config.widths = {12, 24, 32, 5};
  const SyntheticTask task = test::small_task(config);  // 8 rows
  const MlpModel model(config, 3);
  ProfileOptions options;
  options.warmup = 1;
  options.repeats = 3;
  options.transfer_bytes = {4096, 65536};
  const ExecutionProfile profile =
      profile_cpu_execution(model, task, OptimizerConfig::adam(0.001f), options);
  ASSERT_EQ(profile.stages.size(), 3u);
  const std::size_t outputs[] = {24, 32, 5};
  const std::size_t parameters[] = {24 * 13, 32 * 25, 5 * 33};
  for (std::size_t s = 0; s < 3; ++s) {
    const StageProfile& stage = profile.stages[s];
    EXPECT_GT(stage.forward_ms, 0.0);
    EXPECT_GT(stage.backward_input_ms, 0.0);
    EXPECT_GT(stage.backward_weight_ms, 0.0);
    EXPECT_GT(stage.backward_ms, 0.0);
    EXPECT_GT(stage.optimizer_step_ms, 0.0);
    EXPECT_GT(stage.stashing_step_ms, 0.0);
    EXPECT_EQ(stage.output_bytes, 8 * outputs[s] * sizeof(float));
    EXPECT_EQ(stage.parameter_bytes, parameters[s] * sizeof(float));
  }
  ASSERT_EQ(profile.transfer.samples.size(), 2u);
  EXPECT_EQ(profile.transfer.samples[1].bytes, 65536u);
  for (const TransferSample& sample : profile.transfer.samples) EXPECT_GT(sample.median_ms, 0.0);
  EXPECT_GE(profile.transfer.latency_ms, 0.0);
  EXPECT_GE(profile.transfer.ms_per_byte, 0.0);
}

TEST(Profile, InvalidOptionsAreRejected) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 2);
  ProfileOptions options;
  options.repeats = 0;
  EXPECT_THROW(profile_cpu_execution(model, task, OptimizerConfig::sgd(0.1f), options), Error);
  options.repeats = 1;
  options.transfer_bytes = {0};
  EXPECT_THROW(profile_cpu_execution(model, task, OptimizerConfig::sgd(0.1f), options), Error);
}

}  // namespace
}  // namespace pipewise::exec
