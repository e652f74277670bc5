#include "exec/cuda/gpu_stage_math.hpp"

#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/device_kernels.hpp"

namespace pipewise::exec::cuda {

void gpu_stage_forward(const StageLayout& layout, const float* parameters, const float* input,
                       std::uint32_t rows, std::span<float* const> outputs,
                       const std::int32_t* labels, float* loss, GpuStageContext& context) {
  const float* x = input;
  for (std::uint32_t l = 0; l < layout.layers(); ++l) {
    const std::uint32_t in = layout.widths[l];
    const std::uint32_t out = layout.widths[l + 1];
    float* y = outputs[l];
    context.gemm.multiply(false, true, rows, out, in, 1.0f, x, parameters + layout.weight_offsets[l],
                          0.0f, y, context.pool);
    const bool is_logits = layout.computes_loss && l + 1 == layout.layers();
    check_cuda(launch_bias_activation(y, parameters + layout.bias_offsets[l], rows, out, !is_logits,
                                      context.stream),
               "bias and activation kernel");
    x = y;
  }
  if (!layout.computes_loss) return;
  check_cuda(launch_softmax_cross_entropy(outputs.back(), labels, rows, layout.output_width(), loss,
                                          context.stream),
             "softmax cross-entropy kernel");
}

void gpu_stage_backward_input(const StageLayout& layout, const float* parameters,
                              std::uint32_t rows, std::span<const float* const> outputs,
                              std::span<float* const> grads, const std::int32_t* labels,
                              float* input_grad, GpuStageContext& context) {
  for (std::uint32_t l = layout.layers(); l-- > 0;) {
    const std::uint32_t in = layout.widths[l];
    const std::uint32_t out = layout.widths[l + 1];
    float* dz = grads[l];
    if (layout.computes_loss && l + 1 == layout.layers()) {
      check_cuda(launch_softmax_cross_entropy_backward(dz, dz, labels, rows, out, context.stream),
                 "softmax cross-entropy backward kernel");
    } else {
      check_cuda(launch_relu_backward(dz, outputs[l], std::size_t{rows} * out, context.stream),
                 "ReLU backward kernel");
    }
    float* dx = l > 0 ? grads[l - 1] : input_grad;
    if (dx == nullptr) continue;
    context.gemm.multiply(false, false, rows, in, out, 1.0f, dz,
                          parameters + layout.weight_offsets[l], 0.0f, dx, context.pool);
  }
}

void gpu_stage_backward_weight(const StageLayout& layout, std::uint32_t rows, const float* input,
                               std::span<const float* const> outputs,
                               std::span<const float* const> grads, float* parameter_grads,
                               GpuStageContext& context) {
  for (std::uint32_t l = 0; l < layout.layers(); ++l) {
    const std::uint32_t in = layout.widths[l];
    const std::uint32_t out = layout.widths[l + 1];
    const float* x = l == 0 ? input : outputs[l - 1];
    context.gemm.multiply(true, false, out, in, rows, 1.0f, grads[l], x, 1.0f,
                          parameter_grads + layout.weight_offsets[l], context.pool);
    check_cuda(launch_bias_gradient(parameter_grads + layout.bias_offsets[l], grads[l], rows, out,
                                    context.stream),
               "bias gradient kernel");
  }
}

}  // namespace pipewise::exec::cuda
