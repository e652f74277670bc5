#include "common/ir/schedule.hpp"

namespace pipewise {

std::size_t Schedule::op_count() const {
  std::size_t count = 0;
  for (const auto& program : programs) count += program.size();
  return count;
}

bool Schedule::is_lowered() const {
  for (const auto& program : programs) {
    for (const Op& op : program) {
      if (is_communication(op.kind)) return true;
    }
  }
  return false;
}

}  // namespace pipewise
