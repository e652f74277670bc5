#pragma once
#include <cstdint>
#include <string>

#include "common/ir/op.hpp"

namespace pipewise::exec {

// One-line description of `op` for error messages, e.g. "1B3 (backward, stage 1,
// micro-batch 3, iteration 0, weight version 0)" or "2STEP (optimizer_step, stage 2,
// weight version 4)"; the leading label is op_label's.
std::string describe_op(const Op& op, std::uint32_t microbatches_per_iteration);

}  // namespace pipewise::exec
