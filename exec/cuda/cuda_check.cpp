#include "exec/cuda/cuda_check.hpp"

#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {

void check_cuda(cudaError_t status, std::string_view what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clears a non-sticky error so that later calls report their own
  throw Error(std::string(what) + ": CUDA error " + cudaGetErrorName(status) + ": " +
              cudaGetErrorString(status));
}

void check_cublas(cublasStatus_t status, std::string_view what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(std::string(what) + ": cuBLAS error " + cublasGetStatusName(status) + ": " +
              cublasGetStatusString(status));
}

void check_nccl(ncclResult_t status, std::string_view what) {
  if (status == ncclSuccess || status == ncclInProgress) return;
  std::string message = std::string(what) + ": NCCL error " + ncclGetErrorString(status);
  const char* detail = ncclGetLastError(nullptr);
  if (detail != nullptr && *detail != '\0') message += std::string(" (") + detail + ")";
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  throw Error(message);
}

DeviceCount cuda_device_count() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return {0, cudaGetErrorString(status)};
  }
  if (count == 0) return {0, "the CUDA runtime reports no device"};
  return {count, {}};
}

}  // namespace pipewise::exec::cuda
