// Where no GPU is visible (CI, the build machines), the CUDA backend refuses to start with
// one line that says so, instead of failing later or crashing.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "exec/cuda/cuda_backend.hpp"
#include "exec/cuda/cuda_check.hpp"

namespace pipewise::exec::cuda {
namespace {

TEST(CudaBackendWithoutGpu, ConstructionFailsNamingTheMissingDevice) {
  const DeviceCount gpus = cuda_device_count();
  if (gpus.count > 0) GTEST_SKIP() << "a CUDA device is visible; this test covers machines without";
  EXPECT_FALSE(gpus.reason.empty());
  MlpConfig config;
  config.widths = {4, 8, 2};
  const MlpModel model(config, 1);
  const SyntheticTask task(4, 2);
  try {
    CudaBackend backend(model, task, OptimizerConfig::sgd(0.1f));
    FAIL() << "a CUDA backend started without a GPU";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), "no CUDA device: " + std::string(gpus.reason));
  }
}

}  // namespace
}  // namespace pipewise::exec::cuda
