// Our own small kernels: bias and ReLU, softmax cross-entropy, bias gradients, optimizer
// updates, bf16 conversion, message checksums. GEMMs are cuBLAS's (gemm.cpp).
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cmath>

#include "exec/cuda/device_kernels.hpp"

namespace pipewise::exec::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kFullWarp = 0xffffffffu;

unsigned blocks_for(std::size_t count) {
  const std::size_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 4096 ? (blocks == 0 ? 1 : blocks) : 4096);
}

__device__ std::size_t first_index() { return std::size_t{blockIdx.x} * blockDim.x + threadIdx.x; }
__device__ std::size_t grid_stride() { return std::size_t{gridDim.x} * blockDim.x; }

__global__ void bias_activation_kernel(float* y, const float* bias, std::uint32_t rows,
                                       std::uint32_t cols, bool relu) {
  const std::size_t count = std::size_t{rows} * cols;
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    const float value = y[i] + bias[i % cols];
    y[i] = relu ? fmaxf(value, 0.0f) : value;
  }
}

// One warp per row, as many rows per warp as needed; thread 0 averages the per-warp sums.
__global__ void softmax_cross_entropy_kernel(float* logits, const std::int32_t* labels,
                                             std::uint32_t rows, std::uint32_t classes,
                                             float* loss) {
  __shared__ double warp_totals[kThreads / 32];
  const unsigned lane = threadIdx.x % 32;
  const unsigned warp = threadIdx.x / 32;
  const unsigned warps = blockDim.x / 32;
  double total = 0.0;
  for (std::uint32_t r = warp; r < rows; r += warps) {
    float* row = logits + std::size_t{r} * classes;
    float largest = -INFINITY;
    for (std::uint32_t c = lane; c < classes; c += 32) largest = fmaxf(largest, row[c]);
    for (int offset = 16; offset > 0; offset /= 2) {
      largest = fmaxf(largest, __shfl_xor_sync(kFullWarp, largest, offset));
    }
    double sum = 0.0;
    for (std::uint32_t c = lane; c < classes; c += 32) sum += exp(double{row[c]} - largest);
    for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(kFullWarp, sum, offset);
    const double log_sum = log(sum) + largest;
    const double picked = row[labels[r]];
    __syncwarp();  // every lane has read row[label] before any lane overwrites it
    if (lane == 0) total += log_sum - picked;
    for (std::uint32_t c = lane; c < classes; c += 32) {
      row[c] = static_cast<float>(exp(double{row[c]} - log_sum));
    }
  }
  if (lane == 0) warp_totals[warp] = total;
  __syncthreads();
  if (threadIdx.x == 0) {
    double sum = 0.0;
    for (unsigned w = 0; w < warps; ++w) sum += warp_totals[w];
    *loss = static_cast<float>(sum / rows);
  }
}

__global__ void softmax_cross_entropy_backward_kernel(float* dz, const float* probabilities,
                                                      const std::int32_t* labels,
                                                      std::uint32_t rows, std::uint32_t classes) {
  const std::size_t count = std::size_t{rows} * classes;
  const float scale = 1.0f / static_cast<float>(rows);
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    const std::size_t r = i / classes;
    const bool is_label = static_cast<std::int64_t>(i % classes) == labels[r];
    dz[i] = (probabilities[i] - (is_label ? 1.0f : 0.0f)) * scale;
  }
}

__global__ void relu_backward_kernel(float* dz, const float* y, std::size_t count) {
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    if (y[i] <= 0.0f) dz[i] = 0.0f;
  }
}

__global__ void bias_gradient_kernel(float* bias_grad, const float* dz, std::uint32_t rows,
                                     std::uint32_t cols) {
  for (std::size_t c = first_index(); c < cols; c += grid_stride()) {
    float sum = bias_grad[c];
    for (std::uint32_t r = 0; r < rows; ++r) sum += dz[std::size_t{r} * cols + c];
    bias_grad[c] = sum;
  }
}

__global__ void sgd_kernel(float* parameters, float* gradient, float* velocity, std::size_t count,
                           SgdUpdate update) {
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    const float g = gradient[i] * update.gradient_scale;
    gradient[i] = g;
    if (velocity == nullptr) {
      parameters[i] -= update.learning_rate * g;
      continue;
    }
    const float v = update.first_step ? g : update.momentum * velocity[i] + g;
    velocity[i] = v;
    parameters[i] -= update.learning_rate * v;
  }
}

__global__ void adam_kernel(float* parameters, float* gradient, float* m, float* v,
                            std::size_t count, AdamUpdate update) {
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    const float g = gradient[i] * update.gradient_scale;
    gradient[i] = g;
    m[i] = update.beta1 * m[i] + (1.0f - update.beta1) * g;
    v[i] = update.beta2 * v[i] + (1.0f - update.beta2) * g * g;
    const float m_hat = m[i] / update.first_correction;
    const float v_hat = v[i] / update.second_correction;
    parameters[i] -= update.learning_rate * m_hat / (sqrtf(v_hat) + update.epsilon);
  }
}

__global__ void to_bfloat16_kernel(__nv_bfloat16* out, const float* in, std::size_t count) {
  for (std::size_t i = first_index(); i < count; i += grid_stride()) out[i] = __float2bfloat16_rn(in[i]);
}

__global__ void checksum_kernel(const std::uint32_t* words, std::size_t count, std::uint32_t* checksum) {
  std::uint32_t sum = 0;
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    sum += words[i] * static_cast<std::uint32_t>(2 * i + 1);
  }
  atomicAdd(checksum, sum);
}

__global__ void flip_bit_kernel(std::uint32_t* words, std::size_t word, unsigned bit) {
  words[word] ^= 1u << bit;
}

}  // namespace

cudaError_t launch_bias_activation(float* y, const float* bias, std::uint32_t rows,
                                   std::uint32_t cols, bool relu, cudaStream_t stream) {
  bias_activation_kernel<<<blocks_for(std::size_t{rows} * cols), kThreads, 0, stream>>>(
      y, bias, rows, cols, relu);
  return cudaGetLastError();
}

cudaError_t launch_softmax_cross_entropy(float* logits, const std::int32_t* labels,
                                         std::uint32_t rows, std::uint32_t classes, float* loss,
                                         cudaStream_t stream) {
  softmax_cross_entropy_kernel<<<1, kThreads, 0, stream>>>(logits, labels, rows, classes, loss);
  return cudaGetLastError();
}

cudaError_t launch_softmax_cross_entropy_backward(float* dz, const float* probabilities,
                                                  const std::int32_t* labels, std::uint32_t rows,
                                                  std::uint32_t classes, cudaStream_t stream) {
  softmax_cross_entropy_backward_kernel<<<blocks_for(std::size_t{rows} * classes), kThreads, 0,
                                          stream>>>(dz, probabilities, labels, rows, classes);
  return cudaGetLastError();
}

cudaError_t launch_relu_backward(float* dz, const float* y, std::size_t count, cudaStream_t stream) {
  relu_backward_kernel<<<blocks_for(count), kThreads, 0, stream>>>(dz, y, count);
  return cudaGetLastError();
}

cudaError_t launch_bias_gradient(float* bias_grad, const float* dz, std::uint32_t rows,
                                 std::uint32_t cols, cudaStream_t stream) {
  bias_gradient_kernel<<<blocks_for(cols), kThreads, 0, stream>>>(bias_grad, dz, rows, cols);
  return cudaGetLastError();
}

cudaError_t launch_sgd_step(float* parameters, float* gradient, float* velocity, std::size_t count,
                            const SgdUpdate& update, cudaStream_t stream) {
  sgd_kernel<<<blocks_for(count), kThreads, 0, stream>>>(parameters, gradient, velocity, count, update);
  return cudaGetLastError();
}

cudaError_t launch_adam_step(float* parameters, float* gradient, float* first_moment,
                             float* second_moment, std::size_t count, const AdamUpdate& update,
                             cudaStream_t stream) {
  adam_kernel<<<blocks_for(count), kThreads, 0, stream>>>(parameters, gradient, first_moment,
                                                          second_moment, count, update);
  return cudaGetLastError();
}

cudaError_t launch_to_bfloat16(void* out, const float* in, std::size_t count, cudaStream_t stream) {
  to_bfloat16_kernel<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<__nv_bfloat16*>(out),
                                                                 in, count);
  return cudaGetLastError();
}

cudaError_t launch_checksum(const void* data, std::size_t bytes, std::uint32_t* checksum,
                            cudaStream_t stream) {
  const cudaError_t reset = cudaMemsetAsync(checksum, 0, sizeof(std::uint32_t), stream);
  if (reset != cudaSuccess) return reset;
  const std::size_t words = bytes / sizeof(std::uint32_t);
  checksum_kernel<<<blocks_for(words), kThreads, 0, stream>>>(
      static_cast<const std::uint32_t*>(data), words, checksum);
  return cudaGetLastError();
}

cudaError_t launch_flip_bit(void* data, std::size_t word, unsigned bit, cudaStream_t stream) {
  flip_bit_kernel<<<1, 1, 0, stream>>>(static_cast<std::uint32_t*>(data), word, bit % 32);
  return cudaGetLastError();
}

}  // namespace pipewise::exec::cuda
