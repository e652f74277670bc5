#pragma once
#include <cstdint>
#include <vector>

#include "common/ir/op.hpp"
#include "common/ir/problem.hpp"

namespace pipewise::exec {

// Checks, op by op on one device, that the schedule's weight versions are the ones weight
// stashing requires: a forward reads the newest version of its stage; B, I and W read the
// version their forward read; an optimizer step replaces the newest version. Allocates
// only while the number of in-flight micro-batches grows past its previous maximum.
class WeightVersionGuard {
 public:
  explicit WeightVersionGuard(const Problem& problem);
  // Checks compute and step ops (others pass) and records what they imply. Throws
  // pipewise::Error naming the version read and the version required.
  void admit(const Op& op);

 private:
  struct InFlight {
    std::uint64_t key;
    std::uint32_t version;
  };
  std::uint64_t key(const Op& op) const;
  InFlight* find(std::uint64_t key);

  std::uint32_t microbatches_;
  std::uint32_t stages_;
  std::vector<std::uint32_t> newest_;  // per stage
  std::vector<InFlight> in_flight_;    // forwards whose backward has not finished
};

}  // namespace pipewise::exec
