#include "exec/core/op_description.hpp"

namespace pipewise::exec {

std::string describe_op(const Op& op, std::uint32_t microbatches_per_iteration) {
  std::string text = op_label(op, microbatches_per_iteration);
  text += " (";
  text += op_kind_json_name(op.kind);
  text += ", stage " + std::to_string(op.stage);
  if (op.kind != OpKind::OptimizerStep) {
    text += ", micro-batch " + std::to_string(op.microbatch);
    text += ", iteration " + std::to_string(op.iteration);
  }
  text += ", weight version " + std::to_string(op.weight_version) + ")";
  return text;
}

}  // namespace pipewise::exec
