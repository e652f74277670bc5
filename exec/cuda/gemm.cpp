#include "exec/cuda/gemm.hpp"

#include <string>

#include "common/ir/error.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/device_kernels.hpp"

namespace pipewise::exec::cuda {

Gemm::Gemm(cudaStream_t stream, std::uint32_t sms, MathMode mode) : stream_(stream), mode_(mode) {
  check_cublas(cublasCreate(&handle_), "creating a cuBLAS handle");
  try {
    check_cublas(cublasSetStream(handle_, stream_), "binding cuBLAS to the device stream");
    // The default math mode takes the compute type at its word: CUBLAS_COMPUTE_32F never
    // uses TF32 tensor cores, so Fp32 stays full precision.
    check_cublas(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH), "setting cuBLAS math mode");
    if (sms > 0) {
      check_cublas(cublasSetSmCountTarget(handle_, static_cast<int>(sms)),
                   "telling cuBLAS the SM partition size");
    }
  } catch (...) {
    cublasDestroy(handle_);
    throw;
  }
}

Gemm::~Gemm() { cublasDestroy(handle_); }

const void* Gemm::to_bfloat16(const float* values, std::size_t count, DeviceBuffer& scratch,
                              DevicePool& pool) {
  const std::size_t floats_needed = (count + 1) / 2;  // two bf16 per float slot
  if (scratch.floats < floats_needed) {
    pool.give_untracked(scratch);
    scratch = pool.take_untracked(floats_needed);
  }
  check_cuda(launch_to_bfloat16(scratch.data, values, count, stream_), "rounding a GEMM input to bf16");
  return scratch.data;
}

void Gemm::multiply(bool trans_a, bool trans_b, std::uint32_t m, std::uint32_t n, std::uint32_t k,
                    float alpha, const float* a, const float* b, float beta, float* c,
                    DevicePool& scratch_pool) {
  // cuBLAS is column-major: a row-major X is its transpose, so row-major C = op(A) op(B)
  // is column-major C^T = op(B)^T op(A)^T: swap the operands and the roles of m and n.
  const int lda = static_cast<int>(trans_a ? m : k);
  const int ldb = static_cast<int>(trans_b ? k : n);
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const void* a_data = a;
  const void* b_data = b;
  cudaDataType_t input_type = CUDA_R_32F;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  if (mode_ == MathMode::Tf32) compute = CUBLAS_COMPUTE_32F_FAST_TF32;
  if (mode_ == MathMode::Bf16) {
    a_data = to_bfloat16(a, std::size_t{m} * k, scratch_a_, scratch_pool);
    b_data = to_bfloat16(b, std::size_t{k} * n, scratch_b_, scratch_pool);
    input_type = CUDA_R_16BF;
  }
  check_cublas(cublasGemmEx(handle_, op_b, op_a, static_cast<int>(n), static_cast<int>(m),
                            static_cast<int>(k), &alpha, b_data, input_type, ldb, a_data,
                            input_type, lda, &beta, c, CUDA_R_32F, static_cast<int>(n), compute,
                            CUBLAS_GEMM_DEFAULT),
               "cuBLAS GEMM " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k));
}

void Gemm::release_scratch(DevicePool& scratch_pool) {
  scratch_pool.give_untracked(scratch_a_);
  scratch_pool.give_untracked(scratch_b_);
}

}  // namespace pipewise::exec::cuda
