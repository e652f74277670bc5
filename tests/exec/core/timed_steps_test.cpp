// Timed training steps on the CPU backend: warm-up steps first, then profiling and timed
// steps whose every op is recorded, with the devices' memory peaks and each step's loss; and
// a measured step as a timeline that starts at its first op.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/ir/error.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/core/step_timeline.hpp"
#include "exec/core/timed_steps.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

class TimedStepsTest : public ::testing::Test {
 protected:
  TimedStepsTest()
      : config_(test::small_mlp()),
        task_(test::small_task(config_)),
        model_(config_, 2),
        backend_(model_, task_, OptimizerConfig::sgd(0.05f)),
        schedule_(test::lowered("1f1b", test::problem(2, 3))) {
    hooks_.losses = [this] { return backend_.losses(); };
    options_.warmup_steps = 2;
    options_.timed_steps = 3;
  }

  MlpConfig config_;
  SyntheticTask task_;
  MlpModel model_;
  CpuBackend backend_;
  Schedule schedule_;
  StepHooks hooks_;
  TimedStepOptions options_;
};

TEST_F(TimedStepsTest, RecordsEveryOpOfEveryTimedStep) {
  const TimedSteps timed = run_timed_steps(schedule_, backend_, options_, hooks_);
  ASSERT_EQ(timed.steps.size(), 3u);
  for (const TimingRecorder& step : timed.steps) {
    EXPECT_TRUE(step.succeeded());
    for (std::size_t d = 0; d < 2; ++d) {
      ASSERT_EQ(step.intervals()[d].size(), schedule_.programs[d].size());
      for (const OpInterval& interval : step.intervals()[d]) {
        EXPECT_TRUE(interval.ran());
        EXPECT_GE(interval.duration_ns(), 0);
      }
      EXPECT_EQ(step.memory_after_op()[d].size(), schedule_.programs[d].size());
    }
  }
}

TEST_F(TimedStepsTest, KeepsTheLossOfEveryStepAndTheMemoryPeaks) {
  const TimedSteps timed = run_timed_steps(schedule_, backend_, options_, hooks_);
  ASSERT_EQ(timed.mean_losses.size(), 5u);  // 2 warm-up + 3 timed
  for (const double loss : timed.mean_losses) EXPECT_TRUE(std::isfinite(loss) && loss > 0);
  // The last step's mean is the mean of the backend's per-micro-batch losses.
  const std::vector<float>& losses = backend_.losses();
  double sum = 0.0;
  for (const float loss : losses) sum += loss;
  EXPECT_NEAR(timed.mean_losses.back(), sum / static_cast<double>(losses.size()), 1e-6);
  // Every step peaks the same way; 1F1B device 0 holds min(m, p) = 2 stashes.
  ASSERT_EQ(timed.memory.size(), 2u);
  EXPECT_EQ(timed.memory[0].peak_activations, 2u);
  EXPECT_EQ(timed.memory[1].peak_activations, 1u);
  EXPECT_EQ(timed.memory[0].peak_bytes, backend_.memory(0).peak_bytes());
  EXPECT_EQ(timed.memory[1].weight_versions, 1u);
}

TEST_F(TimedStepsTest, CallsBeforeStepBeforeEveryStepWarmUpIncluded) {
  options_.profile_steps = 2;
  std::size_t calls = 0;
  hooks_.before_step = [&] { ++calls; };
  const TimedSteps timed = run_timed_steps(schedule_, backend_, options_, hooks_);
  EXPECT_EQ(calls, 2u + 2u + 3u);
  EXPECT_EQ(timed.mean_losses.size(), calls);
}

TEST(ProfilingSteps, SpreadEvenlyAmongTheTimedStepsFromTheFirstOn) {
  // P = 3, K = 5: the k-th profiling step is step floor(8k/3): steps 0, 2 and 5.
  std::vector<std::uint32_t> profiling;
  for (std::uint32_t i = 0; i < 8; ++i) {
    if (is_profiling_step(i, 3, 5)) profiling.push_back(i);
  }
  EXPECT_EQ(profiling, (std::vector<std::uint32_t>{0, 2, 5}));
  EXPECT_TRUE(is_profiling_step(0, 2, 2));  // P T P T
  EXPECT_FALSE(is_profiling_step(1, 2, 2));
  EXPECT_TRUE(is_profiling_step(2, 2, 2));
  EXPECT_FALSE(is_profiling_step(3, 2, 2));
  EXPECT_FALSE(is_profiling_step(0, 0, 4));  // no profiling step
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(is_profiling_step(i, 3, 0));
}

TEST_F(TimedStepsTest, ProfilingStepsAreRecordedBesideTheTimedSteps) {
  options_.profile_steps = 2;
  const TimedSteps timed = run_timed_steps(schedule_, backend_, options_, hooks_);
  ASSERT_EQ(timed.profiled.size(), 2u);
  EXPECT_EQ(timed.steps.size(), 3u);
  EXPECT_EQ(timed.mean_losses.size(), 7u);  // 2 warm-up, then 2 profiling and 3 timed
  for (const TimingRecorder& step : timed.profiled) {
    EXPECT_TRUE(step.succeeded());
    EXPECT_TRUE(step.intervals()[0].front().ran());
  }
}

TEST_F(TimedStepsTest, DeviceTimesReplaceTheHostTimes) {
  // A device that reports op i of every program over [1000·i, 1000·i + 500) ns after the
  // run's origin.
  hooks_.device_times = [this](std::int64_t origin_ns, TimingRecorder& step) {
    step.on_run_start(schedule_, origin_ns);
    for (std::uint32_t d = 0; d < 2; ++d) {
      for (std::size_t i = 0; i < schedule_.programs[d].size(); ++i) {
        const auto start = origin_ns + static_cast<std::int64_t>(1000 * i);
        step.on_op(d, i, schedule_.programs[d][i], start, start + 500);
      }
    }
    step.on_run_end(true);
  };
  options_.timed_steps = 1;
  const TimedSteps timed = run_timed_steps(schedule_, backend_, options_, hooks_);
  ASSERT_EQ(timed.steps.size(), 1u);
  const auto& intervals = timed.steps[0].intervals();
  EXPECT_EQ(intervals[1][2].start_ns, 2000);
  EXPECT_EQ(intervals[1][2].end_ns, 2500);
  EXPECT_TRUE(timed.steps[0].memory_after_op().empty());
}

TEST_F(TimedStepsTest, RejectsNoTimedStepOrNoLosses) {
  options_.timed_steps = 0;
  EXPECT_THROW(run_timed_steps(schedule_, backend_, options_, hooks_), Error);
  options_.timed_steps = 1;
  EXPECT_THROW(run_timed_steps(schedule_, backend_, options_, StepHooks{}), Error);
}

TEST_F(TimedStepsTest, AStepTimelineStartsAtItsFirstOp) {
  options_.timed_steps = 1;
  const TimedSteps timed = run_timed_steps(schedule_, backend_, options_, hooks_);
  const TimingRecorder& step = timed.steps[0];
  const Timeline timeline = step_timeline(step);
  EXPECT_EQ(timeline.name, "measured");
  ASSERT_EQ(timeline.ops.size(), schedule_.op_count());
  double first = timeline.ops.front().start_ms;
  for (const OpSpan& span : timeline.ops) first = std::min(first, span.start_ms);
  EXPECT_EQ(first, 0.0);
  // Durations are kept: the timeline ends where the step's last op ends, counted from its
  // first op's start.
  std::int64_t start = step.intervals()[0][0].start_ns;
  for (const auto& device : step.intervals()) {
    for (const OpInterval& interval : device) start = std::min(start, interval.start_ns);
  }
  EXPECT_NEAR(timeline.end_ms(), static_cast<double>(step.makespan_ns() - start) / 1e6, 1e-9);
  EXPECT_FALSE(timeline.messages.empty());
  for (const MessageSpan& message : timeline.messages) EXPECT_GE(message.start_ms, 0.0);
}

}  // namespace
}  // namespace pipewise::exec
