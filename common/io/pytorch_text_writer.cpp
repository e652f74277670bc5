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
  if (pytorch_compatible && problem.bidirectional()) {
    throw Error("PyTorch pipelining has no bidirectional placement (two model copies, as "
                "dualpipe runs): write it without --pytorch-compatible, or use dualpipe-v");
  }
  // PyTorch accepts REDUCE_GRAD only in a lowered (compute and comms) schedule; its lowering
  // of a compute-only one adds its own after each stage's last backward.
  const bool reduce_grad = pytorch_compatible && schedule.is_lowered();
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    const auto& program = schedule.programs[device];
    bool first = true;
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      if (static_cast<int>(op.kind) >= kOpKindCount) {
        throw Error("cannot write device " + std::to_string(device) + ": op of unknown kind " +
                    std::to_string(static_cast<int>(op.kind)));
      }
      if (pytorch_compatible && op.kind == OpKind::OptimizerStep && !reduce_grad) continue;
      if (!first) out += ',';
      first = false;
      if (op.kind == OpKind::OptimizerStep && reduce_grad) {
        out += std::to_string(op.stage) + "REDUCE_GRAD";
      } else if (overlaps_next(op) && position + 1 < program.size()) {
        out += '(' + op_label(op, problem.microbatches) + ';' +
               op_label(program[position + 1], problem.microbatches) + ")OVERLAP_F_B";
        ++position;
      } else {
        out += op_label(op, problem.microbatches);
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace pipewise
