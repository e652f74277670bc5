// The CUDA backend computes what the CPU backend computes (TF32 off): same seed, data and
// schedule give the same gradients, weights and losses within 1e-4 relative, for flushed
// and asynchronous schedules, split backwards, both optimizers and every transport.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/weight_versions.hpp"
#include "exec/model/reference_training.hpp"
#include "tests/exec/cuda/gpu_test_support.hpp"

namespace pipewise::exec {
namespace {

using test::Trained;

constexpr double kTolerance = 1e-4;

Trained run_cpu(const Schedule& schedule, const MlpModel& model, const SyntheticTask& task,
                const OptimizerConfig& optimizer) {
  CpuBackendOptions options;
  options.keep_last_gradients = true;
  CpuBackend backend(model, task, optimizer, options);
  run_schedule(schedule, backend);
  return test::read_back(backend, model);
}

Trained run_gpu(const Schedule& schedule, const MlpModel& model, const SyntheticTask& task,
                const OptimizerConfig& optimizer, const cuda::CudaBackendOptions& options) {
  cuda::CudaBackend backend(model, task, optimizer, options);
  run_schedule(schedule, backend);
  return test::read_back(backend, model);
}

void expect_gpu_matches_cpu(const Schedule& schedule, const OptimizerConfig& optimizer,
                            const cuda::CudaBackendOptions& options, const std::string& what) {
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, schedule.problem.stages());
  test::expect_same_training(run_gpu(schedule, model, task, optimizer, options),
                             run_cpu(schedule, model, task, optimizer), kTolerance, what);
}

class Optimizers : public ::testing::TestWithParam<OptimizerConfig> {};

TEST_P(Optimizers, FlushedSchedulesOnEmulatedDevicesMatchTheCpu) {
  PIPEWISE_REQUIRE_GPU();
  struct Case {
    const char* name;
    std::uint32_t devices;
    std::uint32_t chunks;
  };
  for (const Case& c : {Case{"gpipe", 4, 1}, Case{"1f1b", 4, 1}, Case{"interleaved", 2, 2},
                        Case{"interleaved", 4, 2}}) {
    const Schedule schedule = test::lowered(c.name, test::problem(c.devices, 4, 2, c.chunks));
    expect_gpu_matches_cpu(schedule, GetParam(), test::emulated(c.devices),
                           std::string(c.name) + " p=" + std::to_string(c.devices) +
                               " v=" + std::to_string(c.chunks));
  }
}

TEST_P(Optimizers, AsynchronousSchedulesMatchTheCpuWithTheirVersionChecks) {
  PIPEWISE_REQUIRE_GPU();
  // run_schedule checks every op's weight version against the stash (check_weight_versions
  // is on by default): a backward reading another version than its forward fails the run.
  expect_gpu_matches_cpu(test::lowered("pipedream", test::problem(4, 2, 4)), GetParam(),
                         test::emulated(4), "pipedream");
  expect_gpu_matches_cpu(test::lowered("pipedream-2bw", test::problem(4, 4, 3)), GetParam(),
                         test::emulated(4), "pipedream-2bw");
}

TEST_P(Optimizers, SplitBackwardWithDeferredWeightGradientsMatchesTheCpu) {
  PIPEWISE_REQUIRE_GPU();
  const Schedule split = lower_communication(
      test::with_deferred_weight_gradients(generate_schedule("1f1b", test::problem(4, 4, 2))));
  expect_gpu_matches_cpu(split, GetParam(), test::emulated(4), "1f1b with I/W split");
}

INSTANTIATE_TEST_SUITE_P(Gpu, Optimizers,
                         ::testing::Values(OptimizerConfig::sgd(0.05f),
                                           OptimizerConfig::sgd(0.05f, 0.9f),
                                           OptimizerConfig::adam(0.002f)),
                         [](const auto& param_info) {
                           const OptimizerConfig& o = param_info.param;
                           if (o.kind == OptimizerKind::Adam) return std::string("Adam");
                           return std::string(o.momentum != 0.0f ? "SgdMomentum" : "Sgd");
                         });

TEST(CudaBackend, PipeDreamHoldsTheWeightVersionsItsScheduleNeeds) {
  PIPEWISE_REQUIRE_GPU();
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 4);
  const Schedule schedule = test::lowered("pipedream", test::problem(4, 2, 4));
  cuda::CudaBackend backend(model, task, OptimizerConfig::sgd(0.05f), test::emulated(4));
  run_schedule(schedule, backend);
  const std::vector<std::uint32_t> needed = weight_versions_held(schedule);
  for (std::uint32_t d = 0; d < 4; ++d) {
    EXPECT_EQ(backend.memory(d).peak_weight_versions(), needed[d]) << "device " << d;
  }
  // Stage 0 of a 4-stage PipeDream stashes more versions than the last stage's one.
  EXPECT_GT(backend.memory(0).peak_weight_versions(), backend.memory(3).peak_weight_versions());
  EXPECT_EQ(backend.memory(3).peak_weight_versions(), 1u);
}

TEST(CudaBackend, MemoryAccountsMatchTheCpuBackend) {
  PIPEWISE_REQUIRE_GPU();
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 4);
  const OptimizerConfig optimizer = OptimizerConfig::adam(0.002f);
  for (const char* name : {"gpipe", "1f1b", "pipedream"}) {
    const Schedule schedule = test::lowered(name, test::problem(4, 4, 2));
    CpuBackend cpu(model, task, optimizer);
    run_schedule(schedule, cpu);
    cuda::CudaBackend gpu(model, task, optimizer, test::emulated(4));
    run_schedule(schedule, gpu);
    for (std::uint32_t d = 0; d < 4; ++d) {
      const MemoryAccount& expected = cpu.memory(d);
      const MemoryAccount& actual = gpu.memory(d);
      EXPECT_EQ(actual.peak_bytes(), expected.peak_bytes()) << name << " device " << d;
      EXPECT_EQ(actual.current_bytes(), expected.current_bytes()) << name << " device " << d;
      for (int c = 0; c < kMemoryCategoryCount; ++c) {
        const auto category = static_cast<MemoryCategory>(c);
        EXPECT_EQ(actual.peak_bytes(category), expected.peak_bytes(category))
            << name << " device " << d << " " << memory_category_name(category);
      }
      EXPECT_EQ(actual.peak_live_activations(), expected.peak_live_activations()) << name << " " << d;
      EXPECT_EQ(actual.peak_weight_versions(), expected.peak_weight_versions()) << name << " " << d;
    }
  }
}

TEST(CudaBackend, NcclLoopbackTransportMatchesTheCpu) {
  PIPEWISE_REQUIRE_GPU();
  // The NCCL path on one GPU, on plain streams. NCCL inside green contexts is exercised by
  // the `1f1b --transport nccl` run of scripts/gpu_check.sh.
  cuda::CudaBackendOptions options = test::emulated(4);
  options.green_contexts = false;
  options.transport = cuda::TransportChoice::Nccl;
  expect_gpu_matches_cpu(test::lowered("1f1b", test::problem(4, 4, 2)), OptimizerConfig::sgd(0.05f),
                         options, "1f1b over the NCCL loopback");
}

TEST(CudaBackend, PlainStreamsWithoutGreenContextsMatchTheCpu) {
  PIPEWISE_REQUIRE_GPU();
  cuda::CudaBackendOptions options = test::emulated(4);
  options.green_contexts = false;
  expect_gpu_matches_cpu(test::lowered("1f1b", test::problem(4, 4, 1)), OptimizerConfig::sgd(0.05f),
                         options, "1f1b on shared streams");
}

TEST(CudaBackend, SeveralGpusWithNcclMatchTheCpu) {
  PIPEWISE_REQUIRE_GPU();
  if (cuda::cuda_device_count().count < 2) GTEST_SKIP() << "needs 2 GPUs, this machine has 1";
  cuda::CudaBackendOptions options;
  options.devices.gpus = {0, 1};
  expect_gpu_matches_cpu(test::lowered("1f1b", test::problem(2, 4, 2)), OptimizerConfig::sgd(0.05f),
                         options, "1f1b on two GPUs over NCCL");
  options.transport = cuda::TransportChoice::Copy;
  expect_gpu_matches_cpu(test::lowered("1f1b", test::problem(2, 4, 2)), OptimizerConfig::sgd(0.05f),
                         options, "1f1b on two GPUs with peer copies");
}

TEST(CudaBackend, ConsecutiveRunsContinueTrainingLikeTheCpu) {
  PIPEWISE_REQUIRE_GPU();
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 2);
  const OptimizerConfig optimizer = OptimizerConfig::adam(0.002f);
  const Schedule step = test::lowered("1f1b", test::problem(2, 4, 1));
  CpuBackend cpu(model, task, optimizer);
  cuda::CudaBackend gpu(model, task, optimizer, test::emulated(2));
  for (int run = 0; run < 2; ++run) {
    run_schedule(step, cpu);
    run_schedule(step, gpu);
  }
  test::expect_same_training(test::read_back(gpu, model), test::read_back(cpu, model), kTolerance,
                             "two consecutive runs");
}

TEST(CudaBackend, ReducedPrecisionStaysCloseToFp32) {
  PIPEWISE_REQUIRE_GPU();
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const MlpModel model(config, 4);
  const OptimizerConfig optimizer = OptimizerConfig::sgd(0.05f);
  const Schedule schedule = test::lowered("1f1b", test::problem(4, 4, 1));
  const Trained cpu = run_cpu(schedule, model, task, optimizer);
  // TF32 keeps 10 mantissa bits and bf16 7 (relative rounding 2^-11 and 2^-8); one step of
  // small GEMMs stays within a few rounding units of those.
  for (const auto& [mode, tolerance] :
       {std::pair{cuda::MathMode::Tf32, 1e-2}, std::pair{cuda::MathMode::Bf16, 5e-2}}) {
    cuda::CudaBackendOptions options = test::emulated(4);
    options.math = mode;
    const Trained gpu = run_gpu(schedule, model, task, optimizer, options);
    for (std::uint32_t s = 0; s < model.stages(); ++s) {
      EXPECT_LT(test::relative_difference(gpu.gradients[s], cpu.gradients[s]), tolerance)
          << cuda::math_mode_name(mode) << " stage " << s;
    }
  }
}

}  // namespace
}  // namespace pipewise::exec
