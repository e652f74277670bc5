#include "exec/core/profile_statistics.hpp"

#include <algorithm>

#include "common/ir/error.hpp"

namespace pipewise::exec {

double median(std::vector<double> samples) {
  if (samples.empty()) throw Error("median of no samples");
  const std::size_t middle = samples.size() / 2;
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(middle),
                   samples.end());
  const double upper = samples[middle];
  if (samples.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(middle));
  return (lower + upper) / 2.0;
}

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw Error("fit_line: x and y have different lengths");
  const auto n = static_cast<double>(x.size());
  double mean_x = 0.0;
  double mean_y = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mean_x += x[i] / n;
    mean_y += y[i] / n;
  }
  double covariance = 0.0;
  double variance = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    covariance += (x[i] - mean_x) * (y[i] - mean_y);
    variance += (x[i] - mean_x) * (x[i] - mean_x);
  }
  if (x.size() < 2 || variance == 0.0) throw Error("fit_line needs at least two distinct x values");
  const double slope = covariance / variance;
  return {mean_y - slope * mean_x, slope};
}

}  // namespace pipewise::exec
