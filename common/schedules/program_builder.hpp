#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ir/op.hpp"
#include "common/ir/problem.hpp"
#include "common/ir/schedule.hpp"
#include "common/ir/weight_versions.hpp"

// Building blocks shared by the generators: op constructors, the one-forward-one-backward
// order, and the two ways a schedule ends an iteration (a flush, or no flush at all).

namespace pipewise {

// A compute op (F, B, I or W) of `stage` on micro-batch `microbatch` of iteration `iteration`;
// its weight version is left for assign_weight_versions.
inline Op compute_op(OpKind kind, std::uint32_t stage, std::uint32_t microbatch,
                     std::uint32_t iteration) {
  return Op{kind, 0, static_cast<std::uint16_t>(stage), microbatch, iteration, 0};
}

// The optimizer step of `stage` that applies the gradients accumulated up to and including
// the backward of (`microbatch`, `iteration`): every generator gives a step the micro-batch
// and iteration of the last backward of its stage before it, so readers of text forms that
// omit them can restore them.
inline Op optimizer_step_op(std::uint32_t stage, std::uint32_t microbatch,
                            std::uint32_t iteration) {
  return compute_op(OpKind::OptimizerStep, stage, microbatch, iteration);
}

// Warm-up forwards of device `device` in a 1F1B pipeline of `devices` devices over `work`
// micro-batches: min(p - d - 1, work), so that device d holds at most p - d activations
// (Narayanan et al. 2021, PipeDream-2BW §3.3; Megatron-LM's get_pp_rank_microbatches).
inline std::uint64_t one_f_one_b_warmup(std::uint32_t devices, std::uint32_t device,
                                        std::uint64_t work) {
  const std::uint64_t ahead = devices - device - 1u;
  return ahead < work ? ahead : work;
}

// One item of the one-forward-one-backward order: forward or backward number `index`.
struct OrderItem {
  bool forward = true;
  std::uint64_t index = 0;
};

// The item at `position` of the one-forward-one-backward order over `work` items of one
// device with `warmup` warm-up forwards: forwards 0..w-1 (warm-up), then forward k+w
// followed by backward k for k = 0..work-w-1 (steady state), then the remaining backwards
// (cool-down). REQUIRES: warmup <= work, position < 2·work.
constexpr OrderItem one_f_one_b_item(std::uint64_t work, std::uint64_t warmup,
                                     std::uint64_t position) {
  if (position < warmup) return {true, position};
  const std::uint64_t steady_end = 2 * work - warmup;
  if (position < steady_end) {
    const std::uint64_t step = position - warmup;
    return step % 2 == 0 ? OrderItem{true, warmup + step / 2} : OrderItem{false, step / 2};
  }
  return {false, position - work};
}

// The one-forward-one-backward order over `work` items of one device (one_f_one_b_item):
// `emit_forward(k)` and `emit_backward(k)` append the ops of item k; the backward callback
// is where a schedule adds its optimizer steps. REQUIRES: warmup <= work.
template <class EmitForward, class EmitBackward>
void append_one_f_one_b(std::uint64_t work, std::uint64_t warmup, EmitForward&& emit_forward,
                        EmitBackward&& emit_backward) {
  for (std::uint64_t position = 0; position < 2 * work; ++position) {
    const OrderItem item = one_f_one_b_item(work, warmup, position);
    if (item.forward) {
      emit_forward(item.index);
    } else {
      emit_backward(item.index);
    }
  }
}

// The stages device `device` owns, in ascending order: the order of its optimizer steps in
// a flush.
std::vector<std::uint32_t> stages_of_device(const Problem& problem, std::uint32_t device);

// Appends the flush of `iteration` to device `device`'s program: one OptimizerStep per stage
// it owns (stages_of_device), each dated to the last B or W of its stage among the ops
// from `since` on (the iteration's ops). Schedules whose last backward of a stage is not
// micro-batch m-1 (bidirectional copies, which run half the micro-batches each) need it.
void append_dated_flush(const Problem& problem, std::uint32_t device, std::uint32_t iteration,
                        std::size_t since, std::vector<Op>& program);

// A synchronous schedule of any placement: on each device, for every iteration i, the ops
// that `emit_iteration(device, i, program)` appends, then append_dated_flush. Weight
// versions are assigned.
template <class EmitIteration>
Schedule dated_flushed_schedule(std::string name, const Problem& problem,
                                std::size_t ops_per_iteration, EmitIteration&& emit_iteration) {
  Schedule schedule{std::move(name), problem, {}};
  schedule.programs.resize(problem.devices);
  for (std::uint32_t device = 0; device < problem.devices; ++device) {
    auto& program = schedule.programs[device];
    program.reserve((ops_per_iteration + problem.chunks) * problem.iterations);
    for (std::uint32_t iteration = 0; iteration < problem.iterations; ++iteration) {
      const std::size_t since = program.size();
      emit_iteration(device, iteration, program);
      append_dated_flush(problem, device, iteration, since, program);
    }
  }
  assign_weight_versions(schedule);
  return schedule;
}

// An asynchronous 1F1B schedule of a single-chunk pipeline: one 1F1B order per device over
// the whole stream of n*m micro-batches (stream index j is micro-batch j % m of iteration
// j / m) with no flush, and an OptimizerStep of the device's stage right after every
// `microbatches_per_step`-th backward (PipeDream: 1; PipeDream-2BW: m). Weight versions are
// assigned (weight stashing). REQUIRES: v == 1, microbatches_per_step divides m.
Schedule unflushed_one_f_one_b(std::string name, const Problem& problem,
                               std::uint32_t microbatches_per_step);

}  // namespace pipewise
