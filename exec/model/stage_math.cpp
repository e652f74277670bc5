#include "exec/model/stage_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "exec/model/blas.hpp"

namespace pipewise::exec {
namespace {

int blas_int(std::size_t value) { return static_cast<int>(value); }

// probabilities = softmax(logits) row by row, in place; returns the mean cross-entropy.
float softmax_cross_entropy(float* logits, std::uint32_t rows, std::uint32_t classes,
                            const std::int32_t* labels) {
  double total = 0.0;
  for (std::uint32_t r = 0; r < rows; ++r) {
    float* row = logits + std::size_t{r} * classes;
    const float largest = *std::max_element(row, row + classes);
    double sum = 0.0;
    for (std::uint32_t c = 0; c < classes; ++c) sum += std::exp(double{row[c]} - largest);
    const double log_sum = std::log(sum) + largest;
    total += log_sum - row[labels[r]];
    for (std::uint32_t c = 0; c < classes; ++c) {
      row[c] = static_cast<float>(std::exp(double{row[c]} - log_sum));
    }
  }
  return static_cast<float>(total / rows);
}

}  // namespace

float stage_forward(const StageLayout& layout, const float* parameters, const float* input,
                    std::uint32_t rows, std::span<std::vector<float>> outputs,
                    const std::int32_t* labels) {
  const float* x = input;
  for (std::uint32_t l = 0; l < layout.layers(); ++l) {
    const std::size_t in = layout.widths[l];
    const std::size_t out = layout.widths[l + 1];
    float* y = outputs[l].data();
    const float* bias = parameters + layout.bias_offsets[l];
    for (std::uint32_t r = 0; r < rows; ++r) std::copy(bias, bias + out, y + r * out);
    sgemm(false, true, blas_int(rows), blas_int(out), blas_int(in), 1.0f, x, blas_int(in),
          parameters + layout.weight_offsets[l], blas_int(in), 1.0f, y, blas_int(out));
    const bool is_logits = layout.computes_loss && l + 1 == layout.layers();
    if (!is_logits) {
      for (std::size_t i = 0; i < rows * out; ++i) y[i] = std::max(y[i], 0.0f);
    }
    x = y;
  }
  if (!layout.computes_loss) return 0.0f;
  return softmax_cross_entropy(outputs.back().data(), rows, layout.output_width(), labels);
}

void stage_backward_input(const StageLayout& layout, const float* parameters, std::uint32_t rows,
                          std::span<const std::vector<float>> outputs,
                          std::span<std::vector<float>> grads, const std::int32_t* labels,
                          float* input_grad) {
  for (std::uint32_t l = layout.layers(); l-- > 0;) {
    const std::size_t in = layout.widths[l];
    const std::size_t out = layout.widths[l + 1];
    float* dz = grads[l].data();
    if (layout.computes_loss && l + 1 == layout.layers()) {
      const float scale = 1.0f / static_cast<float>(rows);
      for (std::uint32_t r = 0; r < rows; ++r) {
        float* row = dz + std::size_t{r} * out;
        row[labels[r]] -= 1.0f;
        for (std::size_t c = 0; c < out; ++c) row[c] *= scale;
      }
    } else {
      const float* y = outputs[l].data();
      for (std::size_t i = 0; i < rows * out; ++i) {
        if (y[i] <= 0.0f) dz[i] = 0.0f;
      }
    }
    float* dx = l > 0 ? grads[l - 1].data() : input_grad;
    if (dx == nullptr) continue;
    sgemm(false, false, blas_int(rows), blas_int(in), blas_int(out), 1.0f, dz, blas_int(out),
          parameters + layout.weight_offsets[l], blas_int(in), 0.0f, dx, blas_int(in));
  }
}

void stage_backward_weight(const StageLayout& layout, std::uint32_t rows, const float* input,
                           std::span<const std::vector<float>> outputs,
                           std::span<const std::vector<float>> grads, float* parameter_grads) {
  for (std::uint32_t l = 0; l < layout.layers(); ++l) {
    const std::size_t in = layout.widths[l];
    const std::size_t out = layout.widths[l + 1];
    const float* x = l == 0 ? input : outputs[l - 1].data();
    const float* dz = grads[l].data();
    sgemm(true, false, blas_int(out), blas_int(in), blas_int(rows), 1.0f, dz, blas_int(out), x,
          blas_int(in), 1.0f, parameter_grads + layout.weight_offsets[l],
          blas_int(in));
    float* bias_grad = parameter_grads + layout.bias_offsets[l];
    for (std::uint32_t r = 0; r < rows; ++r) {
      const float* row = dz + std::size_t{r} * out;
      for (std::size_t c = 0; c < out; ++c) bias_grad[c] += row[c];
    }
  }
}

}  // namespace pipewise::exec
