#include "common/ir/weight_versions.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/ir/error.hpp"

namespace pipewise {
namespace {

std::uint64_t microbatch_slot(const Op& op, const Problem& problem) {
  return (std::uint64_t{op.stage} * problem.iterations + op.iteration) * problem.microbatches +
         op.microbatch;
}

bool in_range(const Op& op, const Problem& problem) {
  return op.stage < problem.stages() && op.iteration < problem.iterations &&
         op.microbatch < problem.microbatches;
}

// The weight version each (stage, iteration, micro-batch) forward read, kUnset before it
// runs. Dense when the problem's slots are few next to the schedule's ops (every generated
// schedule); a hash map when a file claims a problem far larger than the ops it holds, so
// that reading it takes memory in proportion to the file, not to the claim.
class ForwardVersions {
 public:
  static constexpr std::uint32_t kUnset = ~std::uint32_t{0};

  ForwardVersions(std::uint64_t slots, std::uint64_t ops) : dense_(slots <= 4 * ops + 4096) {
    if (dense_) dense_versions_.assign(slots, kUnset);
  }

  std::uint32_t& at(std::uint64_t slot) {
    if (dense_) return dense_versions_[slot];
    return sparse_versions_.try_emplace(slot, kUnset).first->second;
  }

 private:
  bool dense_;
  std::vector<std::uint32_t> dense_versions_;
  std::unordered_map<std::uint64_t, std::uint32_t> sparse_versions_;
};

// True when every op of `program` reads weight version 0 and its steps, if any, are its
// last ops (a single flush: one version held). Branch-free over the ops, so that it costs
// about one load per op.
bool closes_with_its_steps(const std::vector<Op>& program) {
  std::size_t body = program.size();
  while (body > 0 && program[body - 1].kind == OpKind::OptimizerStep) --body;
  std::uint32_t versions = 0;
  bool step_in_body = false;
  for (std::size_t i = 0; i < body; ++i) {
    versions |= program[i].weight_version;
    step_in_body |= program[i].kind == OpKind::OptimizerStep;
  }
  for (std::size_t i = body; i < program.size(); ++i) versions |= program[i].weight_version;
  return versions == 0 && !step_in_body;
}

}  // namespace

void assign_weight_versions(Schedule& schedule) {
  const Problem& problem = schedule.problem;
  ForwardVersions forward_version(
      std::uint64_t{problem.stages()} * problem.iterations * problem.microbatches,
      schedule.op_count());
  std::vector<std::uint32_t> steps_taken(problem.stages(), 0);
  for (auto& program : schedule.programs) {
    for (Op& op : program) {
      if (op.stage >= problem.stages()) {
        throw Error("op " + op_label(op, problem.microbatches) + " names stage " +
                    std::to_string(op.stage) + " but there are only " +
                    std::to_string(problem.stages()));
      }
      if (op.kind == OpKind::OptimizerStep) {
        op.weight_version = steps_taken[op.stage]++;
        continue;
      }
      if (is_fsdp(op.kind)) {  // parameters are gathered or freed, none is read
        op.weight_version = 0;
        continue;
      }
      if (!in_range(op, problem)) {
        throw Error("op " + op_label(op, problem.microbatches) +
                    " names a micro-batch or iteration outside the problem");
      }
      std::uint32_t& version = forward_version.at(microbatch_slot(op, problem));
      if (op.kind == OpKind::Forward) {
        version = steps_taken[op.stage];
      } else if (op.kind == OpKind::RecvActivation && version == ForwardVersions::kUnset) {
        op.weight_version = steps_taken[op.stage];  // the forward it feeds comes next
        continue;
      }
      if (version == ForwardVersions::kUnset) {
        throw Error("op " + op_label(op, problem.microbatches) +
                    " comes before the forward of its micro-batch on its stage");
      }
      op.weight_version = version;
    }
  }
}

std::vector<std::uint32_t> weight_versions_held(const Schedule& schedule) {
  const Problem& problem = schedule.problem;
  std::vector<std::uint32_t> held(schedule.programs.size(), 0);
  if (std::all_of(schedule.programs.begin(), schedule.programs.end(), closes_with_its_steps)) {
    // A single flush: the general count below gives 1 too, at a fraction of the cost.
    for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
      held[device] = schedule.programs[device].empty() ? 0 : 1;
    }
    return held;
  }
  for (std::size_t device = 0; device < schedule.programs.size(); ++device) {
    // Per stage of this device: for each version, the position of the step that created
    // it and of its last reader. Keyed by the stages the program holds, so a file claiming
    // 2^16 stages costs no more than the ops it has.
    const auto& program = schedule.programs[device];
    struct StageHistory {
      std::vector<std::size_t> last_read;
      std::vector<std::size_t> created_at;
    };
    std::unordered_map<std::uint32_t, StageHistory> histories;
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      if (op.stage >= problem.stages() || is_fsdp(op.kind)) continue;
      // 64 bits: a step's new version is one past the one it replaces, and 2^32 − 1 + 1
      // must not wrap to 0. A version no step of this program could have made (a file's
      // 4294967295) would size the history by it: refuse it instead.
      const std::uint64_t version = op.kind == OpKind::OptimizerStep
                                        ? std::uint64_t{op.weight_version} + 1
                                        : std::uint64_t{op.weight_version};
      if (version > program.size()) {
        throw Error("op " + op_label(op, problem.microbatches) + " on device " +
                    std::to_string(device) + " names weight version " +
                    std::to_string(op.weight_version) + ", more than the " +
                    std::to_string(program.size()) + " ops of its program can have made");
      }
      auto& [reads, created] = histories[op.stage];
      if (reads.size() <= version) {
        reads.resize(static_cast<std::size_t>(version) + 1, 0);
        created.resize(static_cast<std::size_t>(version) + 1, 0);
      }
      if (op.kind == OpKind::OptimizerStep) {
        created[version] = position;
        reads[version] = std::max(reads[version], position);
      } else {
        reads[version] = std::max(reads[version], position);
      }
    }
    std::uint32_t device_peak = 1;
    std::vector<std::pair<std::size_t, int>> events;  // (position, +1 born / -1 dies)
    for (const auto& entry : histories) {
      const auto& reads = entry.second.last_read;
      const auto& created = entry.second.created_at;
      // Version k is held over [created[k], end): an in-place update retires k at the step
      // that creates k+1 (end = created[k+1]) unless a later op still reads k, which keeps
      // it through that read (end = last read + 1). end > created[k], so no version is
      // counted dead before it is born.
      events.clear();
      for (std::size_t k = 0; k < reads.size(); ++k) {
        const bool retired_in_place = k + 1 < created.size() && reads[k] <= created[k + 1];
        const std::size_t end = retired_in_place ? created[k + 1] : reads[k] + 1;
        events.emplace_back(created[k], +1);
        events.emplace_back(end, -1);
      }
      std::sort(events.begin(), events.end());  // deaths sort before births at a position
      std::int64_t alive = 0;
      for (const auto& [position, delta] : events) {
        alive += delta;
        device_peak = std::max(device_peak, static_cast<std::uint32_t>(alive));
      }
    }
    held[device] = schedule.programs[device].empty() ? 0 : device_peak;
  }
  return held;
}

}  // namespace pipewise
