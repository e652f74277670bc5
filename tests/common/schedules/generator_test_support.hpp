#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/dependencies.hpp"
#include "common/ir/schedule.hpp"

// Helpers for the generator tests: readable text forms of programs, and a check that a
// schedule can run to the end when each op waits for its producers.

namespace pipewise::testing {

// "0F0 0F1 0B0 ... 0STEP": op_label of each op, separated by spaces.
inline std::string program_text(const Schedule& schedule, std::uint32_t device) {
  std::string text;
  for (const Op& op : schedule.programs[device]) {
    if (!text.empty()) text += ' ';
    text += op_label(op, schedule.problem.microbatches);
  }
  return text;
}

// As program_text, each label followed by "@" and the op's weight version.
inline std::string versions_text(const Schedule& schedule, std::uint32_t device) {
  std::string text;
  for (const Op& op : schedule.programs[device]) {
    if (!text.empty()) text += ' ';
    text += op_label(op, schedule.problem.microbatches) + "@" + std::to_string(op.weight_version);
  }
  return text;
}

// Index of the (stage, micro-batch, iteration) of a compute op, for per-item tables.
inline std::size_t item_index(const Op& op, const Problem& problem) {
  return (std::size_t{op.stage} * problem.iterations + op.iteration) * problem.microbatches +
         op.microbatch;
}

// Runs the programs as devices would, each op once its producers (dependencies.hpp) have
// run; true when every op ran, false on a deadlock.
inline bool runs_to_completion(const Schedule& schedule) {
  const Problem& problem = schedule.problem;
  const std::size_t items =
      std::size_t{problem.stages()} * problem.iterations * problem.microbatches;
  std::vector<char> forward_done(items, 0);
  std::vector<char> backward_done(items, 0);
  const auto done = [&](const Op& op) {
    return op.kind == OpKind::Forward ? forward_done[item_index(op, problem)] != 0
                                      : backward_done[item_index(op, problem)] != 0;
  };
  std::vector<std::size_t> next(schedule.programs.size(), 0);
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
      const auto& program = schedule.programs[device];
      while (next[device] < program.size()) {
        const Op& op = program[next[device]];
        if (op.kind != OpKind::OptimizerStep) {
          const auto remote = cross_stage_producer(op, problem);
          const auto local = same_stage_producer(op);
          if ((remote && !done(*remote)) || (local && !done(*local))) break;
          (op.kind == OpKind::Forward ? forward_done : backward_done)[item_index(op, problem)] = 1;
        }
        ++next[device];
        progress = true;
      }
    }
  }
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    if (next[device] != schedule.programs[device].size()) return false;
  }
  return true;
}

}  // namespace pipewise::testing
