#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "exec/cuda/device_pool.hpp"
#include "exec/cuda/planning/math_mode.hpp"

namespace pipewise::exec::cuda {

// Row-major GEMMs of one pipeline device on its stream through one cuBLAS handle. The
// handle is created in the calling thread's current context (the device's lane) and told
// the lane's SM count (cublasSetSmCountTarget) so that its kernel choice fits a partition.
class Gemm {
 public:
  // `sms` = 0 leaves cuBLAS's SM target at the whole GPU. Throws pipewise::Error on cuBLAS
  // errors.
  Gemm(cudaStream_t stream, std::uint32_t sms, MathMode mode);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  // C (m x n) = alpha * op(A) * op(B) + beta * C, all row-major, where op(A) is m x k
  // (A stored k x m when trans_a) and op(B) is k x n (B stored n x k when trans_b). In Bf16
  // mode A and B are first rounded into bf16 scratch from `scratch_pool` (untracked).
  void multiply(bool trans_a, bool trans_b, std::uint32_t m, std::uint32_t n, std::uint32_t k,
                float alpha, const float* a, const float* b, float beta, float* c,
                DevicePool& scratch_pool);
  // Frees the bf16 scratch (before the pool's arena goes away).
  void release_scratch(DevicePool& scratch_pool);

  MathMode mode() const { return mode_; }

 private:
  const void* to_bfloat16(const float* values, std::size_t count, DeviceBuffer& scratch,
                          DevicePool& pool);

  cublasHandle_t handle_ = nullptr;
  cudaStream_t stream_;
  MathMode mode_;
  DeviceBuffer scratch_a_;  // bf16 copies of A and B, sized in floats (2 bf16 per float)
  DeviceBuffer scratch_b_;
};

}  // namespace pipewise::exec::cuda
