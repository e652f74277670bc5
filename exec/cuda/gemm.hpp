#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exec/cuda/device_pool.hpp"

namespace pipewise::exec::cuda {

// The arithmetic of the GEMMs (--math).
enum class MathMode : std::uint8_t {
  Fp32,  // full fp32 (CUBLAS_COMPUTE_32F, no TF32): matches the CPU to rounding
  Tf32,  // fp32 storage, TF32 tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32)
  Bf16,  // GEMM inputs rounded to bf16, fp32 accumulation and outputs; the rest fp32
};
std::string_view math_mode_name(MathMode mode);  // "fp32", "tf32", "bf16"
// Inverse of math_mode_name; throws pipewise::Error naming the unknown string.
MathMode math_mode_from_name(std::string_view name);

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
