#include "tools/model/transformer_shape.hpp"

#include <string>
#include <utility>

#include "common/ir/error.hpp"

namespace pipewise::tools {

void TransformerShape::check() const {
  const std::pair<std::uint32_t, const char*> sizes[] = {
      {layers, "layers"}, {hidden, "hidden size"}, {sequence, "sequence length"},
      {heads, "attention heads"}};
  for (const auto& [value, name] : sizes) {
    if (value == 0) throw Error(std::string("transformer ") + name + " must be at least 1");
  }
  if (hidden % heads != 0) {
    throw Error("transformer hidden size " + std::to_string(hidden) +
                " is not a multiple of the " + std::to_string(heads) + " attention heads");
  }
}

TransformerLayerCosts transformer_layer_costs(const TransformerShape& shape,
                                              const TensorParallelism& tensor) {
  shape.check();
  if (tensor.size == 0 || shape.heads % tensor.size != 0) {
    throw Error("tensor-parallel size " + std::to_string(tensor.size) +
                " does not divide the " + std::to_string(shape.heads) + " attention heads");
  }
  const double h = shape.hidden;
  const double s = shape.sequence;
  const double a = shape.heads;
  const double t = tensor.size;
  TransformerLayerCosts costs;
  costs.forward_flops = (24.0 * s * h * h + 4.0 * s * s * h) / t;
  costs.backward_flops = 2.0 * costs.forward_flops;
  costs.attention_core_flops = 4.0 * s * s * h / t;
  costs.parameters = 12.0 * h * h / t;
  const double attention_term = 5.0 * a * s / h;
  if (tensor.sequence_parallel || tensor.size == 1) {
    costs.activation_bytes = s * h * (34.0 + attention_term) / t;
    costs.selective_activation_bytes = s * h * 34.0 / t;
  } else {
    costs.activation_bytes = s * h * (10.0 + 24.0 / t + attention_term / t);
    costs.selective_activation_bytes = s * h * (10.0 + 24.0 / t);
  }
  costs.boundary_bytes = 2.0 * s * h / t;
  return costs;
}

}  // namespace pipewise::tools
