#pragma once
// Byte counts that cannot silently wrap. Sizes arrive as doubles (a flag, a cost file, a
// model) and are counted in 64-bit integers; a double past 2^64 cast to an integer is
// undefined (in practice 0 or 2^63), and a sum or product of large counts wraps modulo 2^64.
// Either way a report would show a small, wrong number with exit 0. These helpers convert
// and combine with the range checked, so an input too large to count is refused with one
// line that names it instead.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ir/status.hpp"

namespace pipewise {

// The most bytes pipewise counts: 2^64 − 1 (16 EiB).
inline constexpr std::uint64_t kMostCountableBytes = ~std::uint64_t{0};

// `value` bytes rounded to the nearest whole byte, or a failure naming `what` when it is
// negative, not finite or above kMostCountableBytes:
// "parameter bytes = 2e+19 is too large: pipewise counts at most 1.8e+19 bytes (2^64 - 1)".
Result<std::uint64_t> bytes_from_double(double value, std::string_view what);

// a + b and a · b, or nullopt when the exact result exceeds 2^64 − 1.
std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b);
std::optional<std::uint64_t> checked_multiply(std::uint64_t a, std::uint64_t b);

// `value` rounded up to a whole count, saturating at 2^64 − 1 (and at 0 below zero or for
// NaN): for counts derived from ratios, such as the micro-batches a tiny target bubble
// needs, where "more than can be counted" is an answer, not an error.
std::uint64_t saturating_count_up(double value);

// The failure for a count of bytes that would exceed 2^64 − 1: "WHAT exceeds the
// 1.84467e+19 bytes (2^64 - 1) pipewise can count: CULPRIT", where `culprit` says which
// input is too large ("the parameter bytes are too large").
Status too_many_bytes(std::string_view what, std::string_view culprit);

}  // namespace pipewise
