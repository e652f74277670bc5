#include "exec/cuda/planning/math_mode.hpp"

#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {

std::string_view math_mode_name(MathMode mode) {
  switch (mode) {
    case MathMode::Tf32: return "tf32";
    case MathMode::Bf16: return "bf16";
    case MathMode::Fp32: break;
  }
  return "fp32";
}

MathMode math_mode_from_name(std::string_view name) {
  for (MathMode mode : {MathMode::Fp32, MathMode::Tf32, MathMode::Bf16}) {
    if (math_mode_name(mode) == name) return mode;
  }
  throw Error("unknown math mode \"" + std::string(name) + "\" (expected fp32, tf32 or bf16)");
}

}  // namespace pipewise::exec::cuda
