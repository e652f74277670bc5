#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

// Host launchers of our own kernels (kernels.cu). Each enqueues one kernel on `stream` and
// returns the launch status (cudaGetLastError), which the caller checks. Matrices are
// row-major, as in exec/model/stage_math.hpp; element-wise kernels follow the CPU code's
// arithmetic order so that fp32 results agree to rounding.

namespace pipewise::exec::cuda {

// y[r][c] = y[r][c] + bias[c] for a rows x cols matrix, then max(., 0) when `relu`.
cudaError_t launch_bias_activation(float* y, const float* bias, std::uint32_t rows,
                                   std::uint32_t cols, bool relu, cudaStream_t stream);

// Row-wise softmax of the rows x classes logits, in place (they become probabilities), and
// *loss = the mean over rows of -log p[label], in double precision as the CPU code does.
cudaError_t launch_softmax_cross_entropy(float* logits, const std::int32_t* labels,
                                         std::uint32_t rows, std::uint32_t classes, float* loss,
                                         cudaStream_t stream);

// dz = (probabilities - onehot(labels)) / rows: the gradient of the mean cross-entropy at
// the logits.
cudaError_t launch_softmax_cross_entropy_backward(float* dz, const float* probabilities,
                                                  const std::int32_t* labels, std::uint32_t rows,
                                                  std::uint32_t classes, cudaStream_t stream);

// dz[i] = 0 where y[i] <= 0 (the ReLU mask), for `count` elements.
cudaError_t launch_relu_backward(float* dz, const float* y, std::size_t count, cudaStream_t stream);

// bias_grad[c] += sum over rows of dz[r][c], rows added in order (the CPU's order).
cudaError_t launch_bias_gradient(float* bias_grad, const float* dz, std::uint32_t rows,
                                 std::uint32_t cols, cudaStream_t stream);

// Parameters of one optimizer update (see exec/model/optimizer.hpp); `gradient_scale`
// averages the accumulated gradient (1 / micro-batches, or 0 for an empty step) and the
// averaged gradient is written back, so the accumulator then holds what was applied.
struct SgdUpdate {
  float learning_rate = 0.0f;
  float momentum = 0.0f;  // 0: no velocity buffer
  bool first_step = false;
  float gradient_scale = 1.0f;
};
cudaError_t launch_sgd_step(float* parameters, float* gradient, float* velocity, std::size_t count,
                            const SgdUpdate& update, cudaStream_t stream);

struct AdamUpdate {
  float learning_rate = 0.0f;
  float beta1 = 0.0f;
  float beta2 = 0.0f;
  float epsilon = 0.0f;
  float first_correction = 1.0f;   // 1 - beta1^t
  float second_correction = 1.0f;  // 1 - beta2^t
  float gradient_scale = 1.0f;
};
cudaError_t launch_adam_step(float* parameters, float* gradient, float* first_moment,
                             float* second_moment, std::size_t count, const AdamUpdate& update,
                             cudaStream_t stream);

// out[i] = bf16(in[i]), round to nearest even; `out` holds `count` __nv_bfloat16.
cudaError_t launch_to_bfloat16(void* out, const float* in, std::size_t count, cudaStream_t stream);

// *checksum = sum over the 32-bit words w_i of `bytes` (a multiple of 4) of w_i * (2i + 1),
// modulo 2^32: order-independent, so it can be summed in parallel, and position-sensitive.
// Resets *checksum first.
cudaError_t launch_checksum(const void* data, std::size_t bytes, std::uint32_t* checksum,
                            cudaStream_t stream);

// Flips bit `bit` of 32-bit word `word` of `data` (fault injection: a corrupted message).
cudaError_t launch_flip_bit(void* data, std::size_t word, unsigned bit, cudaStream_t stream);

}  // namespace pipewise::exec::cuda
