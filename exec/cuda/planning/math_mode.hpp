#pragma once
#include <cstdint>
#include <string_view>

namespace pipewise::exec::cuda {

// The arithmetic of the CUDA backend's GEMMs (--math).
enum class MathMode : std::uint8_t {
  Fp32,  // full fp32 (CUBLAS_COMPUTE_32F, no TF32): matches the CPU to rounding
  Tf32,  // fp32 storage, TF32 tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32)
  Bf16,  // GEMM inputs rounded to bf16, fp32 accumulation and outputs; the rest fp32
};
std::string_view math_mode_name(MathMode mode);  // "fp32", "tf32", "bf16"
// Inverse of math_mode_name; throws pipewise::Error naming the unknown string.
MathMode math_mode_from_name(std::string_view name);

}  // namespace pipewise::exec::cuda
