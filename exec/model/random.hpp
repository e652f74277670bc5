#pragma once
#include <cmath>
#include <cstdint>

namespace pipewise::exec {

// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator whose output is the same on every
// platform and standard library, so initial weights and synthetic data are reproducible
// bit for bit from a seed.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  // The next 64 random bits.
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), from the top 24 bits (every value is an exact float).
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
  // Uniform in [low, high).
  float uniform(float low, float high) { return low + (high - low) * uniform(); }
  // Standard normal (Box-Muller on two uniforms; the first uniform is kept away from 0).
  float normal() {
    const double u1 = (static_cast<double>(next() >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    const double u2 = static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }

 private:
  std::uint64_t state_;
};

// A seed for sub-stream `stream` of `seed` (e.g. one per layer), so that streams do not
// overlap and do not depend on how many other streams exist.
inline std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t stream) {
  SplitMix64 mixer(seed ^ (stream * 0xD1B54A32D192ED03ull));
  return mixer.next();
}

}  // namespace pipewise::exec
