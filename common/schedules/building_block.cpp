#include "common/schedules/building_block.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {
namespace {

constexpr std::uint64_t kSlotsPerMicrobatch = 6;  // F, F, I, I, W, W of the two chunks

// One pass of the grid: an F, I or W of a stage on a micro-batch.
struct Pass {
  OpKind kind;
  std::uint32_t stage;
  std::uint32_t microbatch;
};

// Every device's passes by slot (dense: a device's slots are about 6 per micro-batch, nearly
// all taken), and where each pass sits.
class SlotGrid {
 public:
  SlotGrid(std::uint32_t devices, std::uint32_t microbatches)
      : devices_(devices), microbatches_(microbatches), slots_(devices),
        where_(3 * std::size_t{2 * devices} * microbatches, kNone) {}

  // Puts `pass` into `slot` of device `d`; false when the slot is taken.
  bool place(std::uint32_t d, std::uint64_t slot, const Pass& pass) {
    std::vector<Cell>& cells = slots_[d];
    if (slot >= cells.size()) cells.resize(slot + 1);
    if (cells[slot].used) return false;
    cells[slot] = {pass, true};
    where_[index(pass.kind, pass.stage, pass.microbatch)] = slot;
    return true;
  }
  void move(std::uint32_t d, std::uint64_t from, std::uint64_t to) {
    const Pass pass = at(d, from);
    slots_[d][from].used = false;
    place(d, to, pass);
  }
  // The pass in `slot` of device `d`. REQUIRES: taken(d, slot).
  const Pass& at(std::uint32_t d, std::uint64_t slot) const { return slots_[d][slot].pass; }
  bool taken(std::uint32_t d, std::uint64_t slot) const {
    return slot < slots_[d].size() && slots_[d][slot].used;
  }
  // One past the last slot device `d` has ever used.
  std::uint64_t end(std::uint32_t d) const { return slots_[d].size(); }
  // Device `d`'s (slot, pass) pairs in slot order.
  std::vector<std::pair<std::uint64_t, Pass>> passes(std::uint32_t d) const {
    std::vector<std::pair<std::uint64_t, Pass>> taken_slots;
    for (std::uint64_t slot = 0; slot < slots_[d].size(); ++slot) {
      if (slots_[d][slot].used) taken_slots.emplace_back(slot, slots_[d][slot].pass);
    }
    return taken_slots;
  }
  std::uint64_t slot_of(OpKind kind, std::uint32_t stage, std::uint32_t microbatch) const {
    return where_[index(kind, stage, microbatch)];
  }
  // The most chunk stashes (F to W) device `d` holds at once, in slot order.
  std::int64_t peak_stashes(std::uint32_t d) const {
    std::int64_t live = 0;
    std::int64_t peak = 0;
    for (const Cell& cell : slots_[d]) {
      if (!cell.used) continue;
      if (cell.pass.kind == OpKind::Forward) peak = std::max(peak, ++live);
      if (cell.pass.kind == OpKind::BackwardWeight) --live;
    }
    return peak;
  }

  static constexpr std::uint64_t kNone = ~std::uint64_t{0};

 private:
  struct Cell {
    Pass pass{OpKind::Forward, 0, 0};
    bool used = false;
  };
  std::size_t index(OpKind kind, std::uint32_t stage, std::uint32_t microbatch) const {
    const std::size_t type = kind == OpKind::Forward ? 0 : kind == OpKind::BackwardInput ? 1 : 2;
    return (type * 2 * devices_ + stage) * microbatches_ + microbatch;
  }

  std::uint32_t devices_;
  std::uint32_t microbatches_;
  std::vector<std::vector<Cell>> slots_;
  std::vector<std::uint64_t> where_;
};

// The stashes (F to W) a device holds after each slot, in slot order; a slot without a
// pass keeps the level of the slot before it.
class StashLevels {
 public:
  explicit StashLevels(const std::vector<std::pair<std::uint64_t, Pass>>& passes) {
    if (passes.empty()) return;
    level_.assign(passes.back().first + 1, 0);
    std::int64_t live = 0;
    auto next = passes.begin();
    for (std::uint64_t slot = 0; slot < level_.size(); ++slot) {
      if (next != passes.end() && next->first == slot) {
        if (next->second.kind == OpKind::Forward) ++live;
        if (next->second.kind == OpKind::BackwardWeight) --live;
        ++next;
      }
      level_[slot] = live;
    }
  }
  // The first slot t in [from, to] such that every level over [t, to) is below `limit`.
  std::uint64_t first_below(std::int64_t limit, std::uint64_t from, std::uint64_t to) const {
    std::uint64_t t = to;
    while (t > from && level_[t - 1] < limit) --t;
    return t;
  }
  // Adds `delta` to the levels of slots [from, to): a pass moved from `to` to `from`.
  void add(std::uint64_t from, std::uint64_t to, std::int64_t delta) {
    for (std::uint64_t slot = from; slot < to; ++slot) level_[slot] += delta;
  }

 private:
  std::vector<std::int64_t> level_;
};

// The first slot at which `pass` may run: one after each of its producers' slots (unit
// pass times, no message delay): F after the previous stage's F, I after the next stage's
// I (the last stage: after its own F) and its own F, W after its I.
std::uint64_t ready_slot(const SlotGrid& grid, const Pass& pass, std::uint32_t stages) {
  const auto after = [&](OpKind kind, std::uint32_t stage) {
    const std::uint64_t slot = grid.slot_of(kind, stage, pass.microbatch);
    return slot == SlotGrid::kNone ? 0 : slot + 1;
  };
  switch (pass.kind) {
    case OpKind::Forward:
      return pass.stage == 0 ? 0 : after(OpKind::Forward, pass.stage - 1);
    case OpKind::BackwardInput: {
      const std::uint64_t own = after(OpKind::Forward, pass.stage);
      return pass.stage + 1 == stages ? own
                                      : std::max(own, after(OpKind::BackwardInput, pass.stage + 1));
    }
    default:
      return after(OpKind::BackwardInput, pass.stage);
  }
}

}  // namespace

Schedule repeated_block_schedule(std::string name, const Problem& problem,
                                 BlockOffsets (*offsets)(std::uint32_t devices,
                                                         std::uint32_t device)) {
  const std::uint32_t p = problem.devices;
  const std::uint32_t m = problem.microbatches;
  const std::uint32_t stages = 2 * p;
  SlotGrid grid(p, m);
  // Repeating: the block of micro-batch j on device d is its block shifted by 6j slots.
  for (std::uint32_t d = 0; d < p; ++d) {
    const BlockOffsets block = offsets(p, d);
    const OpKind kinds[4] = {OpKind::Forward, OpKind::Forward, OpKind::BackwardInput,
                             OpKind::BackwardInput};
    const std::uint32_t stage_of_pass[4] = {d, stages - 1 - d, stages - 1 - d, d};
    for (std::uint32_t j = 0; j < m; ++j) {
      for (int pass = 0; pass < 4; ++pass) {
        if (!grid.place(d, block[pass] + kSlotsPerMicrobatch * j,
                        {kinds[pass], stage_of_pass[pass], j})) {
          throw Error("the building block of device " + std::to_string(d) +
                      " collides with itself when repeated");
        }
      }
    }
  }
  // Each W goes into the first free slot of its device after its I, oldest first.
  for (std::uint32_t d = 0; d < p; ++d) {
    const std::vector<std::pair<std::uint64_t, Pass>> taken = grid.passes(d);
    std::deque<Pass> pending;
    std::uint64_t slot = 0;
    const auto place_pending = [&](std::uint64_t until) {
      for (; slot < until && !pending.empty(); ++slot) {
        grid.place(d, slot, pending.front());
        pending.pop_front();
      }
    };
    for (const auto& [at, pass] : taken) {
      place_pending(at);
      slot = at + 1;
      if (pass.kind == OpKind::BackwardInput) {
        pending.push_back({OpKind::BackwardWeight, pass.stage, pass.microbatch});
      }
    }
    place_pending(~std::uint64_t{0});
  }
  // Squeezing in slot space (the paper's reordering): in slot order, every pass moves to
  // the first free slot of its device at or after its producers, when that is earlier and
  // does not raise the device's peak of stashes. This shortens the warm-up and cool-down,
  // which repeating leaves sparse; the repeated steady state has no free slot to move to.
  // Only a forward moved earlier can raise the peak: it adds a stash to every slot it
  // passes, so it may move when the stashes live over those slots stay below the peak.
  std::vector<std::int64_t> peak(p);
  std::vector<StashLevels> levels;
  std::vector<std::set<std::uint64_t>> free_slots(p);  // before each device's last pass
  std::uint64_t last_end = 0;
  for (std::uint32_t d = 0; d < p; ++d) {
    peak[d] = grid.peak_stashes(d);
    const std::vector<std::pair<std::uint64_t, Pass>> passes = grid.passes(d);
    levels.emplace_back(passes);
    std::uint64_t next = 0;
    for (const auto& entry : passes) {
      for (; next < entry.first; ++next) free_slots[d].insert(next);
      next = entry.first + 1;
    }
    last_end = std::max(last_end, grid.end(d));
  }
  // Every pass, by slot and then device.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
  for (std::uint64_t slot = 0; slot < last_end; ++slot) {
    for (std::uint32_t d = 0; d < p; ++d) {
      if (grid.taken(d, slot)) order.emplace_back(slot, d);
    }
  }
  for (const auto& [slot, d] : order) {
    const Pass pass = grid.at(d, slot);
    std::uint64_t earliest = ready_slot(grid, pass, stages);
    if (pass.kind == OpKind::Forward) {
      earliest = std::max(earliest, levels[d].first_below(peak[d], earliest, slot));
    }
    std::set<std::uint64_t>& free = free_slots[d];
    const auto it = free.lower_bound(earliest);
    if (it == free.end() || *it >= slot) continue;
    const std::uint64_t target = *it;
    free.erase(it);
    free.insert(slot);
    grid.move(d, slot, target);
    if (pass.kind == OpKind::Forward) levels[d].add(target, slot, 1);
    if (pass.kind == OpKind::BackwardWeight) levels[d].add(target, slot, -1);
  }
  return dated_flushed_schedule(
      std::move(name), problem, 6 * std::size_t{m},
      [&](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        for (const auto& [slot, pass] : grid.passes(device)) {
          program.push_back(compute_op(pass.kind, pass.stage, pass.microbatch, iteration));
        }
      });
}

}  // namespace pipewise
