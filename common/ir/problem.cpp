#include "common/ir/problem.hpp"

#include <string>

#include "common/ir/error.hpp"

namespace pipewise {

std::string_view placement_name(Placement placement) {
  switch (placement) {
    case Placement::VShape: return "v-shape";
    case Placement::Bidirectional: return "bidirectional";
    default: return "looped";
  }
}

Placement placement_from_name(std::string_view name) {
  if (name == "looped") return Placement::Looped;
  if (name == "v-shape") return Placement::VShape;
  if (name == "bidirectional") return Placement::Bidirectional;
  throw Error("unknown placement \"" + std::string(name) +
              "\" (expected looped, v-shape or bidirectional)");
}

Status Problem::validity() const {
  if (devices == 0) return Status::failure("devices (p) must be at least 1");
  if (chunks == 0) return Status::failure("chunks per device (v) must be at least 1");
  if (microbatches == 0) return Status::failure("micro-batches (m) must be at least 1");
  if (iterations == 0) return Status::failure("iterations (n) must be at least 1");
  if (std::uint64_t{devices} * chunks > 65536) {
    return Status::failure("p*v = " + std::to_string(std::uint64_t{devices} * chunks) +
                           " stages is more than the 65536 the IR supports");
  }
  if (placement != Placement::Looped && chunks != 2) {
    return Status::failure(std::string(placement_name(placement)) +
                           " placement needs exactly 2 chunks per device, got v = " +
                           std::to_string(chunks));
  }
  if (bidirectional() && microbatches % 2 != 0) {
    return Status::failure(
        "bidirectional placement feeds half the micro-batches from each end: m must be even "
        "(got m=" + std::to_string(microbatches) + ")");
  }
  const std::uint64_t microbatch_total = std::uint64_t{microbatches} * iterations;
  if (microbatch_total > (std::uint64_t{1} << 32)) {
    return Status::failure("m*n = " + std::to_string(microbatch_total) +
                           " micro-batches is more than 2^32");
  }
  return {};
}

std::string problem_sizes(const Problem& problem) {
  return "p=" + std::to_string(problem.devices) + " v=" + std::to_string(problem.chunks) +
         " m=" + std::to_string(problem.microbatches) + " n=" + std::to_string(problem.iterations);
}

}  // namespace pipewise
