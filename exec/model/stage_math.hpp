#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "exec/model/mlp_model.hpp"

// The fp32 math of one MLP stage on one micro-batch of `rows` samples, with forward,
// backward-input and backward-weight as separate functions so that split (zero-bubble)
// schedules run for real. GEMMs go through cblas_sgemm on the calling thread.
//
// Buffers: outputs[l] and grads[l] hold rows x widths[l+1] floats for each layer l of the
// stage; the input is rows x input_width. Everything is row-major.

namespace pipewise::exec {

// Forward: outputs[l] = ReLU(x_l W_l^T + b_l), with x_0 = input and x_l = outputs[l-1]; on
// the loss stage the last layer has no ReLU, outputs.back() receives the softmax
// probabilities and the mean cross-entropy against `labels` (rows entries) is returned.
// Returns 0 on other stages (labels is then unused and may be null).
float stage_forward(const StageLayout& layout, const float* parameters, const float* input,
                    std::uint32_t rows, std::span<std::vector<float>> outputs,
                    const std::int32_t* labels);

// Backward-input. On entry grads.back() holds dLoss/d(stage output), or on the loss stage
// the probabilities stage_forward wrote (the gradient is then (p - onehot(labels)) / rows,
// the derivative of the mean cross-entropy). On return grads[l] holds dLoss/dz_l, the
// gradient at layer l's pre-activation, for every layer, and `input_grad` (when not null,
// rows x input_width) holds dLoss/d(stage input). `outputs` are forward's outputs; only
// the ReLU masks are read (not outputs.back() on the loss stage).
void stage_backward_input(const StageLayout& layout, const float* parameters, std::uint32_t rows,
                          std::span<const std::vector<float>> outputs,
                          std::span<std::vector<float>> grads, const std::int32_t* labels,
                          float* input_grad);

// Backward-weight: adds dLoss/d(parameters) to `parameter_grads` (the stage's flat layout):
// dW_l += dz_l^T x_l and db_l += column sums of dz_l, from the layer inputs (input,
// outputs[0..L-2]) and the pre-activation gradients that stage_backward_input left.
void stage_backward_weight(const StageLayout& layout, std::uint32_t rows, const float* input,
                           std::span<const std::vector<float>> outputs,
                           std::span<const std::vector<float>> grads, float* parameter_grads);

}  // namespace pipewise::exec
