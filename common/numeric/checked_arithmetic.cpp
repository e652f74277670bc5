#include "common/numeric/checked_arithmetic.hpp"

#include <cmath>

#include "common/text/format.hpp"

namespace pipewise {
namespace {

// 2^64 as a double: the first value that no longer fits (2^64 − 1 rounds up to it).
constexpr double kTwoToThe64 = 18446744073709551616.0;

const std::string& limit_text() {
  static const std::string text =
      format_number(static_cast<double>(kMostCountableBytes)) + " bytes (2^64 - 1)";
  return text;
}

}  // namespace

Result<std::uint64_t> bytes_from_double(double value, std::string_view what) {
  if (!std::isfinite(value) || value < 0) {
    return Status::failure(std::string(what) + " must be a finite number of bytes >= 0 (got " +
                           format_number(value) + ")");
  }
  const double rounded = std::nearbyint(value);
  if (rounded >= kTwoToThe64) {
    return Status::failure(std::string(what) + " = " + format_number(value) +
                           " is too large: pipewise counts at most " + limit_text());
  }
  return static_cast<std::uint64_t>(rounded);
}

std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

std::optional<std::uint64_t> checked_multiply(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

std::uint64_t saturating_count_up(double value) {
  if (!(value > 0)) return 0;
  const double rounded = std::ceil(value);
  return rounded >= kTwoToThe64 ? kMostCountableBytes : static_cast<std::uint64_t>(rounded);
}

Status too_many_bytes(std::string_view what, std::string_view culprit) {
  return Status::failure(std::string(what) + " exceeds the " + limit_text() +
                         " pipewise can count: " + std::string(culprit));
}

}  // namespace pipewise
