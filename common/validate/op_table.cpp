#include "common/validate/op_table.hpp"

#include <algorithm>

#include "common/validate/placement.hpp"

namespace pipewise {
namespace {

bool known_kind(OpKind kind) { return static_cast<int>(kind) < kOpKindCount; }

bool known_op(const Op& op) { return known_kind(op.kind) && (op.flags & ~kKnownOpFlags) == 0; }

SlotNodes empty_slot() {
  SlotNodes slot;
  slot.nodes.fill(kNoNode);
  return slot;
}

std::string where(Place place) {
  return "device " + std::to_string(place.device) + " position " + std::to_string(place.position);
}

}  // namespace

OpTable::OpTable(const Schedule& schedule, IssueLog& log) : schedule_(&schedule) {
  const Problem& problem = schedule.problem;
  first_node_.reserve(schedule.programs.size() + 1);
  first_node_.push_back(0);
  for (const auto& program : schedule.programs) {
    first_node_.push_back(first_node_.back() + static_cast<std::uint32_t>(program.size()));
  }
  slot_count_ = std::uint64_t{problem.stages()} * problem.iterations * problem.microbatches;
  dense_ = slot_count_ <= node_count();
  if (!dense_) {
    for (const auto& program : schedule.programs) {
      for (const Op& op : program) {
        if (in_problem(op)) {
          present_slots_.push_back(slot_of(op.stage, op.iteration, op.microbatch));
        }
      }
    }
    std::sort(present_slots_.begin(), present_slots_.end());
    present_slots_.erase(std::unique(present_slots_.begin(), present_slots_.end()),
                         present_slots_.end());
  }
  rows_.assign(dense_ ? slot_count_ : present_slots_.size(), empty_slot());

  for (std::uint32_t device = 0; device < schedule.programs.size(); ++device) {
    const auto& program = schedule.programs[device];
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      const Place here{device, position};
      if (const char* rule = placement_rule(problem, device, op)) {
        log.report(rule, [&] { return placement_message(problem, device, position, op); });
        // Ops outside the problem have no slot to index; the others are indexed so that the
        // coverage and communication rules still see them.
        if (!in_problem(op)) continue;
      } else if (const char* overlap = overlap_rule(program, position)) {
        log.report(overlap, [&] { return overlap_message(problem, device, program, position); });
      }
      if (is_fsdp(op.kind)) continue;  // no micro-batch: nothing to index
      const std::uint32_t node = first_node_[device] + static_cast<std::uint32_t>(position);
      std::uint32_t& entry = rows_[row_of_slot(slot_of(op.stage, op.iteration, op.microbatch))]
                                 .nodes[static_cast<int>(op.kind)];
      if (entry == kNoNode) {
        entry = node;
        continue;
      }
      log.report("duplicate-op", [&] {
        const Place first = place(entry);
        const std::string places = first.device == device
                                       ? "device " + std::to_string(device) + " positions " +
                                             std::to_string(first.position) + " and " +
                                             std::to_string(position)
                                       : where(first) + " and " + where(here);
        return identify(op) + " appears twice (" + places + ")";
      });
    }
  }
}

Place OpTable::place(std::uint32_t node) const {
  const auto after = std::upper_bound(first_node_.begin(), first_node_.end(), node);
  const auto device = static_cast<std::uint32_t>(after - first_node_.begin() - 1);
  return {device, std::size_t{node - first_node_[device]}};
}

const Op& OpTable::op(std::uint32_t node) const {
  const Place where = place(node);
  return schedule_->programs[where.device][where.position];
}

bool OpTable::in_problem(const Op& op) const {
  return known_op(op) && inside_problem(schedule_->problem, op);
}

bool OpTable::owns(std::uint32_t device, std::uint32_t stage) const {
  const Problem& problem = schedule_->problem;
  return device < problem.devices && problem.device_of_stage(stage) == device;
}

std::uint32_t OpTable::find(OpKind kind, std::uint32_t stage, std::uint32_t iteration,
                            std::uint32_t microbatch) const {
  const Problem& problem = schedule_->problem;
  if (stage >= problem.stages() || iteration >= problem.iterations ||
      microbatch >= problem.microbatches) {
    return kNoNode;
  }
  const std::size_t row = row_of_slot(slot_of(stage, iteration, microbatch));
  return row < rows_.size() ? rows_[row].of(kind) : kNoNode;
}

std::uint32_t OpTable::find_input_grad_producer(std::uint32_t stage, std::uint32_t iteration,
                                                std::uint32_t microbatch) const {
  const std::uint32_t backward = find(OpKind::Backward, stage, iteration, microbatch);
  return backward != kNoNode ? backward : find(OpKind::BackwardInput, stage, iteration, microbatch);
}

SlotKey OpTable::key_of_slot(std::uint64_t slot) const {
  const Problem& problem = schedule_->problem;
  const auto microbatch = static_cast<std::uint32_t>(slot % problem.microbatches);
  slot /= problem.microbatches;
  const auto iteration = static_cast<std::uint32_t>(slot % problem.iterations);
  return {static_cast<std::uint32_t>(slot / problem.iterations), iteration, microbatch};
}

std::string OpTable::label(const Op& op) const {
  if (!known_kind(op.kind))
    return "op of unknown kind " + std::to_string(static_cast<int>(op.kind));
  return op_label(op, schedule_->problem.microbatches);
}

std::string OpTable::identify(const Op& op) const {
  if (op.kind != OpKind::OptimizerStep) return label(op);
  return label(op) + " (after micro-batch " + std::to_string(op.microbatch) + " of iteration " +
         std::to_string(op.iteration) + ")";
}

std::string OpTable::describe(std::uint32_t node) const {
  return "d" + std::to_string(place(node).device) + ":" + label(op(node));
}

std::uint64_t OpTable::slot_of(std::uint32_t stage, std::uint32_t iteration,
                               std::uint32_t microbatch) const {
  const Problem& problem = schedule_->problem;
  return (std::uint64_t{stage} * problem.iterations + iteration) * problem.microbatches +
         microbatch;
}

std::size_t OpTable::row_of_slot(std::uint64_t slot) const {
  if (dense_) return static_cast<std::size_t>(slot);
  const auto found = std::lower_bound(present_slots_.begin(), present_slots_.end(), slot);
  if (found == present_slots_.end() || *found != slot) return rows_.size();
  return static_cast<std::size_t>(found - present_slots_.begin());
}

}  // namespace pipewise
