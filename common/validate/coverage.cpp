#include <algorithm>
#include <string>

#include "common/validate/checks.hpp"

namespace pipewise {
namespace {

std::string slot_text(SlotKey key) {
  return "stage " + std::to_string(key.stage) + ", micro-batch " + std::to_string(key.microbatch) +
         ", iteration " + std::to_string(key.iteration);
}

void report_missing_forward(SlotKey key, IssueLog& log) {
  log.report("missing-op", [&] { return "no forward (F) for " + slot_text(key); });
}

void report_missing_backward(SlotKey key, IssueLog& log) {
  log.report("missing-op", [&] { return "no backward (B or I+W) for " + slot_text(key); });
}

// Slots in [0, slot) whose stage runs their micro-batch (Problem::runs_microbatch): all of
// them, or with bidirectional placement half of each stage's.
std::uint64_t run_slots_before(const Problem& problem, std::uint64_t slot) {
  if (!problem.bidirectional()) return slot;
  const std::uint64_t m = problem.microbatches;
  const std::uint64_t half = m / 2;
  const std::uint64_t rows = slot / m;  // (stage, iteration) rows
  const std::uint64_t rest = slot % m;
  const std::uint64_t stage = rows / problem.iterations;
  const std::uint64_t partial =
      stage < problem.devices ? std::min(rest, half) : (rest > half ? rest - half : 0);
  return rows * half + partial;
}

// Slots in [first, end) hold no op at all: each one its stage runs misses its F and its
// backward.
void report_empty_slots(const OpTable& table, std::uint64_t first, std::uint64_t end,
                        IssueLog& log) {
  const Problem& problem = table.problem();
  for (std::uint64_t slot = first; slot < end; ++slot) {
    const SlotKey key = table.key_of_slot(slot);
    if (!problem.runs_microbatch(key.stage, key.microbatch)) continue;
    if (log.full("missing-op")) {
      log.report_unshown("missing-op",
                         2 * (run_slots_before(problem, end) - run_slots_before(problem, slot)));
      return;
    }
    report_missing_forward(key, log);
    report_missing_backward(key, log);
  }
}

void check_slot(const OpTable& table, SlotKey key, const SlotNodes& slot, IssueLog& log) {
  if (!slot.has(OpKind::Forward)) report_missing_forward(key, log);
  const bool has_b = slot.has(OpKind::Backward);
  const bool has_i = slot.has(OpKind::BackwardInput);
  const bool has_w = slot.has(OpKind::BackwardWeight);
  if (has_b) {
    for (const OpKind split : {OpKind::BackwardInput, OpKind::BackwardWeight}) {
      if (!slot.has(split)) continue;
      log.report("duplicate-op", [&] {
        return table.label(table.op(slot.of(OpKind::Backward))) + " and " +
               table.label(table.op(slot.of(split))) + " both compute the backward of " +
               slot_text(key);
      });
    }
  } else if (!has_i && !has_w) {
    report_missing_backward(key, log);
  } else if (!has_w) {
    log.report("missing-op", [&] {
      return "no weight backward (W) for " + slot_text(key) + " to follow its " +
             table.label(table.op(slot.of(OpKind::BackwardInput)));
    });
  } else if (!has_i) {
    log.report("missing-op", [&] {
      return "no input backward (I) for " + slot_text(key) + ", which its " +
             table.label(table.op(slot.of(OpKind::BackwardWeight))) + " needs";
    });
  }
}

}  // namespace

void check_coverage(const OpTable& table, IssueLog& log) {
  std::uint64_t next_slot = 0;
  for (std::size_t row = 0; row < table.row_count(); ++row) {
    const std::uint64_t slot = table.slot_of_row(row);
    report_empty_slots(table, next_slot, slot, log);
    const SlotKey key = table.key_of_slot(slot);
    if (table.problem().runs_microbatch(key.stage, key.microbatch)) {
      check_slot(table, key, table.row(row), log);
    }
    next_slot = slot + 1;
  }
  report_empty_slots(table, next_slot, table.slot_count(), log);
}

void check_step_order(const OpTable& table, IssueLog& log) {
  for (std::size_t row = 0; row < table.row_count(); ++row) {
    const SlotNodes& slot = table.row(row);
    const std::uint32_t step = slot.of(OpKind::OptimizerStep);
    const std::uint32_t gradient = slot.has(OpKind::BackwardWeight)
                                       ? slot.of(OpKind::BackwardWeight)
                                       : slot.of(OpKind::Backward);
    if (step == kNoNode || gradient == kNoNode) continue;
    const Place step_place = table.place(step);
    const Place gradient_place = table.place(gradient);
    // Ops on different devices are already wrong-device issues.
    if (step_place.device != gradient_place.device ||
        step_place.position > gradient_place.position) {
      continue;
    }
    log.report("step-order", [&] {
      return table.identify(table.op(step)) + " comes before " + table.label(table.op(gradient)) +
             ", whose gradient it applies (device " + std::to_string(step_place.device) +
             " positions " + std::to_string(step_place.position) + " and " +
             std::to_string(gradient_place.position) + ")";
    });
  }
}

}  // namespace pipewise
