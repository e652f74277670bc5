#include "tools/search/list_scheduler.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <queue>
#include <utility>

#include "common/ir/weight_versions.hpp"
#include "common/schedules/program_builder.hpp"
#include "sim/activation_effects.hpp"

namespace pipewise::tools {
namespace {

constexpr double kUnknown = std::numeric_limits<double>::infinity();

struct StageState {
  std::uint32_t device = 0;
  std::uint32_t next_forward = 0;   // next micro-batch to run forward (in order)
  std::uint32_t next_backward = 0;  // next micro-batch to run B or I (in order)
  std::uint32_t end = 0;            // one past its last micro-batch
  sim::ActivationEffects memory;
};

// A device admits a micro-batch whole: at its first forward on the device, the bytes and
// stashes of its later forwards there (the device's other stages it runs) are reserved, so
// that memory a later chunk needs is never taken by a new micro-batch's first chunk (which
// would leave every device waiting: the V-shape's device 0 full of chunk-0 stashes whose
// backwards need chunk-1 forwards it has no room for).
struct DeviceState {
  double free_ms = 0;
  std::uint64_t activation_bytes = 0;
  std::uint64_t stashes = 0;
  std::uint64_t reserved_bytes = 0;    // later forwards of admitted micro-batches
  std::uint64_t reserved_stashes = 0;
  std::vector<bool> admitted;          // per micro-batch
  std::deque<Op> pending_weights;  // I's whose W has not run, oldest first
  std::vector<std::uint32_t> stages;  // highest first
  std::vector<Op> program;
};

// A candidate op of one device at a decision.
struct Choice {
  std::uint32_t stage = 0;
  std::uint32_t microbatch = 0;
  double ready_ms = kUnknown;
  bool exists = false;
};

class ListScheduler {
 public:
  ListScheduler(const Problem& problem, const sim::CostModel& costs, const ListPolicy& policy,
                const std::vector<std::uint64_t>& caps)
      : problem_(problem), costs_(costs), policy_(policy), caps_(caps),
        slots_(std::size_t{problem.stages()} * problem.microbatches),
        forward_ready_(slots_, kUnknown), forward_end_(slots_, kUnknown),
        backward_ready_(slots_, kUnknown), stages_(problem.stages()), devices_(problem.devices) {
    for (std::uint32_t s = 0; s < problem.stages(); ++s) {
      StageState& stage = stages_[s];
      stage.device = problem.device_of_stage(s);
      stage.memory = sim::activation_effects(costs, s);
      stage.next_forward = stage.next_backward = first_microbatch(s);
      stage.end = problem.bidirectional() && s < problem.devices ? problem.microbatches / 2
                                                                 : problem.microbatches;
      if (problem.starts_pipeline(s)) {
        for (std::uint32_t j = stage.next_forward; j < stage.end; ++j) forward_ready_[slot(s, j)] = 0;
      }
    }
    for (std::uint32_t s = problem.stages(); s-- > 0;) devices_[stages_[s].device].stages.push_back(s);
    for (DeviceState& device : devices_) device.admitted.assign(problem.microbatches, false);
  }

  Result<Schedule> run() {
    for (std::uint32_t d = 0; d < problem_.devices; ++d) events_.push({0.0, d});
    while (!events_.empty()) {
      const auto [time, device] = events_.top();
      events_.pop();
      if (time < devices_[device].free_ms) continue;  // stale: the device got busy since
      decide(device, time);
    }
    for (std::uint32_t s = 0; s < problem_.stages(); ++s) {
      const StageState& stage = stages_[s];
      if (stage.next_forward != stage.end || stage.next_backward != stage.end) {
        return Status::failure("the list scheduler (" + policy_.describe() +
                               ") left every device waiting with stage " + std::to_string(s) +
                               " unfinished: the memory cap is too small for it");
      }
    }
    Schedule schedule{"search", problem_, {}};
    schedule.programs.resize(problem_.devices);
    for (std::uint32_t d = 0; d < problem_.devices; ++d) {
      auto& program = schedule.programs[d];
      for (std::uint32_t iteration = 0; iteration < problem_.iterations; ++iteration) {
        const std::size_t since = program.size();
        for (Op op : devices_[d].program) {
          op.iteration = iteration;
          program.push_back(op);
        }
        append_dated_flush(problem_, d, iteration, since, program);
      }
    }
    assign_weight_versions(schedule);
    return schedule;
  }

 private:
  std::uint32_t first_microbatch(std::uint32_t stage) const {
    return problem_.bidirectional() && stage >= problem_.devices ? problem_.microbatches / 2 : 0;
  }
  std::size_t slot(std::uint32_t stage, std::uint32_t microbatch) const {
    return std::size_t{stage} * problem_.microbatches + microbatch;
  }
  double op_time(OpKind kind, std::uint32_t stage, std::uint32_t microbatch) const {
    return costs_.op_time(Op{kind, 0, static_cast<std::uint16_t>(stage), microbatch, 0, 0});
  }
  double hop_ms(std::uint32_t from, std::uint32_t to, bool gradient) const {
    if (stages_[from].device == stages_[to].device) return 0;
    return costs_.communication().latency_ms +
           (gradient ? costs_.gradient_occupancy_ms() : costs_.activation_occupancy_ms());
  }
  // The stashes and bytes micro-batch j's forwards leave on `device`, over all its stages.
  std::pair<std::uint64_t, std::uint64_t> footprint(std::uint32_t device, std::uint32_t j) const {
    std::uint64_t stashes = 0;
    std::uint64_t bytes = 0;
    for (const std::uint32_t s : devices_[device].stages) {
      if (j < first_microbatch(s) || j >= stages_[s].end) continue;
      ++stashes;
      bytes += stages_[s].memory.forward_bytes;
    }
    return {stashes, bytes};
  }
  bool fits_forward(std::uint32_t device, std::uint32_t j) const {
    const DeviceState& state = devices_[device];
    if (state.admitted[j]) return true;
    const auto [stashes, bytes] = footprint(device, j);
    if (state.stashes + state.reserved_stashes + stashes > policy_.stash_limit) return false;
    return caps_.empty() || state.activation_bytes + state.reserved_bytes + bytes <= caps_[device];
  }
  // Admits micro-batch j on `device` at its forward of `stage`, or uses its reservation.
  void take_forward_room(std::uint32_t device, std::uint32_t stage, std::uint32_t j) {
    DeviceState& state = devices_[device];
    const std::uint64_t bytes = stages_[stage].memory.forward_bytes;
    if (!state.admitted[j]) {
      state.admitted[j] = true;
      const auto [stashes, all_bytes] = footprint(device, j);
      state.reserved_stashes += stashes - 1;
      state.reserved_bytes += all_bytes - bytes;
    } else {
      state.reserved_stashes -= std::min<std::uint64_t>(state.reserved_stashes, 1);
      state.reserved_bytes -= std::min(state.reserved_bytes, bytes);
    }
    state.activation_bytes += bytes;
    ++state.stashes;
  }

  // The next forward and backward of each of the device's stages, by the policy's order.
  void candidates(std::uint32_t device, Choice& forward, Choice& backward, bool& forward_blocked,
                  double& next_ready) const {
    const DeviceState& state = devices_[device];
    forward_blocked = false;
    next_ready = kUnknown;
    const auto consider = [](Choice& best, const Choice& option, double now, bool prefer) {
      const bool ready = option.ready_ms <= now;
      const bool best_ready = best.exists && best.ready_ms <= now;
      if (!best.exists || (ready && !best_ready) || (ready == best_ready && prefer)) best = option;
    };
    const double now = state.free_ms;
    for (std::size_t k = 0; k < state.stages.size(); ++k) {
      const std::uint32_t s = state.stages[k];  // highest stage first
      const StageState& stage = stages_[s];
      if (stage.next_backward < stage.next_forward) {
        const std::uint32_t j = stage.next_backward;
        const double ready = std::max(forward_end_[slot(s, j)], backward_ready_[slot(s, j)]);
        if (ready != kUnknown) {
          consider(backward, {s, j, ready, true}, now, false);
          next_ready = std::min(next_ready, ready);
        }
      }
      if (stage.next_forward < stage.end) {
        const std::uint32_t j = stage.next_forward;
        const double ready = forward_ready_[slot(s, j)];
        if (ready == kUnknown) continue;
        if (!fits_forward(device, j)) {
          forward_blocked = true;
          continue;
        }
        consider(forward, {s, j, ready, true}, now, !policy_.deepest_forward_first);
        next_ready = std::min(next_ready, ready);
      }
    }
  }

  void decide(std::uint32_t device, double time) {
    DeviceState& state = devices_[device];
    state.free_ms = std::max(state.free_ms, time);
    const double now = state.free_ms;
    Choice forward;
    Choice backward;
    bool forward_blocked = false;
    double next_ready = kUnknown;
    candidates(device, forward, backward, forward_blocked, next_ready);
    const bool forward_now = forward.exists && forward.ready_ms <= now;
    const bool backward_now = backward.exists && backward.ready_ms <= now;
    if (forward_now && backward_now && policy_.overlap_pairs) {
      const Op f{OpKind::Forward, 0, static_cast<std::uint16_t>(forward.stage), forward.microbatch, 0, 0};
      const Op b{backward_kind(), 0, static_cast<std::uint16_t>(backward.stage), backward.microbatch,
                 0, 0};
      if (costs_.pair_time(f, b) < costs_.op_time(f) + costs_.op_time(b)) {
        run_pair(device, forward, backward);
        return;
      }
    }
    if (backward_now && (policy_.backward_first || !forward_now)) {
      run_backward(device, backward, now);
      return;
    }
    if (forward_now) {
      run_forward(device, forward, now);
      return;
    }
    if (!state.pending_weights.empty()) {
      const Op& weight = state.pending_weights.front();
      const double weight_ms = costs_.op_time(weight);
      if (policy_.eager_weights || forward_blocked || next_ready == kUnknown ||
          now + weight_ms <= next_ready) {
        run_weight(device, now);
        return;
      }
    }
    if (next_ready != kUnknown) events_.push({next_ready, device});
    // Otherwise the device waits until another device's op makes an input known.
  }

  OpKind backward_kind() const {
    return policy_.split_backward ? OpKind::BackwardInput : OpKind::Backward;
  }

  void wake(std::uint32_t device, double ready_ms) {
    events_.push({std::max(ready_ms, devices_[device].free_ms), device});
  }

  // Effects of F(stage, j) ending at `end`.
  void finish_forward(std::uint32_t device, std::uint32_t s, std::uint32_t j, double end) {
    StageState& stage = stages_[s];
    forward_end_[slot(s, j)] = end;
    take_forward_room(device, s, j);
    ++stage.next_forward;
    if (problem_.ends_pipeline(s)) {
      backward_ready_[slot(s, j)] = end;
    } else {
      const double arrival = end + hop_ms(s, s + 1, false);
      forward_ready_[slot(s + 1, j)] = arrival;
      wake(stages_[s + 1].device, arrival);
    }
  }

  // Effects of B or I(stage, j) ending at `end`.
  void finish_backward(std::uint32_t device, std::uint32_t s, std::uint32_t j, double end) {
    DeviceState& state = devices_[device];
    StageState& stage = stages_[s];
    ++stage.next_backward;
    if (policy_.split_backward) {
      state.activation_bytes -= std::min(state.activation_bytes, stage.memory.input_frees);
      state.pending_weights.push_back(
          Op{OpKind::BackwardWeight, 0, static_cast<std::uint16_t>(s), j, 0, 0});
    } else {
      state.activation_bytes -= std::min(state.activation_bytes, stage.memory.backward_frees);
      --state.stashes;
    }
    if (!problem_.starts_pipeline(s)) {
      const double arrival = end + hop_ms(s, s - 1, true);
      backward_ready_[slot(s - 1, j)] = arrival;
      wake(stages_[s - 1].device, arrival);
    }
  }

  void run_forward(std::uint32_t device, const Choice& choice, double start) {
    DeviceState& state = devices_[device];
    const double end = start + op_time(OpKind::Forward, choice.stage, choice.microbatch);
    state.program.push_back(
        Op{OpKind::Forward, 0, static_cast<std::uint16_t>(choice.stage), choice.microbatch, 0, 0});
    state.free_ms = end;
    finish_forward(device, choice.stage, choice.microbatch, end);
    wake(device, end);
  }

  void run_backward(std::uint32_t device, const Choice& choice, double start) {
    DeviceState& state = devices_[device];
    const OpKind kind = backward_kind();
    const double end = start + op_time(kind, choice.stage, choice.microbatch);
    state.program.push_back(Op{kind, 0, static_cast<std::uint16_t>(choice.stage), choice.microbatch, 0, 0});
    state.free_ms = end;
    finish_backward(device, choice.stage, choice.microbatch, end);
    wake(device, end);
  }

  void run_weight(std::uint32_t device, double start) {
    DeviceState& state = devices_[device];
    const Op weight = state.pending_weights.front();
    state.pending_weights.pop_front();
    state.program.push_back(weight);
    state.free_ms = start + costs_.op_time(weight);
    state.activation_bytes -=
        std::min(state.activation_bytes, stages_[weight.stage].memory.weight_frees);
    --state.stashes;
    wake(device, state.free_ms);
  }

  void run_pair(std::uint32_t device, const Choice& forward, const Choice& backward) {
    DeviceState& state = devices_[device];
    const Op f{OpKind::Forward, kOverlapWithNext, static_cast<std::uint16_t>(forward.stage),
               forward.microbatch, 0, 0};
    const Op b{backward_kind(), 0, static_cast<std::uint16_t>(backward.stage), backward.microbatch,
               0, 0};
    const double end = state.free_ms + costs_.pair_time(f, b);
    state.program.push_back(f);
    state.program.push_back(b);
    state.free_ms = end;
    finish_forward(device, forward.stage, forward.microbatch, end);
    finish_backward(device, backward.stage, backward.microbatch, end);
    wake(device, end);
  }

  const Problem& problem_;
  const sim::CostModel& costs_;
  const ListPolicy& policy_;
  const std::vector<std::uint64_t>& caps_;
  std::size_t slots_;
  std::vector<double> forward_ready_;   // when F(stage, j)'s input is there
  std::vector<double> forward_end_;     // when F(stage, j) ended
  std::vector<double> backward_ready_;  // when B/I(stage, j)'s gradient is there
  std::vector<StageState> stages_;
  std::vector<DeviceState> devices_;
  using Event = std::pair<double, std::uint32_t>;  // (time, device)
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
};

}  // namespace

std::string ListPolicy::describe() const {
  std::string text = split_backward ? "split" : "fused B";
  text += backward_first ? ", backward first" : ", forward first";
  text += deepest_forward_first ? ", deepest F first" : ", shallowest F first";
  text += eager_weights ? ", eager W" : ", W in gaps";
  if (overlap_pairs) text += ", F&B pairs";
  if (stash_limit != std::numeric_limits<std::uint64_t>::max()) {
    text += ", at most " + std::to_string(stash_limit) + " stashes";
  }
  return text;
}

Result<Schedule> list_schedule(const Problem& problem, const sim::CostModel& costs,
                               const ListPolicy& policy,
                               const std::vector<std::uint64_t>& activation_cap_bytes) {
  return ListScheduler(problem, costs, policy, activation_cap_bytes).run();
}

}  // namespace pipewise::tools
