#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "common/validate/issue_log.hpp"

namespace pipewise {

inline constexpr std::uint32_t kNoNode = ~std::uint32_t{0};

// The ops of one (stage, iteration, micro-batch): the node of the first op of each kind,
// kNoNode where there is none.
struct SlotNodes {
  std::array<std::uint32_t, kOpKindCount> nodes;
  std::uint32_t of(OpKind kind) const { return nodes[static_cast<int>(kind)]; }
  bool has(OpKind kind) const { return of(kind) != kNoNode; }
};

// Where an op sits in the schedule.
struct Place {
  std::uint32_t device;
  std::size_t position;
};

// Identifies a (stage, iteration, micro-batch) of the problem.
struct SlotKey {
  std::uint32_t stage;
  std::uint32_t iteration;
  std::uint32_t microbatch;
};

// Numbers every op of a schedule as a graph node (device-major: device d's op at position k
// is node first_node(d) + k) and indexes the ops by (stage, iteration, micro-batch, kind).
// Slots are stored densely when the problem has no more slots than the schedule has ops
// (always so for a complete schedule), and otherwise only the slots that hold an op are
// stored, so memory stays proportional to the op count even for a schedule that claims a
// huge problem.
class OpTable {
 public:
  // Builds the table, reporting to `log` each op that breaks a placement rule
  // (placement.hpp: "out-of-range", "wrong-device", "bad-comm") and each second op of the
  // same kind and slot ("duplicate-op"). Ops outside the problem and duplicates stay out of
  // the index. REQUIRES: the problem is valid and the schedule has fewer than kNoNode ops.
  OpTable(const Schedule& schedule, IssueLog& log);

  const Schedule& schedule() const { return *schedule_; }
  const Problem& problem() const { return schedule_->problem; }
  std::uint32_t node_count() const { return first_node_.back(); }
  std::uint32_t first_node(std::uint32_t device) const { return first_node_[device]; }
  Place place(std::uint32_t node) const;
  const Op& op(std::uint32_t node) const;
  // True when the op's kind is known and its stage, iteration and micro-batch lie inside
  // the problem.
  bool in_problem(const Op& op) const;
  // True when `device` owns `stage` (device < p and problem.device_of_stage(stage) == device).
  bool owns(std::uint32_t device, std::uint32_t stage) const;

  // The node of the `kind` op of (stage, iteration, micro-batch); kNoNode when there is none
  // or the key lies outside the problem.
  std::uint32_t find(OpKind kind, std::uint32_t stage, std::uint32_t iteration,
                     std::uint32_t microbatch) const;
  // The node of the `kind` op with the stage, iteration and micro-batch of `key`.
  std::uint32_t find(OpKind kind, const Op& key) const {
    return find(kind, key.stage, key.iteration, key.microbatch);
  }
  // The node that produces the input gradient of (stage, iteration, micro-batch): its B,
  // else its I, else kNoNode.
  std::uint32_t find_input_grad_producer(std::uint32_t stage, std::uint32_t iteration,
                                         std::uint32_t microbatch) const;

  // Number of (stage, iteration, micro-batch) slots of the problem: p*v * n * m.
  std::uint64_t slot_count() const { return slot_count_; }
  // Number of stored slots, in increasing slot order; slot_of_row(r) is the r-th.
  std::size_t row_count() const { return rows_.size(); }
  std::uint64_t slot_of_row(std::size_t row) const { return dense_ ? row : present_slots_[row]; }
  const SlotNodes& row(std::size_t row) const { return rows_[row]; }
  SlotKey key_of_slot(std::uint64_t slot) const;

  // "1F3": op_label with this problem's micro-batch count.
  std::string label(const Op& op) const;
  // The label, plus for an optimizer step the micro-batch and iteration it is dated to,
  // which its label omits: "0STEP (after micro-batch 7 of iteration 0)".
  std::string identify(const Op& op) const;
  // "d1:1F3": the device and label of a node, as deadlock cycles print them.
  std::string describe(std::uint32_t node) const;

 private:
  std::uint64_t slot_of(std::uint32_t stage, std::uint32_t iteration,
                        std::uint32_t microbatch) const;
  // The row of `slot`, or rows_.size() when the slot is not stored.
  std::size_t row_of_slot(std::uint64_t slot) const;

  const Schedule* schedule_;
  std::vector<std::uint32_t> first_node_;  // p' + 1 entries for the p' programs
  std::uint64_t slot_count_ = 0;
  bool dense_ = true;
  std::vector<std::uint64_t> present_slots_;  // sorted; only when !dense_
  std::vector<SlotNodes> rows_;
};

}  // namespace pipewise
