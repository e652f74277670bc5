#include "sim/deadlock.hpp"

#include <optional>

#include "common/ir/dependencies.hpp"

namespace pipewise::sim {
namespace {

constexpr std::size_t kMostLinksShown = 8;

struct Wait {
  std::uint32_t device = 0;
  Op waiting;                          // the device's next op
  Op producer;                         // what it waits for
  std::optional<std::size_t> found_at;  // producer's position in its device's program
};

// The producer that `op` (a device's next op, which could not start) still waits for.
Op missing_producer(const Op& op, const StuckRun& run) {
  const Problem& problem = run.schedule.problem;
  const std::uint64_t slot =
      (std::uint64_t{op.stage} * problem.iterations + op.iteration) * problem.microbatches +
      op.microbatch;
  if (op.kind == OpKind::Forward) return *cross_stage_producer(op, problem);
  if (op.kind == OpKind::BackwardWeight) return *same_stage_producer(op);
  if (run.progress[slot] == 0) return *same_stage_producer(op);  // its own F has not run
  return *cross_stage_producer(op, problem);
}

bool same_op(const Op& candidate, const Op& wanted) {
  const bool kind_matches =
      wanted.kind == OpKind::Backward ? produces_input_grad(candidate.kind)
                                      : candidate.kind == wanted.kind;
  return kind_matches && candidate.stage == wanted.stage &&
         candidate.microbatch == wanted.microbatch && candidate.iteration == wanted.iteration;
}

std::optional<std::size_t> find_pending(const StuckRun& run, std::uint32_t device,
                                        const Op& wanted) {
  const auto& program = run.schedule.programs[device];
  for (std::size_t i = run.cursor[device]; i < program.size(); ++i) {
    if (same_op(program[i], wanted)) return i;
  }
  return std::nullopt;
}

}  // namespace

std::string describe_stuck_run(const StuckRun& run) {
  const Problem& problem = run.schedule.problem;
  const auto label = [&](const Op& op) { return op_label(op, problem.microbatches); };
  std::uint32_t device = 0;
  while (device < problem.devices && run.cursor[device] >= run.schedule.programs[device].size()) {
    ++device;
  }
  std::vector<Wait> chain;
  std::vector<int> chain_index(problem.devices, -1);
  while (true) {
    chain_index[device] = static_cast<int>(chain.size());
    Wait wait;
    wait.device = device;
    wait.waiting = run.schedule.programs[device][run.cursor[device]];
    wait.producer = missing_producer(wait.waiting, run);
    const std::uint32_t owner = problem.device_of_stage(wait.producer.stage);
    wait.found_at = find_pending(run, owner, wait.producer);
    if (wait.found_at) wait.producer = run.schedule.programs[owner][*wait.found_at];
    chain.push_back(wait);
    if (!wait.found_at) {
      return "stuck: " + label(wait.waiting) + " (device " + std::to_string(device) +
             ") waits for " + label(wait.producer) + ", which no device will run";
    }
    if (chain_index[owner] >= 0) {
      std::string text = "deadlock: ";
      const std::size_t first = static_cast<std::size_t>(chain_index[owner]);
      for (std::size_t i = first; i < chain.size(); ++i) {
        if (i - first == kMostLinksShown) {
          text += "; ... (" + std::to_string(chain.size() - i) + " more)";
          break;
        }
        const Wait& link = chain[i];
        const std::uint32_t producer_device = problem.device_of_stage(link.producer.stage);
        const Op& blocker = run.schedule.programs[producer_device][run.cursor[producer_device]];
        if (i > first) text += "; ";
        text += label(link.waiting) + " (device " + std::to_string(link.device) + ") waits for " +
                label(link.producer);
        if (*link.found_at != run.cursor[producer_device]) {
          text += producer_device == link.device
                      ? ", which comes after it on the same device"
                      : ", which device " + std::to_string(producer_device) + " runs after " +
                            label(blocker);
        }
      }
      return text;
    }
    device = owner;
  }
}

}  // namespace pipewise::sim
