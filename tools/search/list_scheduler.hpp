#pragma once
// A list scheduler for pipeline schedules: it builds every device's program by simulating
// time, and whenever a device is free it picks one of the ops whose inputs are there by a
// small set of rules (ListPolicy). It generalises the heuristic of the zero-bubble paper's
// automatic scheduler (Qi et al. 2024, §3.1: backward first, weight gradients into the
// gaps, a memory limit on the warm-up) to any placement (looped, V-shape, bidirectional),
// any chunk count, per-stage costs, communication and overlapped F&B pairs. The search
// (schedule_search.hpp) runs it under many policies and keeps what the simulator likes best.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "common/ir/status.hpp"
#include "sim/cost_model.hpp"

namespace pipewise::tools {

// The rules a free device follows.
struct ListPolicy {
  // Split the backward into I and W (W's wait in a queue and fill gaps); else run B.
  bool split_backward = true;
  // A ready B or I before a ready F (1F1B's rule); else forwards first, as far as memory
  // and stash_limit allow.
  bool backward_first = true;
  // Among ready forwards, the one of the highest stage first (depth first: it turns into
  // a backward soonest); else the lowest stage first (breadth first).
  bool deepest_forward_first = true;
  // A pending W runs whenever nothing else is ready; else only when it ends before the
  // next input the device knows of arrives (or when memory must be freed).
  bool eager_weights = false;
  // Run a ready F and a ready B or I as one overlapped pair when the pair is shorter than
  // the two one after the other (CostModel::pair_time).
  bool overlap_pairs = false;
  // Most stashes (a forward's activations, until its W or B) a device holds at once.
  std::uint64_t stash_limit = std::numeric_limits<std::uint64_t>::max();

  // "split, backward first, deepest first, W in gaps, stash limit 8": for reports.
  std::string describe() const;
};

// One synchronous schedule of `problem` (any n: every iteration is the first one's order)
// under `costs`, built by list scheduling with `policy`, each device ending its iterations
// with an optimizer step per stage. `activation_cap_bytes` (per device; empty for none)
// bounds the activation bytes a device holds as the simulator counts them
// (sim/activation_effects.hpp): a forward that would exceed it waits. Fails, with the
// reason, when the rules leave every device waiting (a cap too small for the
// problem). REQUIRES: costs resolved for `problem`.
Result<Schedule> list_schedule(const Problem& problem, const sim::CostModel& costs,
                               const ListPolicy& policy,
                               const std::vector<std::uint64_t>& activation_cap_bytes);

}  // namespace pipewise::tools
