#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/ir/schedule.hpp"

namespace pipewise::exec {

// Version `version` of `stage` can be freed once op `after_position` of the device ran.
struct WeightRelease {
  std::size_t after_position = 0;
  std::uint32_t stage = 0;
  std::uint32_t version = 0;
  friend bool operator==(const WeightRelease&, const WeightRelease&) = default;
};

// When one device creates and frees weight versions, read from its program.
struct DeviceWeightLifetimes {
  // Per program position: 1 at an OptimizerStep whose old version is still read by a later
  // op (the step must keep it and write the new version elsewhere), 0 elsewhere.
  std::vector<std::uint8_t> keep_previous;
  // The kept versions, freed after their last reader; sorted by position.
  std::vector<WeightRelease> releases;
};

// Per device, the weight-version lifetimes the schedule implies under weight stashing
// (the rules of weight_versions.hpp): version k of stage s is read by every op of s that
// names k; the step that replaces k keeps it when a reader follows, and it is released
// after its last reader. The newest version is never released. Throws pipewise::Error
// when an optimizer step does not replace the stage's newest version (steps of a stage
// must replace versions 0, 1, 2, ... in program order) or an op names a version that the
// stage never reaches.
std::vector<DeviceWeightLifetimes> plan_weight_lifetimes(const Schedule& schedule);

}  // namespace pipewise::exec
