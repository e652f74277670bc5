#include "exec/cuda/module/cuda_module_loader.hpp"

namespace pipewise::exec::cuda {

const ModuleSpec& cuda_module_spec() {
  static const ModuleSpec kSpec{"CUDA", "PIPEWISE_CUDA_MODULE", kCudaModuleFileName, kCudaModuleEntryName,
                                kCudaModuleAbiVersion};
  return kSpec;
}

std::string cuda_module_path() { return module_path(cuda_module_spec()); }

CudaModuleLoad load_cuda_module(const std::string& path) {
  return load_module<CudaModule>(cuda_module_spec(), path, [](const CudaModule& module) {
    return module.layout == cuda_module_layout();
  });
}

CudaModuleLoad load_cuda_module() {
  if (!PIPEWISE_BUILT_CUDA_MODULE && module_path_override(cuda_module_spec()) == nullptr) {
    return {nullptr,
            "pipewise was built without CUDA (no nvcc when it was configured): it has no CUDA "
            "module"};
  }
  return load_cuda_module(cuda_module_path());
}

}  // namespace pipewise::exec::cuda
