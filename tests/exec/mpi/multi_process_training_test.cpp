// One device per rank: every synchronous schedule trains exactly as the single-process run does
// (1e-5 relative), also with data parallelism (d replicas of the pipeline, gradients averaged
// across them every step, equal to one pipeline with d times the micro-batches); the steps of
// all ranks come together on rank 0 on one clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "exec/core/executor.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/mpi/clock_sync.hpp"
#include "exec/mpi/distributed_steps.hpp"
#include "exec/mpi/gradient_averaging.hpp"
#include "exec/mpi/mpi_exchange.hpp"
#include "exec/mpi/rank_backend.hpp"
#include "tests/exec/exec_test_support.hpp"
#include "tests/exec/mpi/mpi_test_support.hpp"

namespace pipewise::exec::mpi {
namespace {

constexpr double kTolerance = 1e-5;
constexpr std::uint32_t kMicrobatches = 4;  // per replica
constexpr std::uint32_t kIterations = 2;
constexpr std::uint32_t kSteps = 2;         // runs of the schedule, training on from run to run

Deadline deadline() { return std::chrono::steady_clock::now() + mpi_test::kTestTimeout; }

struct Case {
  const char* schedule;
  std::uint32_t chunks;
};
const std::vector<Case> kSynchronousSchedules = {
    {"naive", 1}, {"gpipe", 1}, {"1f1b", 1}, {"interleaved", 2}};

RunOptions run_options() {
  RunOptions options;
  options.receive_timeout = mpi_test::kTestTimeout;
  options.verify_checksums = true;
  return options;
}

class MultiProcessTraining : public ::testing::Test {
 protected:
  void TearDown() override { meet(MPI_COMM_WORLD, deadline(), "the test's end"); }
};

TEST_F(MultiProcessTraining, EverySynchronousScheduleMatchesTheSingleProcessRun) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const OptimizerConfig optimizer = OptimizerConfig::sgd(0.05f, 0.9f);
  ASSERT_FALSE(mpi_test::grids().empty()) << "run with 2 or 4 ranks (or a multiple)";
  for (const RankGrid& layout : mpi_test::grids()) {
    const GridCommunicators grid(mpi_test::world(), layout);
    const RankPosition self = grid.self();
    for (const Case& c : kSynchronousSchedules) {
      const std::string name = std::string(c.schedule) + " p=" + std::to_string(layout.devices) +
                               " v=" + std::to_string(c.chunks) + " d=" +
                               std::to_string(layout.replicas);
      const Problem shape = test::problem(layout.devices, kMicrobatches, kIterations, c.chunks);
      const Schedule schedule = test::lowered(c.schedule, shape);
      const MlpModel model(config, shape.stages());
      CpuBackendOptions options = rank_backend_options(mpi_test::world(), grid, mpi_test::kTestTimeout);
      options.keep_last_gradients = true;
      CpuBackend backend(model, task, optimizer, options);
      const std::vector<std::uint32_t> mine = {self.device};
      for (std::uint32_t step = 0; step < kSteps; ++step) {
        run_devices(schedule, mine, backend, run_options());
      }
      const std::vector<std::vector<float>> gathered =
          mpi_test::gather_on_rank_zero(mpi_test::stages_of(backend, shape, self.device));
      if (mpi_test::world().rank() != 0) continue;
      // The single-process run: one pipeline with d times the micro-batches per iteration.
      const Problem whole = test::problem(layout.devices, kMicrobatches * layout.replicas,
                                          kIterations, c.chunks);
      CpuBackendOptions keeping;
      keeping.keep_last_gradients = true;
      CpuBackend single(model, task, optimizer, keeping);
      for (std::uint32_t step = 0; step < kSteps; ++step) {
        run_schedule(test::lowered(c.schedule, whole), single, run_options());
      }
      mpi_test::expect_every_rank_trained_as(gathered, layout, single, shape, kTolerance, name);
    }
  }
}

TEST_F(MultiProcessTraining, TheDataParallelAllReduceAveragesTheReplicasGradients) {
  for (const RankGrid& layout : mpi_test::grids()) {
    const GridCommunicators grid(mpi_test::world(), layout);
    const auto average = gradient_averaging(grid.data_parallel(), layout.replicas,
                                            mpi_test::kTestTimeout, mpi_test::world().waiting());
    // Replica r holds r + 1 everywhere: the mean over replicas is (d + 1) / 2.
    std::vector<float> gradient(1000, static_cast<float>(grid.self().replica + 1));
    average(0, gradient);
    for (const float value : gradient) {
      ASSERT_FLOAT_EQ(value, static_cast<float>(layout.replicas + 1) / 2.0f);
    }
  }
}

TEST_F(MultiProcessTraining, OnOneMachineTheClocksOfTheRanksAgree) {
  const std::vector<ClockOffset> offsets = measure_clock_offsets(mpi_test::world(), 10, deadline());
  if (mpi_test::world().rank() != 0) return;
  ASSERT_EQ(offsets.size(), mpi_test::world().size());
  for (std::uint32_t rank = 0; rank < offsets.size(); ++rank) {
    // One CLOCK_MONOTONIC: the true offset is 0, so the estimate is within its own uncertainty
    // (half the best round trip; how long that is depends on the machine's load).
    EXPECT_GE(offsets[rank].uncertainty_ns, 0.0) << rank;
    EXPECT_LE(std::abs(offsets[rank].offset_ns), offsets[rank].uncertainty_ns + 1000.0) << rank;
  }
}

TEST_F(MultiProcessTraining, RankZeroGathersEveryDevicesStepsOnOneClock) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const RankGrid layout = mpi_test::grids().front();
  const GridCommunicators grid(mpi_test::world(), layout);
  const Problem shape = test::problem(layout.devices, kMicrobatches, 1, 1);
  const Schedule schedule = test::lowered("1f1b", shape);
  const MlpModel model(config, shape.stages());
  CpuBackend backend(model, task, OptimizerConfig::sgd(0.05f),
                     rank_backend_options(mpi_test::world(), grid, mpi_test::kTestTimeout));
  TimedStepOptions options;
  options.warmup_steps = 1;
  options.profile_steps = 1;
  options.timed_steps = 2;
  options.run = run_options();
  const DistributedSteps run =
      run_distributed_steps(mpi_test::world(), grid, schedule, backend, options, backend.step_hooks());
  if (mpi_test::world().rank() != 0) return;
  // How far the merged clock of a rank may be off: its offsets' uncertainty at either end.
  const auto uncertainty_ns = [&](std::uint32_t device) {
    const std::uint32_t rank = layout.rank_of({device, 0});
    return std::max(run.start_offsets[rank].uncertainty_ns, run.end_offsets[rank].uncertainty_ns);
  };
  const auto clock_slack_ns =
      static_cast<std::int64_t>(uncertainty_ns(0) + uncertainty_ns(1)) + 1000;
  const TimedSteps& steps = run.steps;
  ASSERT_EQ(steps.profiled.size(), 1u);
  ASSERT_EQ(steps.steps.size(), 2u);
  ASSERT_EQ(steps.memory.size(), layout.devices);
  ASSERT_EQ(steps.mean_losses.size(), 4u);  // warm-up, profiling and timed steps
  for (const double loss : steps.mean_losses) EXPECT_TRUE(std::isfinite(loss));
  for (const MeasuredMemory& memory : steps.memory) EXPECT_GT(memory.peak_bytes, 0u);
  for (const TimingRecorder& step : steps.steps) {
    for (std::uint32_t d = 0; d < layout.devices; ++d) {
      for (std::size_t i = 0; i < schedule.programs[d].size(); ++i) {
        ASSERT_TRUE(step.intervals()[d][i].ran()) << "device " << d << " op " << i;
      }
    }
    // Causality across the merged clocks: device 1's first op receives stage 0's first
    // activation, so it ends after device 0's send of it started.
    const std::int64_t send_start = step.intervals()[0][1].start_ns;  // 0F0, then 0SEND_F0
    const std::int64_t receive_end = step.intervals()[1][0].end_ns;   // 1RECV_F0
    EXPECT_GE(receive_end + clock_slack_ns, send_start);
  }
}

}  // namespace
}  // namespace pipewise::exec::mpi
