#include "exec/core/weight_version_guard.hpp"

#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec {

WeightVersionGuard::WeightVersionGuard(const Problem& problem)
    : microbatches_(problem.microbatches),
      stages_(problem.stages()),
      newest_(problem.stages(), 0) {
  in_flight_.reserve(std::size_t{problem.microbatches} * problem.chunks + problem.devices);
}

std::uint64_t WeightVersionGuard::key(const Op& op) const {
  const std::uint64_t microbatch = std::uint64_t{op.iteration} * microbatches_ + op.microbatch;
  return microbatch * stages_ + op.stage;
}

WeightVersionGuard::InFlight* WeightVersionGuard::find(std::uint64_t key) {
  for (InFlight& entry : in_flight_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

void WeightVersionGuard::admit(const Op& op) {
  switch (op.kind) {
    case OpKind::Forward: {
      if (op.weight_version != newest_[op.stage]) {
        throw Error("reads weight version " + std::to_string(op.weight_version) +
                    " but the newest version of its stage is " + std::to_string(newest_[op.stage]));
      }
      const std::uint64_t k = key(op);
      if (find(k) != nullptr) throw Error("a second forward of the same micro-batch and stage");
      in_flight_.push_back({k, op.weight_version});
      return;
    }
    case OpKind::Backward:
    case OpKind::BackwardInput:
    case OpKind::BackwardWeight: {
      InFlight* entry = find(key(op));
      if (entry == nullptr) {
        throw Error("no forward of this micro-batch and stage ran before it on this device");
      }
      if (op.weight_version != entry->version) {
        throw Error("reads weight version " + std::to_string(op.weight_version) +
                    " but its forward read version " + std::to_string(entry->version) +
                    " (weight stashing)");
      }
      if (op.kind != OpKind::BackwardInput) {
        *entry = in_flight_.back();
        in_flight_.pop_back();
      }
      return;
    }
    case OpKind::OptimizerStep:
      if (op.weight_version != newest_[op.stage]) {
        throw Error("replaces weight version " + std::to_string(op.weight_version) +
                    " but the newest version of its stage is " + std::to_string(newest_[op.stage]));
      }
      ++newest_[op.stage];
      return;
    default:
      return;
  }
}

}  // namespace pipewise::exec
