// The real CUDA module, libpipewise_cuda.so, where no GPU is visible (CI, the build
// machines): it loads, says why it sees no device, and the backend it makes refuses to
// start with a pipewise::Error that crosses the module boundary with its message. It
// exports its entry and nothing of pipewise's own.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/module/cuda_module_loader.hpp"

namespace pipewise::exec::cuda {
namespace {

const CudaModule& real_module() {
  const CudaModuleLoad loaded = load_cuda_module(PIPEWISE_CUDA_MODULE_FILE);
  if (loaded.module == nullptr) throw Error(loaded.error);
  return *loaded.module;
}

TEST(CudaModuleWithoutGpu, SaysWhyItSeesNoDevice) {
  const DeviceCount gpus = cuda_device_count();
  if (gpus.count > 0) GTEST_SKIP() << "a CUDA device is visible; this test covers machines without";
  const DeviceCount seen = real_module().device_count();
  EXPECT_EQ(seen.count, 0);
  EXPECT_EQ(seen.reason, gpus.reason);
}

TEST(CudaModuleWithoutGpu, ItsBackendRefusesToStartWithAPipewiseError) {
  const DeviceCount gpus = cuda_device_count();
  if (gpus.count > 0) GTEST_SKIP() << "a CUDA device is visible; this test covers machines without";
  MlpConfig config;
  config.widths = {4, 8, 2};
  const MlpModel model(config, 1);
  const SyntheticTask task(4, 2);
  try {
    real_module().make_backend(model, task, OptimizerConfig::sgd(0.1f), {});
    FAIL() << "the module made a CUDA backend without a GPU";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), "no CUDA device: " + std::string(gpus.reason));
  }
}

TEST(CudaModule, ExportsItsEntryAndNothingOfPipewisesOwn) {
  real_module();
  void* handle = dlopen(PIPEWISE_CUDA_MODULE_FILE, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr) << dlerror();
  EXPECT_NE(dlsym(handle, "pipewise_cuda_module"), nullptr);
  for (const char* hidden : {"_ZN8pipewise4exec4cuda17cuda_device_countEv",
                             "_ZN8pipewise4exec4cuda11CudaBackend7prepareERKNS_8ScheduleERKNS0_10RunOptionsE",
                             "_ZN8pipewise4exec6medianESt6vectorIdSaIdEE"}) {
    EXPECT_EQ(dlsym(handle, hidden), nullptr) << hidden << " is exported";
  }
  dlclose(handle);  // drops the reference RTLD_NOLOAD took; the loader's stays
}

}  // namespace
}  // namespace pipewise::exec::cuda
