#pragma once
// Hand-written programs for the transfer-planning tests: "F0 SEND_F0 RECV_B0 B0".
#include <cctype>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "common/ir/weight_versions.hpp"

namespace pipewise::exec::cuda::testing {

// One device's program from text: "F0 F1 B0 B1 STEP" for `stage` (compute and steps only),
// or with explicit sends and receives: "F0 SEND_F0 RECV_B0 B0".
inline std::vector<Op> program(std::uint16_t stage, const std::string& text) {
  std::vector<Op> ops;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    Op op;
    op.stage = stage;
    std::string kind = word;
    while (!kind.empty() && std::isdigit(static_cast<unsigned char>(kind.back()))) kind.pop_back();
    if (kind != "STEP") op.microbatch = static_cast<std::uint32_t>(std::stoul(word.substr(kind.size())));
    bool found = false;
    for (int k = 0; k < kOpKindCount && !found; ++k) {
      if (op_kind_name(static_cast<OpKind>(k)) != kind) continue;
      op.kind = static_cast<OpKind>(k);
      found = true;
    }
    if (!found) throw std::invalid_argument("bad op " + word);
    ops.push_back(op);
  }
  return ops;
}

inline Schedule two_devices(std::uint32_t microbatches, const std::string& device0, const std::string& device1) {
  Schedule schedule;
  schedule.problem.devices = 2;
  schedule.problem.microbatches = microbatches;
  schedule.programs = {program(0, device0), program(1, device1)};
  assign_weight_versions(schedule);
  return schedule;
}

}  // namespace pipewise::exec::cuda::testing
