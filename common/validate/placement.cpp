#include "common/validate/placement.hpp"

#include "common/ir/dependencies.hpp"

namespace pipewise {
namespace {

constexpr const char* kOutOfRange = "out-of-range";
constexpr const char* kWrongDevice = "wrong-device";
constexpr const char* kBadComm = "bad-comm";
constexpr const char* kBadOverlap = "bad-overlap";

std::string where(std::uint32_t device, std::size_t position) {
  return "device " + std::to_string(device) + " position " + std::to_string(position);
}

// The op's label, and for an optimizer step the micro-batch and iteration it is dated to,
// which its label omits.
std::string identify(const Op& op, const Problem& problem) {
  const std::string label = op_label(op, problem.microbatches);
  if (op.kind != OpKind::OptimizerStep) return label;
  return label + " (after micro-batch " + std::to_string(op.microbatch) + " of iteration " +
         std::to_string(op.iteration) + ")";
}

bool known_kind(const Op& op) {
  return static_cast<int>(op.kind) < kOpKindCount && (op.flags & ~kKnownOpFlags) == 0;
}

bool in_range(const Problem& problem, const Op& op) {
  return op.stage < problem.stages() && op.iteration < problem.iterations &&
         op.microbatch < problem.microbatches;
}

std::string outside_message(const Problem& problem, std::uint32_t device, std::size_t position,
                            const Op& op) {
  std::string what;
  if (in_range(problem, op)) {  // a micro-batch of the other copy (bidirectional placement)
    return identify(op, problem) + " at " + where(device, position) + " names micro-batch " +
           std::to_string(op.microbatch) + ", which the other copy runs (bidirectional: stages < " +
           std::to_string(problem.devices) + " run micro-batches < " +
           std::to_string(problem.microbatches / 2) + ")";
  }
  if (op.stage >= problem.stages()) {
    what = "stage " + std::to_string(op.stage) + " but p*v = " + std::to_string(problem.stages());
  } else if (op.iteration >= problem.iterations) {
    what = "iteration " + std::to_string(op.iteration) +
           " but n = " + std::to_string(problem.iterations);
  } else {
    what = "micro-batch " + std::to_string(op.microbatch) +
           " but m = " + std::to_string(problem.microbatches);
  }
  return std::string(op_kind_name(op.kind)) + " at " + where(device, position) + " names " + what;
}

std::string communication_message(const Problem& problem, std::uint32_t device, const Op& op) {
  const std::uint32_t peer = peer_stage(op);
  const std::string on_device =
      op_label(op, problem.microbatches) + " on device " + std::to_string(device);
  if (!has_peer_stage(op, problem)) {
    const bool forward_end = op.kind == OpKind::SendActivation || op.kind == OpKind::RecvGrad;
    return on_device + " has no peer: stage " + std::to_string(op.stage) + " is the " +
           (forward_end ? "last" : "first") + " stage" +
           (problem.bidirectional() ? " of its pipeline" : "");
  }
  return on_device + " connects stages " + std::to_string(op.stage) + " and " +
         std::to_string(peer) + ", which share device " +
         std::to_string(problem.device_of_stage(peer)) +
         ": a same-device boundary needs no send or recv";
}

}  // namespace

std::optional<ValidationIssue> problem_issue(const Problem& problem) {
  const Status validity = problem.validity();
  if (validity.ok()) return std::nullopt;
  return ValidationIssue{kOutOfRange, "problem: " + validity.reason()};
}

std::optional<ValidationIssue> program_count_issue(const Schedule& schedule) {
  const std::size_t programs = schedule.programs.size();
  if (programs == schedule.problem.devices) return std::nullopt;
  return ValidationIssue{kOutOfRange, std::to_string(programs) +
                                          (programs == 1 ? " program" : " programs") +
                                          " for p = " + std::to_string(schedule.problem.devices) +
                                          " devices"};
}

bool inside_problem(const Problem& problem, const Op& op) {
  return in_range(problem, op) &&
         (is_fsdp(op.kind) || problem.runs_microbatch(op.stage, op.microbatch));
}

const char* placement_rule(const Problem& problem, std::uint32_t device, const Op& op) {
  if (!known_kind(op) || !inside_problem(problem, op)) return kOutOfRange;
  if (device >= problem.devices || problem.device_of_stage(op.stage) != device) return kWrongDevice;
  if (overlaps_next(op) && op.kind != OpKind::Forward) return kBadOverlap;
  if (!is_communication(op.kind)) return nullptr;
  if (!has_peer_stage(op, problem) || problem.device_of_stage(peer_stage(op)) == device) {
    return kBadComm;
  }
  return nullptr;
}

const char* overlap_rule(const std::vector<Op>& program, std::size_t position) {
  const Op& op = program[position];
  if (!overlaps_next(op) || op.kind != OpKind::Forward) return nullptr;
  if (position + 1 >= program.size()) return kBadOverlap;
  const Op& partner = program[position + 1];
  if (!produces_input_grad(partner.kind)) return kBadOverlap;
  if (partner.stage == op.stage && partner.microbatch == op.microbatch &&
      partner.iteration == op.iteration) {
    return kBadOverlap;
  }
  return nullptr;
}

std::string overlap_message(const Problem& problem, std::uint32_t device,
                            const std::vector<Op>& program, std::size_t position) {
  const Op& op = program[position];
  const std::string marked = op_label(op, problem.microbatches) + " at " + where(device, position);
  if (op.kind != OpKind::Forward) return marked + " is marked to overlap, but only a forward can be";
  if (position + 1 >= program.size()) {
    return marked + " is marked to overlap with the next op, but it ends its program";
  }
  const Op& partner = program[position + 1];
  const std::string next = known_kind(partner) ? op_label(partner, problem.microbatches)
                                               : std::string("an op of unknown kind");
  if (!produces_input_grad(partner.kind)) {
    return marked + " is marked to overlap with the next op, " + next + ", which is not a B or an I";
  }
  return marked + " is marked to overlap with " + next +
         ", its own backward, which needs the forward's output";
}

std::string placement_message(const Problem& problem, std::uint32_t device, std::size_t position,
                              const Op& op) {
  if (!known_kind(op)) {
    if (static_cast<int>(op.kind) < kOpKindCount) {
      return op_label(op, problem.microbatches) + " at " + where(device, position) +
             " has unknown flags " + std::to_string(op.flags);
    }
    return "the op at " + where(device, position) + " has unknown kind " +
           std::to_string(static_cast<int>(op.kind));
  }
  if (!inside_problem(problem, op)) return outside_message(problem, device, position, op);
  if (device >= problem.devices || problem.device_of_stage(op.stage) != device) {
    return identify(op, problem) + " runs on device " + std::to_string(device) + ", but stage " +
           std::to_string(op.stage) + " belongs to device " +
           std::to_string(problem.device_of_stage(op.stage));
  }
  if (overlaps_next(op) && op.kind != OpKind::Forward) {
    return op_label(op, problem.microbatches) + " at " + where(device, position) +
           " is marked to overlap, but only a forward can be";
  }
  return communication_message(problem, device, op);
}

Status check_structure(const Schedule& schedule) {
  const Problem& problem = schedule.problem;
  for (const auto& issue : {problem_issue(problem), program_count_issue(schedule)}) {
    if (issue) return Status::failure(format_issue(*issue));
  }
  for (std::uint32_t device = 0; device < problem.devices; ++device) {
    const auto& program = schedule.programs[device];
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      if (const char* rule = placement_rule(problem, device, op)) [[unlikely]] {
        return Status::failure(format_issue({rule, placement_message(problem, device, position, op)}));
      }
      if (overlaps_next(op) && overlap_rule(program, position) != nullptr) [[unlikely]] {
        return Status::failure(
            format_issue({kBadOverlap, overlap_message(problem, device, program, position)}));
      }
    }
  }
  return {};
}

}  // namespace pipewise
