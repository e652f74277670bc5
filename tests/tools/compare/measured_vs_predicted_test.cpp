// Setting measured steps beside a prediction, on a GPipe step of two devices and one
// micro-batch whose measured times are written by hand:
//   predicted (F = 1, B = 2, free steps and links): F0 [0,1] F1 [1,2] B1 [2,4] B0 [4,6],
//   step 1 at 4, step 0 at 6; makespan 6 ms, each device busy 3 ms.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/ir/error.hpp"
#include "tools/compare/measured_vs_predicted.hpp"
#include "../../exec/exec_test_support.hpp"

namespace pipewise::tools {
namespace {

std::int64_t ns(double ms) { return std::llround(ms * 1e6); }

class MeasuredVsPredicted : public ::testing::Test {
 protected:
  MeasuredVsPredicted() : schedule_(exec::test::lowered("gpipe", exec::test::problem(2, 1))) {
    // The lowered programs: device 0 F, SEND_F, RECV_B, B, STEP; device 1 RECV_F, F, B,
    // SEND_B, STEP.
    EXPECT_EQ(schedule_.programs[0][3].kind, OpKind::Backward);
    EXPECT_EQ(schedule_.programs[1][1].kind, OpKind::Forward);
    sim::MemoryConfig share;
    share.parameter_bytes = 1000;
    share.layers = 1;
    share.activation_bytes_per_layer = 100;
    prediction_ = predict_run(schedule_, sim::CostConfig{}, {share, share});
    memory_ = {{2150, 120, 1, 1}, {2100, 100, 1, 1}};
  }

  // A step that starts 5 ms after its clock's origin and whose last op, device 0's optimizer
  // step, runs from 5 + 6.5 to 5 + `step_ms` (at least 6.5).
  exec::StepIntervals step(double step_ms = 6.6) const {
    const auto at = [](double start, double end) { return exec::OpInterval{ns(5 + start), ns(5 + end)}; };
    return {{at(0, 1.1), at(1.1, 1.2), at(1.2, 4.3), at(4.3, 6.5), at(6.5, step_ms)},
            {at(0.05, 1.25), at(1.25, 2.2), at(2.2, 4.2), at(4.2, 4.25), at(4.25, 4.3)}};
  }

  Schedule schedule_;
  PredictedRun prediction_;
  std::vector<exec::MeasuredMemory> memory_;
};

TEST(RelativeError, IsSignedAndRelativeToThePrediction) {
  EXPECT_DOUBLE_EQ(relative_error({7.5, 6.0}), 0.25);
  EXPECT_DOUBLE_EQ(relative_error({4.5, 6.0}), -0.25);
  EXPECT_EQ(relative_error({0.0, 0.0}), 0.0);
  EXPECT_EQ(relative_error({1.0, 0.0}), std::numeric_limits<double>::infinity());
}

TEST(ErrorDistribution, MedianAndInterpolated95thPercentile) {
  // 21 values 0..20: the median is 10; the 95th percentile sits at rank 0.95·20 = 19.
  std::vector<double> values;
  for (int i = 20; i >= 0; --i) values.push_back(i);
  const ErrorDistribution spread = error_distribution(values);
  EXPECT_EQ(spread.samples, 21u);
  EXPECT_DOUBLE_EQ(spread.median, 10.0);
  EXPECT_DOUBLE_EQ(spread.p95, 19.0);
  // 0, 1, 2, 10: median 1.5; rank 0.95·3 = 2.85, between 2 and 10: 2 + 0.85·8 = 8.8.
  const ErrorDistribution four = error_distribution({10.0, 0.0, 2.0, 1.0});
  EXPECT_DOUBLE_EQ(four.median, 1.5);
  EXPECT_NEAR(four.p95, 8.8, 1e-12);
  EXPECT_EQ(error_distribution({}).samples, 0u);
}

TEST_F(MeasuredVsPredicted, StepTimeRunsFromTheFirstOpToTheLast) {
  const RunComparison comparison = compare_run(schedule_, {step()}, memory_, prediction_);
  ASSERT_EQ(comparison.step_ms.size(), 1u);
  EXPECT_NEAR(comparison.step_ms[0], 6.6, 1e-9);
  EXPECT_NEAR(comparison.step_time_ms.measured, 6.6, 1e-9);
  EXPECT_DOUBLE_EQ(comparison.step_time_ms.predicted, 6.0);
  EXPECT_NEAR(relative_error(comparison.step_time_ms), 0.1, 1e-9);
}

TEST_F(MeasuredVsPredicted, BusyTimeAndBubbleComeFromTheComputeOps) {
  const RunComparison comparison = compare_run(schedule_, {step()}, memory_, prediction_);
  ASSERT_EQ(comparison.devices.size(), 2u);
  // Device 0: F 1.1 + B 2.2 + step 0.1 = 3.4; device 1: F 0.95 + B 2.0 + step 0.05 = 3.0.
  EXPECT_NEAR(comparison.devices[0].busy_ms.measured, 3.4, 1e-9);
  EXPECT_NEAR(comparison.devices[1].busy_ms.measured, 3.0, 1e-9);
  EXPECT_DOUBLE_EQ(comparison.devices[0].busy_ms.predicted, 3.0);
  EXPECT_NEAR(comparison.devices[0].idle_ratio.measured, 1 - 3.4 / 6.6, 1e-9);
  EXPECT_DOUBLE_EQ(comparison.devices[1].idle_ratio.predicted, 0.5);
  // Σ idle / (p · step): (3.2 + 3.6) / 13.2 measured, (3 + 3) / 12 predicted.
  EXPECT_NEAR(comparison.bubble_ratio.measured, 6.8 / 13.2, 1e-9);
  EXPECT_DOUBLE_EQ(comparison.bubble_ratio.predicted, 0.5);
}

TEST_F(MeasuredVsPredicted, OpErrorsCoverComputeOpsWithAPredictedDuration) {
  const RunComparison comparison = compare_run(schedule_, {step()}, memory_, prediction_);
  // Durations: F0 1.1 vs 1, B0 2.2 vs 2, F1 0.95 vs 1, B1 2.0 vs 2 → 0.1, 0.1, 0.05, 0; the
  // optimizer steps, predicted to take no time, are left out. Sorted 0, .05, .1, .1.
  EXPECT_EQ(comparison.op_duration_error.samples, 4u);
  EXPECT_NEAR(comparison.op_duration_error.median, 0.075, 1e-9);
  EXPECT_NEAR(comparison.op_duration_error.p95, 0.1, 1e-9);
  // Starts from the step's start against the prediction, over 6 ms: F0 0, B0 0.3, step0 0.5,
  // F1 0.25, B1 0.2, step1 0.25 → sorted 0, .2, .25, .25, .3, .5 (/6). Median .25/6;
  // rank 0.95·5 = 4.75: .3 + .75·(.5 − .3) = .45, over 6.
  EXPECT_EQ(comparison.op_start_error.samples, 6u);
  EXPECT_NEAR(comparison.op_start_error.median, 0.25 / 6, 1e-9);
  EXPECT_NEAR(comparison.op_start_error.p95, 0.45 / 6, 1e-9);
}

TEST_F(MeasuredVsPredicted, TheMedianStepIsTheLowerMiddleOne) {
  // Step times 6.6, 6.5, 7.0: the median 6.6 is step 0.
  const RunComparison three =
      compare_run(schedule_, {step(6.6), step(6.5), step(7.0)}, memory_, prediction_);
  EXPECT_EQ(three.median_step, 0u);
  EXPECT_NEAR(three.step_time_ms.measured, 6.6, 1e-9);
  EXPECT_EQ(three.op_duration_error.samples, 12u);
  // Adding 6.55: the median is (6.55 + 6.6) / 2; the lower middle step is 6.55, step 3, whose
  // device 0 is busy 1.1 + 2.2 + 0.05 ms.
  const RunComparison four =
      compare_run(schedule_, {step(6.6), step(6.5), step(7.0), step(6.55)}, memory_, prediction_);
  EXPECT_EQ(four.median_step, 3u);
  EXPECT_NEAR(four.step_time_ms.measured, 6.575, 1e-9);
  EXPECT_NEAR(four.devices[0].busy_ms.measured, 3.35, 1e-9);
  EXPECT_NEAR(four.bubble_ratio.measured, (6.55 - 3.35 + 6.55 - 3.0) / (2 * 6.55), 1e-9);
}

TEST_F(MeasuredVsPredicted, MemoryPeaksSitBesideThePrediction) {
  const RunComparison comparison = compare_run(schedule_, {step()}, memory_, prediction_);
  // Predicted: weights 1000 + gradients 1000 + one 100-byte stash.
  EXPECT_DOUBLE_EQ(comparison.devices[0].peak_bytes.predicted, 2100.0);
  EXPECT_DOUBLE_EQ(comparison.devices[0].peak_bytes.measured, 2150.0);
  EXPECT_DOUBLE_EQ(comparison.devices[0].peak_activation_bytes.predicted, 100.0);
  EXPECT_DOUBLE_EQ(comparison.devices[0].peak_activation_bytes.measured, 120.0);
  EXPECT_EQ(comparison.devices[1].peak_activations.measured, 1u);
  EXPECT_EQ(comparison.devices[1].peak_activations.predicted, 1u);
  EXPECT_EQ(comparison.devices[1].weight_versions.predicted, 1u);
}

TEST_F(MeasuredVsPredicted, RejectsStepsThatDoNotFitTheSchedule) {
  EXPECT_THROW(compare_run(schedule_, {}, memory_, prediction_), Error);
  exec::StepIntervals short_step = step();
  short_step[1].pop_back();
  EXPECT_THROW(compare_run(schedule_, {short_step}, memory_, prediction_), Error);
  exec::StepIntervals nothing_ran(2);
  nothing_ran[0].assign(5, exec::OpInterval{});
  nothing_ran[1].assign(5, exec::OpInterval{});
  EXPECT_THROW(compare_run(schedule_, {nothing_ran}, memory_, prediction_), Error);
  EXPECT_THROW(compare_run(schedule_, {step()}, {memory_[0]}, prediction_), Error);
}

}  // namespace
}  // namespace pipewise::tools
