#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <string_view>

#include "exec/cuda/planning/device_selection.hpp"

// Turning CUDA, cuBLAS and NCCL status codes into pipewise::Error. Every message is one
// line: what was being done, then the library's own name and text for the code.

namespace pipewise::exec::cuda {

// Throws pipewise::Error "<what>: CUDA error <name>: <text>" unless `status` is success.
void check_cuda(cudaError_t status, std::string_view what);
// Throws pipewise::Error "<what>: cuBLAS error <name>" unless `status` is success.
void check_cublas(cublasStatus_t status, std::string_view what);
// Throws pipewise::Error "<what>: NCCL error <text>" (with ncclGetLastError's detail when
// there is one) unless `status` is ncclSuccess.
void check_nccl(ncclResult_t status, std::string_view what);

// How many CUDA devices the process sees, or a one-line reason why it sees none (no driver,
// no device): used to skip GPU tests and to refuse GPU runs with a clear message.
DeviceCount cuda_device_count();

}  // namespace pipewise::exec::cuda
