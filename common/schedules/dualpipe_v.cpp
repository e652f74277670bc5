// dualpipe-v: DualPipe "cut in half" (deepseek-ai/DualPipe, dualpipev.py, after the Sea AI
// Lab's V-shape variant), as PyTorch's ScheduleDualPipeV generates it. V-shape placement:
// rank r holds stages r and 2p-1-r of one model copy, and the turn at rank p-1 needs no
// message. Each rank runs the eight DualPipe steps (dual_pipe_steps.hpp) with stage r as
// its shallow stage, stage 2p-1-r as its deep one, depth r and all m micro-batches: the
// steady state overlaps a forward of one chunk with a backward of the other (F&B pairs),
// and the cool-down defers W's into the drain. Over 2p stages the DualPipe README's
// table gives a bubble of (p-1)(F&B + B - 3W) with chunk times, 2p+1 chunk activations on
// the fullest rank, and no second copy of the parameters. Requires m >= 2p (PyTorch and
// DualPipeV both assert it).
#include <string>
#include <vector>

#include "common/schedules/dual_pipe_steps.hpp"
#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Status dualpipe_v_rules(const Problem& problem) {
  if (Status placement = v_shape_rules("dualpipe-v", problem); !placement.ok()) return placement;
  if (problem.microbatches < 2 * problem.devices) {
    return Status::failure("dualpipe-v needs m >= 2p (got m=" +
                           std::to_string(problem.microbatches) + ", p=" +
                           std::to_string(problem.devices) + ")");
  }
  return {};
}

Schedule generate_dualpipe_v(const Problem& problem) {
  const std::uint32_t p = problem.devices;
  return dated_flushed_schedule(
      "dualpipe-v", problem, 3 * std::size_t{problem.microbatches},
      [&](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        DualPipeRank rank;
        rank.ranks_per_direction = p;
        rank.depth = device;
        rank.microbatches = problem.microbatches;
        rank.shallow_stage = device;
        rank.deep_stage = 2 * p - 1 - device;
        append_dual_pipe_steps(rank, iteration, program);
      });
}

}  // namespace pipewise
