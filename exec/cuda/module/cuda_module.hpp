#pragma once
// The interface of the CUDA module, libpipewise_cuda.so: the CUDA backend with everything it
// needs (cudart, cuBLAS, NCCL), built next to the `pipewise` binary and loaded with dlopen
// only by `pipewise run --backend cuda` (cuda_module_loader.hpp), so that no other command
// pays for loading the CUDA libraries. Host-only: this header includes no CUDA header.
//
// The module exports one C symbol, kCudaModuleEntryName, a CudaModuleEntry returning the
// table below. The table passes C++ types (the model, options, profiles, the backend
// object) with the layout of the build that made the module, so the loader reads its first
// two fields, the interface version and the layout fingerprint, and refuses a module from
// another build before it touches anything else. Exceptions thrown inside the module
// (pipewise::Error, RunCancelled) reach the caller as those types, with their messages:
// both sides share libstdc++, which matches exception types by their mangled names, so the
// module's hidden copies of the types still match the caller's.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>

#include "common/ir/schedule.hpp"
#include "exec/core/execution_profile.hpp"
#include "exec/core/run_description.hpp"
#include "exec/core/run_options.hpp"
#include "exec/core/training_backend.hpp"
#include "exec/cuda/planning/cuda_backend_options.hpp"
#include "exec/cuda/planning/device_selection.hpp"
#include "exec/model/mlp_model.hpp"
#include "exec/model/optimizer.hpp"
#include "exec/model/synthetic_task.hpp"

namespace pipewise::exec::cuda {

// The version of CudaModule. Bump it when the table changes, or when a type passed through
// it keeps its size but changes its meaning.
inline constexpr std::uint32_t kCudaModuleAbiVersion = 2;

// The sizes of the types that cross the interface, folded into one number, so that a
// module built from other headers is refused even when nobody bumped the version.
constexpr std::uint64_t cuda_module_layout() {
  std::uint64_t layout = 14695981039346656037ull;  // FNV-1a over the sizes
  for (const std::size_t size :
       {sizeof(MlpModel), sizeof(StageLayout), sizeof(SyntheticTask), sizeof(OptimizerConfig),
        sizeof(CudaBackendOptions), sizeof(ProfileOptions), sizeof(ExecutionProfile),
        sizeof(StageProfile), sizeof(DeviceCount), sizeof(Schedule), sizeof(Op),
        sizeof(RunOptions), sizeof(MemoryAccount), sizeof(StepHooks), sizeof(RunDescription)}) {
    layout = (layout ^ size) * 1099511628211ull;
  }
  return layout;
}

// The module's file name: the loader looks for it next to the running executable.
inline constexpr const char* kCudaModuleFileName = "libpipewise_cuda.so";
// The one symbol the module exports, a CudaModuleEntry.
inline constexpr const char* kCudaModuleEntryName = "pipewise_cuda_module";

// What the module offers. Its functions may be called from any thread; each throws
// pipewise::Error as the function it stands for does.
struct CudaModule {
  // kCudaModuleAbiVersion and cuda_module_layout() of the build that made the module:
  // first in every version, read before anything else.
  std::uint32_t abi_version = 0;
  std::uint64_t layout = 0;
  // How many CUDA devices the process sees, or a one-line reason why none (no driver, no
  // device). Never throws.
  DeviceCount (*device_count)() = nullptr;
  // Every stage's F, I, W, B and optimizer step, and the transfers, timed alone on the GPU
  // lanes a run of `pipeline_devices` devices with `options` would use
  // (profile_cuda_execution, exec/cuda/cuda_profile.hpp).
  ExecutionProfile (*profile_execution)(const MlpModel& model, const SyntheticTask& task,
                                        const OptimizerConfig& optimizer,
                                        const CudaBackendOptions& options,
                                        std::uint32_t pipeline_devices,
                                        const ProfileOptions& profile) = nullptr;
  // A CUDA backend (CudaBackend, exec/cuda/cuda_backend.hpp) training `model` on `task`;
  // the model and task must outlive it. Throws pipewise::Error "no CUDA device: ..." when
  // the process sees no GPU.
  std::unique_ptr<TrainingBackend> (*make_backend)(const MlpModel& model,
                                                   const SyntheticTask& task,
                                                   const OptimizerConfig& optimizer,
                                                   const CudaBackendOptions& options) = nullptr;
};

// The type of the entry symbol: returns the module's table, which lives as long as the
// module is loaded.
using CudaModuleEntry = const CudaModule* (*)();

}  // namespace pipewise::exec::cuda
