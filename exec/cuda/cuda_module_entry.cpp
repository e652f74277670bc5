// The entry of the CUDA module, libpipewise_cuda.so (exec/cuda/module/cuda_module.hpp): its
// one exported symbol hands out the device count, the isolated-op profiler and the backend.
#include <memory>

#include "exec/cuda/cuda_backend.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/cuda_profile.hpp"
#include "exec/cuda/module/cuda_module.hpp"

namespace pipewise::exec::cuda {
namespace {

std::unique_ptr<TrainingBackend> make_backend(const MlpModel& model, const SyntheticTask& task,
                                              const OptimizerConfig& optimizer,
                                              const CudaBackendOptions& options) {
  return std::make_unique<CudaBackend>(model, task, optimizer, options);
}

constexpr CudaModule kModule{kCudaModuleAbiVersion, cuda_module_layout(), &cuda_device_count,
                             &profile_cuda_execution, &make_backend};

}  // namespace
}  // namespace pipewise::exec::cuda

extern "C" __attribute__((visibility("default"))) const pipewise::exec::cuda::CudaModule*
pipewise_cuda_module() {
  return &pipewise::exec::cuda::kModule;
}
