// The names of the CUDA backend's GEMM math modes (exec/cuda/planning/math_mode.hpp), which
// `pipewise run --math` parses without any CUDA library.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "exec/cuda/planning/math_mode.hpp"

namespace pipewise::exec::cuda {
namespace {

TEST(MathMode, NamesRoundTrip) {
  EXPECT_EQ(math_mode_name(MathMode::Fp32), "fp32");
  EXPECT_EQ(math_mode_name(MathMode::Tf32), "tf32");
  EXPECT_EQ(math_mode_name(MathMode::Bf16), "bf16");
  for (MathMode mode : {MathMode::Fp32, MathMode::Tf32, MathMode::Bf16}) {
    EXPECT_EQ(math_mode_from_name(math_mode_name(mode)), mode);
  }
}

TEST(MathMode, AnUnknownNameIsRefusedWithTheChoices) {
  for (const char* bad : {"", "FP32", "fp16", "fp32 "}) {
    try {
      math_mode_from_name(bad);
      ADD_FAILURE() << "\"" << bad << "\" was accepted";
    } catch (const Error& error) {
      EXPECT_EQ(std::string(error.what()),
                "unknown math mode \"" + std::string(bad) + "\" (expected fp32, tf32 or bf16)");
    }
  }
}

}  // namespace
}  // namespace pipewise::exec::cuda
