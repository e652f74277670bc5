// interleaved-zb: PyTorch's ScheduleInterleavedZeroBubble (torch.distributed.pipelining,
// schedules.py), the looped form of the zero-bubble schedule ZB1P (Qi et al., "Zero Bubble
// Pipeline Parallelism", ICLR 2024, §3 and §6). Each device holds v looped chunks (stage
// c·p + d) and walks Megatron's interleaved table with I in place of B: micro-batches are
// taken in rounds of m / max(1, m / p); forward k runs chunk (k / round) mod v, backward k
// the mirrored chunk. Device d warms up with min((v-1)·round + p-d-1, v·m) forwards, then
// runs F/I pairs; from its (d+1)-th pair on, each I is followed by the W of the oldest
// input gradient not yet turned into a weight gradient, and the W's left at the end close
// the program. PyTorch inserts idle slots where a forward would wait for its input; the IR
// has no idle slots, so the order is the same without them. With v = 1 this is zb-h1.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {
namespace {

// PyTorch's rounds: max(1, m / p) of them, each of m / rounds micro-batches.
std::uint32_t microbatches_per_round(const Problem& problem) {
  const std::uint32_t rounds = std::max(1u, problem.microbatches / problem.devices);
  return problem.microbatches / rounds;
}

}  // namespace

Status interleaved_zb_rules(const Problem& problem) {
  if (problem.placement != Placement::Looped) {
    return Status::failure("interleaved-zb places chunks looped: placement must be looped (got " +
                           std::string(placement_name(problem.placement)) + ")");
  }
  const std::uint32_t rounds = std::max(1u, problem.microbatches / problem.devices);
  if (problem.microbatches % rounds != 0) {
    return Status::failure("interleaved-zb needs m to be a multiple of max(1, m / p) = " +
                           std::to_string(rounds) + " (got m=" +
                           std::to_string(problem.microbatches) + ", p=" +
                           std::to_string(problem.devices) + ")");
  }
  return {};
}

Schedule generate_interleaved_zb(const Problem& problem) {
  const std::uint32_t p = problem.devices;
  const std::uint32_t v = problem.chunks;
  const std::uint32_t m = problem.microbatches;
  const std::uint64_t work = std::uint64_t{v} * m;
  const std::uint32_t round = microbatches_per_round(problem);
  return dated_flushed_schedule(
      "interleaved-zb", problem, 3 * work,
      [&](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        const std::uint64_t ahead = std::uint64_t{v - 1} * round + (p - device - 1);
        const std::uint64_t warmup = ahead < work ? ahead : work;
        const auto forward_stage = [&](std::uint64_t k) {
          return static_cast<std::uint32_t>((k / round) % v) * p + device;
        };
        const auto backward_stage = [&](std::uint64_t k) {
          return static_cast<std::uint32_t>(v - 1 - ((k - warmup) / round) % v) * p + device;
        };
        std::vector<std::uint32_t> forwards(v, 0);  // next micro-batch, per chunk
        std::vector<std::uint32_t> inputs(v, 0);
        std::deque<Op> weights;  // I's whose W has not run, oldest first
        const auto emit_forward = [&](std::uint64_t k) {
          const std::uint32_t stage = forward_stage(k);
          program.push_back(compute_op(OpKind::Forward, stage, forwards[stage / p]++, iteration));
        };
        const auto emit_input = [&](std::uint64_t k) {
          const std::uint32_t stage = backward_stage(k);
          const Op input = compute_op(OpKind::BackwardInput, stage, inputs[stage / p]++, iteration);
          program.push_back(input);
          Op weight = input;
          weight.kind = OpKind::BackwardWeight;
          weights.push_back(weight);
        };
        const auto emit_oldest_weight = [&] {
          program.push_back(weights.front());
          weights.pop_front();
        };
        for (std::uint64_t k = 0; k < work + warmup; ++k) {
          if (k < work) emit_forward(k);
          if (k < warmup) continue;
          emit_input(k);
          if (k - warmup >= device) emit_oldest_weight();
        }
        while (!weights.empty()) emit_oldest_weight();
      });
}

}  // namespace pipewise
