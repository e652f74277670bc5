#include "common/schedules/dual_pipe_steps.hpp"

#include <deque>

#include "common/schedules/program_builder.hpp"

namespace pipewise {
namespace {

// The next micro-batch of each pass of one stage, and the deferred W's of the rank.
class StepEmitter {
 public:
  StepEmitter(const DualPipeRank& rank, std::uint32_t iteration, std::vector<Op>& program)
      : iteration_(iteration), program_(program) {
    stage_[0] = rank.shallow_stage;
    stage_[1] = rank.deep_stage;
    for (int side = 0; side < 2; ++side) {
      const std::uint32_t first =
          side == 0 ? rank.shallow_first_microbatch : rank.deep_first_microbatch;
      next_forward_[side] = first;
      next_backward_[side] = first;
    }
  }

  void forward(int side, bool overlapped = false) {
    Op op = compute_op(OpKind::Forward, stage_[side], next_forward_[side]++, iteration_);
    if (overlapped) op.flags |= kOverlapWithNext;
    program_.push_back(op);
  }
  // B, or with `deferred_weight` an I whose W waits in the queue.
  void backward(int side, bool deferred_weight) {
    const Op op = compute_op(deferred_weight ? OpKind::BackwardInput : OpKind::Backward,
                             stage_[side], next_backward_[side]++, iteration_);
    program_.push_back(op);
    if (deferred_weight) {
      Op weight = op;
      weight.kind = OpKind::BackwardWeight;
      deferred_.push_back(weight);
    }
  }
  void pair(int forward_side, int backward_side) {
    forward(forward_side, true);
    backward(backward_side, false);
  }
  void oldest_weight() {
    if (deferred_.empty()) return;
    program_.push_back(deferred_.front());
    deferred_.pop_front();
  }

 private:
  std::uint32_t stage_[2];
  std::uint32_t next_forward_[2];
  std::uint32_t next_backward_[2];
  std::uint32_t iteration_;
  std::vector<Op>& program_;
  std::deque<Op> deferred_;
};

constexpr int kShallow = 0;
constexpr int kDeep = 1;

}  // namespace

void append_dual_pipe_steps(const DualPipeRank& rank, std::uint32_t iteration,
                            std::vector<Op>& program) {
  const std::uint32_t ranks = rank.ranks_per_direction;
  const std::uint32_t h = rank.depth;
  const std::uint32_t outer = ranks - h - 1;  // ranks further from the turn than this one
  StepEmitter emit(rank, iteration, program);
  for (std::uint32_t i = 0; i < 2 * outer; ++i) emit.forward(kShallow);           // 1
  for (std::uint32_t i = 0; i < h + 1; ++i) {                                     // 2
    emit.forward(kShallow);
    emit.forward(kDeep);
  }
  for (std::uint32_t i = 0; i < outer; ++i) {                                     // 3
    emit.backward(kDeep, true);
    emit.oldest_weight();
    emit.forward(kDeep);
  }
  const std::uint32_t steady = rank.microbatches + h + 1 - 2 * ranks;
  for (std::uint32_t i = 0; i < steady; ++i) {                                    // 4
    if (i == 0 && h + 1 == ranks) {
      emit.forward(kShallow);
      emit.backward(kDeep, false);
    } else {
      emit.pair(kShallow, kDeep);
    }
    emit.pair(kDeep, kShallow);
  }
  for (std::uint32_t i = 0; i < outer; ++i) {                                     // 5
    emit.backward(kDeep, false);
    emit.pair(kDeep, kShallow);
  }
  bool deferred = false;                                                          // 6
  for (std::uint32_t i = 0; i < h + 1; ++i) {
    const bool switch_now = i == (h + 1) / 2;
    if (switch_now && h % 2 == 1) deferred = true;
    emit.backward(kDeep, deferred);
    if (switch_now && h % 2 == 0) deferred = true;
    emit.backward(kShallow, deferred);
  }
  for (std::uint32_t i = 0; i < outer; ++i) {                                     // 7
    emit.oldest_weight();
    emit.backward(kShallow, true);
  }
  for (std::uint32_t i = 0; i < h + 1; ++i) emit.oldest_weight();                 // 8
}

}  // namespace pipewise
