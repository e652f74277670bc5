#include "exec/cuda/module/cuda_module_loader.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace pipewise::exec::cuda {
namespace {

// dlerror's text as one line, without the "PATH: " it starts with when the problem is
// the module file itself (the caller names the path already).
std::string dl_failure(const std::string& path) {
  const char* text = dlerror();
  std::string reason = text != nullptr ? text : "unknown dlopen failure";
  if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
  for (char& c : reason) {
    if (c == '\n') c = ' ';
  }
  return reason;
}

CudaModuleLoad failure(const std::string& path, const std::string& reason) {
  return {nullptr, "cannot load the CUDA module " + path + ": " + reason};
}

}  // namespace

std::string cuda_module_path() {
  const char* override_path = std::getenv("PIPEWISE_CUDA_MODULE");
  if (override_path != nullptr && *override_path != '\0') return override_path;
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return kCudaModuleFileName;
  return (executable.parent_path() / kCudaModuleFileName).string();
}

CudaModuleLoad load_cuda_module(const std::string& path) {
  std::error_code error;
  if (path.find('/') != std::string::npos && !std::filesystem::exists(path, error)) {
    return failure(path, "no such file");
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return failure(path, dl_failure(path));
  const auto entry = reinterpret_cast<CudaModuleEntry>(dlsym(handle, kCudaModuleEntryName));
  const CudaModule* module = entry != nullptr ? entry() : nullptr;
  std::string problem;
  if (entry == nullptr) {
    problem = std::string("it is not a pipewise CUDA module (it has no symbol ") +
              kCudaModuleEntryName + ")";
  } else if (module == nullptr || module->abi_version != kCudaModuleAbiVersion) {
    problem = "it was built for CUDA module interface version " +
              (module != nullptr ? std::to_string(module->abi_version) : std::string("?")) +
              ", this pipewise needs version " + std::to_string(kCudaModuleAbiVersion) +
              " (build the module with this pipewise)";
  } else if (module->layout != cuda_module_layout()) {
    problem = "it was built from other headers than this pipewise (its types' layout differs; "
              "build the module with this pipewise)";
  }
  if (problem.empty()) return {module, {}};
  dlclose(handle);
  return failure(path, problem);
}

CudaModuleLoad load_cuda_module() {
  const char* override_path = std::getenv("PIPEWISE_CUDA_MODULE");
  const bool overridden = override_path != nullptr && *override_path != '\0';
  if (!PIPEWISE_BUILT_CUDA_MODULE && !overridden) {
    return {nullptr,
            "pipewise was built without CUDA (no nvcc when it was configured): it has no CUDA "
            "module"};
  }
  return load_cuda_module(cuda_module_path());
}

}  // namespace pipewise::exec::cuda
