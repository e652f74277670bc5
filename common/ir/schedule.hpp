#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "common/ir/op.hpp"
#include "common/ir/problem.hpp"

namespace pipewise {

// A schedule: for each device, the ordered list of ops it runs (its program).
// Dependencies between ops are not stored; they follow from the ops themselves
// (see dependencies.hpp). `name` is the generator that made it, or "custom".
struct Schedule {
  std::string name = "custom";
  Problem problem;
  std::vector<std::vector<Op>> programs;  // programs[d] is device d's program

  std::size_t op_count() const;
  // True when the programs carry explicit send/recv ops (see lower.hpp).
  bool is_lowered() const;

  friend bool operator==(const Schedule&, const Schedule&) = default;
};

}  // namespace pipewise
