#include <iterator>

#include <fmt/format.h>

#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"

namespace pipewise {

std::string schedule_to_pytorch_text(const Schedule& schedule, bool pytorch_compatible) {
  const Problem& problem = schedule.problem;
  std::string out;
  out.reserve(64 + schedule.op_count() * 8);
  if (!pytorch_compatible) {
    if (schedule.name.find_first_of("\r\n") != std::string::npos) {
      throw Error("the text form cannot hold a schedule name with a line break");
    }
    fmt::format_to(std::back_inserter(out), "# pipewise p={} v={} m={} n={} placement={} name={}\n",
                   problem.devices, problem.chunks, problem.microbatches, problem.iterations,
                   placement_name(problem.placement), schedule.name);
  }
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    bool first = true;
    for (const Op& op : schedule.programs[device]) {
      if (static_cast<int>(op.kind) >= kOpKindCount) {
        throw Error("cannot write device " + std::to_string(device) + ": op of unknown kind " +
                    std::to_string(static_cast<int>(op.kind)));
      }
      if (pytorch_compatible && op.kind == OpKind::OptimizerStep) continue;
      if (!first) out += ',';
      out += op_label(op, problem.microbatches);
      first = false;
    }
    out += '\n';
  }
  return out;
}

}  // namespace pipewise
