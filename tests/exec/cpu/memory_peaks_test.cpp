// The CPU backend accounts every buffer a device holds. On uniform cases its peaks are
// what the schedules promise: 1F1B device d holds min(m, p-d) micro-batches of
// activations, GPipe m, and PipeDream stage s holds p-s weight versions.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "exec/core/executor.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "tests/exec/exec_test_support.hpp"

namespace pipewise::exec {
namespace {

class MemoryPeaks : public ::testing::Test {
 protected:
  MemoryPeaks() : config_(test::small_mlp()), task_(test::small_task(config_)) {}

  // Runs `name` on `shape` and returns the backend for inspection.
  std::unique_ptr<CpuBackend> run(const char* name, const Problem& shape,
                                  PartitionRule rule = PartitionRule::ByParameters) {
    model_ = std::make_unique<MlpModel>(config_, shape.stages(), rule);
    auto backend = std::make_unique<CpuBackend>(*model_, task_, OptimizerConfig::sgd(0.05f));
    run_schedule(test::lowered(name, shape), *backend);
    return backend;
  }

  std::vector<std::uint32_t> live_activation_peaks(const CpuBackend& backend, std::uint32_t p) {
    std::vector<std::uint32_t> peaks;
    for (std::uint32_t d = 0; d < p; ++d) peaks.push_back(backend.memory(d).peak_live_activations());
    return peaks;
  }

  std::vector<std::uint32_t> weight_version_peaks(const CpuBackend& backend, std::uint32_t p) {
    std::vector<std::uint32_t> peaks;
    for (std::uint32_t d = 0; d < p; ++d) peaks.push_back(backend.memory(d).peak_weight_versions());
    return peaks;
  }

  MlpConfig config_;
  SyntheticTask task_;
  std::unique_ptr<MlpModel> model_;
};

TEST_F(MemoryPeaks, OneFOneBDeviceDHoldsMinOfMAndPMinusDActivations) {
  EXPECT_EQ(live_activation_peaks(*run("1f1b", test::problem(4, 8)), 4),
            (std::vector<std::uint32_t>{4, 3, 2, 1}));
  EXPECT_EQ(live_activation_peaks(*run("1f1b", test::problem(4, 2)), 4),
            (std::vector<std::uint32_t>{2, 2, 2, 1}));
}

TEST_F(MemoryPeaks, GPipeHoldsAllMActivationsOnEveryDevice) {
  EXPECT_EQ(live_activation_peaks(*run("gpipe", test::problem(4, 6)), 4),
            (std::vector<std::uint32_t>{6, 6, 6, 6}));
}

TEST_F(MemoryPeaks, NaiveHoldsOneMicroBatchAtATime) {
  EXPECT_EQ(live_activation_peaks(*run("naive", test::problem(3, 4)), 3),
            (std::vector<std::uint32_t>{1, 1, 1}));
}

TEST_F(MemoryPeaks, InterleavedWarmUpSetsThePeak) {
  // Megatron: device d warms up with 2(p-d-1) + (v-1)·p forwards (p | m), then holds one
  // more during the steady state. p = 2, v = 2, m = 4: device 0 warms up 4, device 1 2.
  EXPECT_EQ(live_activation_peaks(*run("interleaved", test::problem(2, 4, 1, 2)), 2),
            (std::vector<std::uint32_t>{5, 3}));
}

TEST_F(MemoryPeaks, PipeDreamStageSHoldsPMinusSWeightVersions) {
  EXPECT_EQ(weight_version_peaks(*run("pipedream", test::problem(4, 1, 8)), 4),
            (std::vector<std::uint32_t>{4, 3, 2, 1}));
}

TEST_F(MemoryPeaks, PipeDream2BWHoldsTwoVersionsExceptOnTheLastStage) {
  // The last stage finishes every backward of an iteration before its step, so it
  // updates in place; the others still have forwards of the old version in flight.
  EXPECT_EQ(weight_version_peaks(*run("pipedream-2bw", test::problem(4, 4, 3)), 4),
            (std::vector<std::uint32_t>{2, 2, 2, 1}));
}

TEST_F(MemoryPeaks, FlushedSchedulesHoldOneWeightVersion) {
  EXPECT_EQ(weight_version_peaks(*run("1f1b", test::problem(3, 4, 2)), 3),
            (std::vector<std::uint32_t>{1, 1, 1}));
}

TEST_F(MemoryPeaks, GPipeActivationBytesAreMStashesPlusOneSendBuffer) {
  // Split by layers, 8 layers on 2 stages: stage 0 has outputs 24, 24, 32, 32; stage 1
  // takes 32 inputs and has outputs 24, 24, 16, 5. Rows = 8, m = 3.
  // Device 0 peaks after F2, holding 3 stashes of 8·(24+24+32+32) = 896 floats, while
  // SEND_F2 copies the 8·32 = 256-float output: 2944 floats.
  // Device 1 peaks after F2: 3 stashes of the 8·32 = 256-float input plus
  // 8·(24+24+16+5) = 552 floats of outputs: 2424 floats.
  const auto backend = run("gpipe", test::problem(2, 3), PartitionRule::ByLayers);
  EXPECT_EQ(backend->memory(0).peak_bytes(MemoryCategory::Activations), 2944 * sizeof(float));
  EXPECT_EQ(backend->memory(1).peak_bytes(MemoryCategory::Activations), 2424 * sizeof(float));
  // Weights: stage 0 has 24·13 + 24·25 + 32·25 + 32·33 = 2768 parameters; stage 1 has
  // 24·33 + 24·25 + 16·25 + 5·17 = 1877. Plain SGD keeps no optimizer state.
  EXPECT_EQ(backend->memory(0).peak_bytes(MemoryCategory::Weights), 2768 * sizeof(float));
  EXPECT_EQ(backend->memory(1).peak_bytes(MemoryCategory::Weights), 1877 * sizeof(float));
  EXPECT_EQ(backend->memory(0).peak_bytes(MemoryCategory::OptimizerState), 0u);
  // Everything transient is released at the end: parameters and gradients remain.
  EXPECT_EQ(backend->memory(0).current_bytes(), 2 * 2768 * sizeof(float));
  EXPECT_EQ(backend->memory(1).current_bytes(), 2 * 1877 * sizeof(float));
}

TEST_F(MemoryPeaks, AdamKeepsTwoFloatsOfStatePerParameter) {
  model_ = std::make_unique<MlpModel>(config_, 2, PartitionRule::ByLayers);
  CpuBackend backend(*model_, task_, OptimizerConfig::adam(0.001f));
  run_schedule(test::lowered("gpipe", test::problem(2, 1)), backend);
  EXPECT_EQ(backend.memory(0).current_bytes(MemoryCategory::OptimizerState), 2 * 2768 * sizeof(float));
}

}  // namespace
}  // namespace pipewise::exec
