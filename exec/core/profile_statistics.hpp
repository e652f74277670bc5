#pragma once
#include <vector>

namespace pipewise::exec {

// The median of `samples` (the mean of the two middle values for an even count).
// Throws pipewise::Error when `samples` is empty.
double median(std::vector<double> samples);

// Least-squares line y = intercept + slope·x through the points (x[i], y[i]).
struct LineFit {
  double intercept = 0.0;
  double slope = 0.0;
};
// Throws pipewise::Error when the lengths differ or fewer than two distinct x are given.
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace pipewise::exec
