#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ir/status.hpp"

namespace pipewise {

// How the p·v stages are laid out on the p devices.
enum class Placement : std::uint8_t {
  Looped,  // stage s on device s mod p (Megatron interleaving; v = 1 is the plain pipeline)
  VShape,  // v = 2 only: stage s on device s for s < p, else on device 2p-1-s
  // v = 2, m even: two copies of a p-stage model fed from both ends (DualPipe,
  // DeepSeek-V3 §3.2.1). Stages 0..p-1 are the copy fed at device 0 and run micro-batches
  // 0..m/2-1; stages p..2p-1 are the copy fed at device p-1 (stage p+s is model stage s,
  // on device p-1-s) and run micro-batches m/2..m-1. Each copy is a pipeline of its own:
  // stage p takes the model input and stage p-1 computes a loss. Stage s and its mirror
  // (mirror_stage) hold the same parameters and apply the sum of both copies' gradients.
  // A stage is a whole device share, so every device holds two shares of parameters.
  Bidirectional,
};
std::string_view placement_name(Placement placement);
// Throws pipewise::Error for anything but "looped", "v-shape" or "bidirectional".
Placement placement_from_name(std::string_view name);

// The shape of a pipeline problem. Every schedule is generated for, and validated
// against, one of these.
struct Problem {
  std::uint32_t devices = 1;        // p
  std::uint32_t chunks = 1;         // v, model chunks per device
  std::uint32_t microbatches = 1;   // m, per iteration
  std::uint32_t iterations = 1;     // n, training steps in the schedule
  Placement placement = Placement::Looped;

  // Stages of the schedule, p·v: every stage has its own ops (and, with bidirectional
  // placement, two stages hold each model stage).
  std::uint32_t stages() const { return devices * chunks; }
  // Device that runs `stage`. REQUIRES: stage < stages(), the problem is valid.
  std::uint32_t device_of_stage(std::uint32_t stage) const {
    if (placement != Placement::Looped && stage >= devices) return 2 * devices - 1 - stage;
    return stage % devices;
  }
  bool bidirectional() const { return placement == Placement::Bidirectional; }
  // Distinct model stages: p for bidirectional placement, else p·v.
  std::uint32_t model_stages() const { return bidirectional() ? devices : stages(); }
  // The model stage `stage` computes. REQUIRES: stage < stages().
  std::uint32_t model_stage_of(std::uint32_t stage) const {
    return bidirectional() && stage >= devices ? stage - devices : stage;
  }
  // The other copy of `stage`'s model stage. REQUIRES: bidirectional(), stage < stages().
  std::uint32_t mirror_stage(std::uint32_t stage) const {
    return stage >= devices ? stage - devices : stage + devices;
  }
  // How many stages share one device's share of the model (its time, parameters and
  // activations at v = 1): v, or 1 for bidirectional placement, whose stages are each a
  // whole share.
  std::uint32_t stages_per_device_share() const { return bidirectional() ? 1 : chunks; }
  // True when `stage` takes the model input (its F has no producer): stage 0, and stage p
  // with bidirectional placement.
  bool starts_pipeline(std::uint32_t stage) const {
    return stage == 0 || (bidirectional() && stage == devices);
  }
  // True when `stage` computes the loss (its B or I has no producer): the last stage, and
  // stage p-1 with bidirectional placement.
  bool ends_pipeline(std::uint32_t stage) const {
    return stage + 1 == stages() || (bidirectional() && stage + 1 == devices);
  }
  // Whether `stage` runs `microbatch` (0..m-1): always, except with bidirectional
  // placement, where each copy runs its half.
  bool runs_microbatch(std::uint32_t stage, std::uint32_t microbatch) const {
    return !bidirectional() || (stage < devices) == (microbatch < microbatches / 2);
  }
  // The first broken rule, if any: zero sizes, V-shape or bidirectional placement with
  // v != 2, bidirectional placement with an odd m, more than 65536 stages, sizes
  // whose op count overflows.
  Status validity() const;
  // Throws pipewise::Error naming the first broken rule (validity()).
  void check() const { validity().throw_if_failed(); }

  friend bool operator==(const Problem&, const Problem&) = default;
};

// The sizes of `problem` as the CLI and messages show them: "p=4 v=2 m=8 n=1".
std::string problem_sizes(const Problem& problem);

}  // namespace pipewise
