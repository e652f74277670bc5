#pragma once
// Textbook formulas for flushed pipelines (GPipe, 1F1B, interleaved 1F1B) with uniform
// stage costs and free communication; the simulator reproduces them, and `recommend`
// uses them to size m without simulating.
#include <cstdint>

namespace pipewise::sim {

// Bubble ratio idle / (p · makespan) = (p−1) / (v·m + p−1) (Narayanan et al. 2021).
double flushed_bubble_ratio(std::uint32_t devices, std::uint32_t microbatches,
                            std::uint32_t chunks = 1);

// Bubble overhead, bubble time / ideal compute time = (p−1) / (v·m).
double flushed_bubble_overhead(std::uint32_t devices, std::uint32_t microbatches,
                               std::uint32_t chunks = 1);

// Speed-up of the pipelined schedule (v = 1) over the naive one: p·m / (m + p−1).
double pipelining_speedup(std::uint32_t devices, std::uint32_t microbatches);

// The smallest m whose bubble ratio is at most `target_bubble_ratio`:
// ceil((p−1)(1/target − 1) / v), at least 1, and 2^64 − 1 when it is more than a count
// holds (a target such as 1e-20). Throws pipewise::Error unless 0 < target < 1.
std::uint64_t microbatches_for_bubble_ratio(std::uint32_t devices, double target_bubble_ratio,
                                            std::uint32_t chunks = 1);

}  // namespace pipewise::sim
