#pragma once
#include <string>

#include "exec/cuda/module/cuda_module.hpp"

namespace pipewise::exec::cuda {

// Where `pipewise run --backend cuda` looks for the CUDA module: the path in the
// environment variable PIPEWISE_CUDA_MODULE when it is set and not empty, else
// kCudaModuleFileName in the folder of the running executable (/proc/self/exe; the bare
// file name, which dlopen searches for on the library path, when that cannot be read).
std::string cuda_module_path();

// A loaded CUDA module, or why there is none.
struct CudaModuleLoad {
  const CudaModule* module = nullptr;  // null when loading failed
  std::string error;                   // then one line naming the module and the problem
};

// Loads the CUDA module at `path` (dlopen, resolving every symbol now) and checks that it
// was built for this interface (abi_version, layout). Errors are values, one line each,
// "cannot load the CUDA module PATH: ...": the file is missing; it or a library it needs
// cannot be loaded (dlerror's words, e.g. "libcudart.so.13: cannot open shared object
// file: No such file or directory"); it has no entry symbol; it was built for another
// interface version or layout. A module that passed stays loaded for the life of the
// process (the backends it made run its code); loading it again returns the same table.
// Thread-safe, as dlopen is.
CudaModuleLoad load_cuda_module(const std::string& path);

// load_cuda_module(cuda_module_path()), except in a build without CUDA (no nvcc when it
// was configured), which has no module: unless PIPEWISE_CUDA_MODULE names one, the error
// then says so.
CudaModuleLoad load_cuda_module();

}  // namespace pipewise::exec::cuda
