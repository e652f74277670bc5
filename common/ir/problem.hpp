#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ir/status.hpp"

namespace pipewise {

// How the p·v model stages are laid out on the p devices.
enum class Placement : std::uint8_t {
  Looped,  // stage s on device s mod p (Megatron interleaving; v = 1 is the plain pipeline)
  VShape,  // v = 2 only: stage s on device s for s < p, else on device 2p-1-s
};
std::string_view placement_name(Placement placement);
// Throws pipewise::Error for anything but "looped" or "v-shape".
Placement placement_from_name(std::string_view name);

// The shape of a pipeline problem. Every schedule is generated for, and validated
// against, one of these.
struct Problem {
  std::uint32_t devices = 1;        // p
  std::uint32_t chunks = 1;         // v, model chunks per device
  std::uint32_t microbatches = 1;   // m, per iteration
  std::uint32_t iterations = 1;     // n, training steps in the schedule
  Placement placement = Placement::Looped;

  std::uint32_t stages() const { return devices * chunks; }
  // Device that runs `stage`. REQUIRES: stage < stages(), the problem is valid.
  std::uint32_t device_of_stage(std::uint32_t stage) const {
    if (placement == Placement::VShape && stage >= devices) return 2 * devices - 1 - stage;
    return stage % devices;
  }
  // The first broken rule, if any: zero sizes, V-shape with v != 2, more than 65536
  // stages, sizes whose op count overflows.
  Status validity() const;
  // Throws pipewise::Error naming the first broken rule (validity()).
  void check() const { validity().throw_if_failed(); }

  friend bool operator==(const Problem&, const Problem&) = default;
};

// The sizes of `problem` as the CLI and messages show them: "p=4 v=2 m=8 n=1".
std::string problem_sizes(const Problem& problem);

}  // namespace pipewise
