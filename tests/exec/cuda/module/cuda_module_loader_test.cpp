// Loading the CUDA module (exec/cuda/module/cuda_module_loader.hpp): where it is looked for,
// every way loading fails as one line, and the module boundary, through a stand-in module
// built like the real one (stand_in_cuda_module.cpp): no GPU or CUDA needed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"
#include "exec/cuda/module/cuda_module_loader.hpp"

namespace pipewise::exec::cuda {
namespace {

// Sets PIPEWISE_CUDA_MODULE for one test (each test runs in a process of its own).
class ModuleOverride {
 public:
  explicit ModuleOverride(const std::string& path) { setenv("PIPEWISE_CUDA_MODULE", path.c_str(), 1); }
  ~ModuleOverride() { unsetenv("PIPEWISE_CUDA_MODULE"); }
  ModuleOverride(const ModuleOverride&) = delete;
  ModuleOverride& operator=(const ModuleOverride&) = delete;
};

std::string load_error(const std::string& path) {
  const CudaModuleLoad loaded = load_cuda_module(path);
  EXPECT_EQ(loaded.module, nullptr) << path;
  EXPECT_EQ(loaded.error.find('\n'), std::string::npos) << loaded.error;
  return loaded.error;
}

TEST(CudaModulePath, IsBesideTheRunningExecutable) {
  unsetenv("PIPEWISE_CUDA_MODULE");
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe");
  EXPECT_EQ(cuda_module_path(), (executable.parent_path() / "libpipewise_cuda.so").string());
}

TEST(CudaModulePath, TheEnvironmentOverridesItUnlessEmpty) {
  {
    const ModuleOverride override_path("/opt/elsewhere/libpipewise_cuda.so");
    EXPECT_EQ(cuda_module_path(), "/opt/elsewhere/libpipewise_cuda.so");
  }
  const ModuleOverride empty("");
  EXPECT_EQ(std::filesystem::path(cuda_module_path()).filename(), "libpipewise_cuda.so");
}

TEST(CudaModuleLoader, AMissingFileIsNamed) {
  EXPECT_EQ(load_error("/nonexistent/pipewise/libpipewise_cuda.so"),
            "cannot load the CUDA module /nonexistent/pipewise/libpipewise_cuda.so: no such file");
}

TEST(CudaModuleLoader, AFileThatIsNoSharedObjectIsRefusedWithTheLoadersReason) {
  const std::string path = ::testing::TempDir() + "pipewise-not-a-module-" +
                           std::to_string(getpid()) + ".so";
  std::ofstream(path) << std::string(256, 'x') << '\n';
  const std::string error = load_error(path);
  std::filesystem::remove(path);
  const std::string prefix = "cannot load the CUDA module " + path + ": ";
  EXPECT_EQ(error.substr(0, prefix.size()), prefix) << error;
  EXPECT_NE(error.find("ELF"), std::string::npos) << error;
  EXPECT_EQ(error.find(path, prefix.size()), std::string::npos) << "the path named twice: " << error;
}

TEST(CudaModuleLoader, AMissingLibraryOfTheModuleIsNamed) {
  EXPECT_EQ(load_error(NEEDS_MISSING_LIBRARY),
            "cannot load the CUDA module " + std::string(NEEDS_MISSING_LIBRARY) +
                ": libpipewise_library_out_of_reach.so: cannot open shared object file: No such "
                "file or directory");
}

TEST(CudaModuleLoader, ASharedObjectWithoutTheEntryIsNoModule) {
  EXPECT_EQ(load_error(NOT_A_CUDA_MODULE),
            "cannot load the CUDA module " + std::string(NOT_A_CUDA_MODULE) +
                ": it is not a pipewise CUDA module (it has no symbol pipewise_cuda_module)");
}

TEST(CudaModuleLoader, AModuleOfAnotherInterfaceVersionIsRefused) {
  EXPECT_EQ(load_error(STALE_CUDA_MODULE),
            "cannot load the CUDA module " + std::string(STALE_CUDA_MODULE) +
                ": it was built for CUDA module interface version " +
                std::to_string(kCudaModuleAbiVersion + 1) + ", this pipewise needs version " +
                std::to_string(kCudaModuleAbiVersion) + " (build the module with this pipewise)");
}

TEST(CudaModuleLoader, AModuleBuiltFromOtherHeadersIsRefused) {
  const std::string error = load_error(FOREIGN_CUDA_MODULE);
  EXPECT_NE(error.find("it was built from other headers than this pipewise"), std::string::npos)
      << error;
}

TEST(CudaModuleLoader, WithTheEnvironmentSetTheDefaultLoadLoadsThatModule) {
  const ModuleOverride override_path(STAND_IN_CUDA_MODULE);
  const CudaModuleLoad loaded = load_cuda_module();
  ASSERT_NE(loaded.module, nullptr) << loaded.error;
  EXPECT_EQ(loaded.module, load_cuda_module(STAND_IN_CUDA_MODULE).module);  // loaded once
}

class CudaModuleBoundary : public ::testing::Test {
 protected:
  void SetUp() override {
    const CudaModuleLoad loaded = load_cuda_module(STAND_IN_CUDA_MODULE);
    ASSERT_NE(loaded.module, nullptr) << loaded.error;
    module_ = loaded.module;
  }

  static MlpConfig tiny_mlp() {
    MlpConfig config;
    config.widths = {4, 8, 2};
    return config;
  }

  const CudaModule* module_ = nullptr;
  const MlpModel model_{tiny_mlp(), 1};
  const SyntheticTask task_{4, 2};
};

TEST_F(CudaModuleBoundary, NoDeviceIsAValueWithItsReason) {
  const DeviceCount count = module_->device_count();
  EXPECT_EQ(count.count, 0);
  EXPECT_EQ(count.reason, "the stand-in module has no device");
}

TEST_F(CudaModuleBoundary, AnErrorThrownInsideArrivesAsPipewiseErrorWithItsMessage) {
  try {
    module_->profile_execution(model_, task_, OptimizerConfig::sgd(0.1f), {}, 2, {});
    FAIL() << "the stand-in profile returned";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "profiling 2 devices failed inside the module");
  }
}

TEST_F(CudaModuleBoundary, TheBackendsVirtualCallsThrowTheCoresTypes) {
  const std::unique_ptr<TrainingBackend> backend =
      module_->make_backend(model_, task_, OptimizerConfig::sgd(0.1f), {});
  ASSERT_NE(backend, nullptr);
  try {
    backend->forward(3, Op{});
    FAIL() << "the stand-in forward returned";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "forward failed inside the module on device 3");
  }
  // The executor tells a cancelled receive from a failure by its type.
  EXPECT_THROW(backend->recv(0, Op{}, 1), RunCancelled);
  EXPECT_EQ(backend->step_hooks().losses(), (std::vector<float>{0.5f, 0.25f}));
  const RunDescription description = backend->describe_run();
  EXPECT_EQ(description.placement, std::vector<std::string>{"stand-in device 0"});
  EXPECT_EQ(description.warnings, std::vector<std::string>{"stand-in warning"});
  EXPECT_TRUE(description.dedicated);
}

}  // namespace
}  // namespace pipewise::exec::cuda
