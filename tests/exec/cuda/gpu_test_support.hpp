#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <vector>

#include "exec/core/executor.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/cuda/cuda_backend.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "tests/exec/exec_test_support.hpp"

// Shared by the GPU tests: the skip when no GPU is visible, and runs of one schedule on the
// CPU and CUDA backends whose results are compared.

// Skips the current test, visibly, when the process sees no CUDA device.
#define PIPEWISE_REQUIRE_GPU()                                                  \
  do {                                                                          \
    const ::pipewise::exec::cuda::DeviceCount gpus = ::pipewise::exec::cuda::cuda_device_count(); \
    if (gpus.count == 0) GTEST_SKIP() << "no CUDA device: " << gpus.reason;     \
  } while (false)

namespace pipewise::exec {

// Names an optimizer in test names and failure messages ("sgd lr=0.05 momentum=0.9").
inline void PrintTo(const OptimizerConfig& config, std::ostream* out) {
  *out << optimizer_kind_name(config.kind) << " lr=" << config.learning_rate;
  if (config.kind == OptimizerKind::Sgd) *out << " momentum=" << config.momentum;
}

}  // namespace pipewise::exec

namespace pipewise::exec::test {

// What a run leaves behind, copied out of a backend.
struct Trained {
  std::vector<std::vector<float>> parameters;
  std::vector<std::vector<float>> gradients;
  std::vector<float> losses;
};

template <typename BackendType>
Trained read_back(const BackendType& backend, const MlpModel& model) {
  Trained trained;
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    trained.parameters.push_back(backend.parameters(s));
    trained.gradients.push_back(backend.last_gradient(s));
  }
  trained.losses = backend.losses();
  return trained;
}

// Options that emulate the schedule's devices on GPU 0.
inline cuda::CudaBackendOptions emulated(std::uint32_t devices) {
  cuda::CudaBackendOptions options;
  options.devices.emulate = devices;
  return options;
}

// Expects `gpu` to equal `cpu` within `tolerance` relative (Euclidean) per stage, on
// parameters and last gradients, and the losses to agree.
inline void expect_same_training(const Trained& gpu, const Trained& cpu, double tolerance,
                                 const std::string& what) {
  ASSERT_EQ(gpu.parameters.size(), cpu.parameters.size()) << what;
  for (std::size_t s = 0; s < cpu.parameters.size(); ++s) {
    EXPECT_LT(relative_difference(gpu.parameters[s], cpu.parameters[s]), tolerance)
        << what << ": parameters of stage " << s;
    EXPECT_LT(relative_difference(gpu.gradients[s], cpu.gradients[s]), tolerance)
        << what << ": last gradient of stage " << s;
  }
  ASSERT_EQ(gpu.losses.size(), cpu.losses.size()) << what;
  for (std::size_t g = 0; g < cpu.losses.size(); ++g) {
    EXPECT_NEAR(gpu.losses[g], cpu.losses[g], tolerance * std::abs(cpu.losses[g]))
        << what << ": loss of micro-batch " << g;
  }
}

}  // namespace pipewise::exec::test
