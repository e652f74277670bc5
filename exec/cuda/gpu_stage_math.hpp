#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <span>

#include "exec/cuda/device_pool.hpp"
#include "exec/cuda/gemm.hpp"
#include "exec/model/mlp_model.hpp"

// The math of exec/model/stage_math.hpp on a GPU: the same buffers, layouts and formulas,
// with device pointers, cuBLAS GEMMs and our kernels, all enqueued on one stream (nothing
// here synchronizes). Forward, backward-input and backward-weight are separate launches so
// that split (zero-bubble) schedules run for real.

namespace pipewise::exec::cuda {

// What the stage math of one pipeline device runs on.
struct GpuStageContext {
  Gemm& gemm;
  DevicePool& pool;  // bf16 scratch comes from here
  cudaStream_t stream;
};

// outputs[l] = ReLU(x_l W_l^T + b_l) (no ReLU on the logits of the loss stage); on the loss
// stage outputs.back() becomes the softmax probabilities and *loss (device memory) the mean
// cross-entropy against `labels` (device memory; unused elsewhere, may be null).
void gpu_stage_forward(const StageLayout& layout, const float* parameters, const float* input,
                       std::uint32_t rows, std::span<float* const> outputs,
                       const std::int32_t* labels, float* loss, GpuStageContext& context);

// On entry grads.back() holds dLoss/d(stage output), or on the loss stage the
// probabilities (turned in place into (p - onehot(labels)) / rows). On return grads[l] holds
// dLoss/dz_l for every layer and `input_grad` (when not null) dLoss/d(stage input).
// `outputs` supply the ReLU masks.
void gpu_stage_backward_input(const StageLayout& layout, const float* parameters,
                              std::uint32_t rows, std::span<const float* const> outputs,
                              std::span<float* const> grads, const std::int32_t* labels,
                              float* input_grad, GpuStageContext& context);

// parameter_grads += dLoss/d(parameters): dW_l += dz_l^T x_l, db_l += column sums of dz_l.
void gpu_stage_backward_weight(const StageLayout& layout, std::uint32_t rows, const float* input,
                               std::span<const float* const> outputs,
                               std::span<const float* const> grads, float* parameter_grads,
                               GpuStageContext& context);

}  // namespace pipewise::exec::cuda
