#pragma once
#include <cstdint>
#include <vector>

#include "common/ir/schedule.hpp"

namespace pipewise {

// Fills in every op's weight_version from program order, by the rules the validator
// checks: an OptimizerStep of stage s replaces version k, where k counts the earlier
// steps of s; F(s, j) reads the newest version of s at its place in the program; B, I
// and W of (s, j), and the sends and recvs around them, read the version F(s, j) read
// (weight stashing). Used by generators and by parsers of forms that carry no versions.
// Throws pipewise::Error when a backward op comes before its forward in the program.
void assign_weight_versions(Schedule& schedule);

// For each device, the largest number of weight versions of any one of its stages that
// must be held at once (1 for flushed schedules, up to p - s for PipeDream's stage s,
// 2 for PipeDream-2BW). A version is held from the step that creates it until the last
// op that reads it, or until it is replaced, whichever is later. Throws pipewise::Error
// naming an op whose version no program of its size can have made (validate_schedule
// reports such schedules before it asks).
std::vector<std::uint32_t> weight_versions_held(const Schedule& schedule);

}  // namespace pipewise
