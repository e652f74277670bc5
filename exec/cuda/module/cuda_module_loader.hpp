#pragma once
#include <string>

#include "exec/core/module_loader.hpp"
#include "exec/cuda/module/cuda_module.hpp"

namespace pipewise::exec::cuda {

// The CUDA module as the generic loader (exec/core/module_loader.hpp) knows it:
// $PIPEWISE_CUDA_MODULE, else kCudaModuleFileName next to the executable.
const ModuleSpec& cuda_module_spec();

// Where `pipewise run --backend cuda` looks for the CUDA module (module_path).
std::string cuda_module_path();

// A loaded CUDA module, or why there is none.
using CudaModuleLoad = ModuleLoad<CudaModule>;

// Loads the CUDA module at `path` (load_module): errors are one line each, "cannot load the
// CUDA module PATH: ...": the file is missing; it or a library it needs cannot be loaded
// (dlerror's words, e.g. "libcudart.so.13: cannot open shared object file: No such file or
// directory"); it has no entry symbol; it was built for another interface version or
// layout. A module that passed stays loaded for the life of the process.
CudaModuleLoad load_cuda_module(const std::string& path);

// load_cuda_module(cuda_module_path()), except in a build without CUDA (no nvcc when it
// was configured), which has no module: unless PIPEWISE_CUDA_MODULE names one, the error
// then says so.
CudaModuleLoad load_cuda_module();

}  // namespace pipewise::exec::cuda
