// dualpipe: DeepSeek-AI, "DeepSeek-V3 Technical Report" (arXiv 2412.19437), §3.2.1 and
// Table 2; deepseek-ai/DualPipe (dualpipe.py). Bidirectional placement: p ranks hold two
// copies of a p-stage model, one fed at rank 0 (stages 0..p-1, the first m/2
// micro-batches) and one fed at rank p-1 (stages p..2p-1, copy stage p+s being model stage
// s on rank p-1-s, the last m/2 micro-batches); rank r thus runs model stages r and p-1-r.
// Each rank runs the eight steps of dual_pipe_steps.hpp with its shallow direction (the
// copy in which it sits in the first half of the pipeline) and depth min(r, p-1-r): the
// steady state overlaps a forward of one direction with a backward of the other
// (F&B pairs), and the cool-down splits backwards to fill the drain with deferred W's.
// The table of the DualPipe README: bubble (p/2-1)(F&B + B - 3W), 2x parameters per rank,
// p+1 stage activations. Requires p even, m even and m >= 2p, as DualPipe asserts.
#include <string>
#include <vector>

#include "common/schedules/dual_pipe_steps.hpp"
#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Status dualpipe_rules(const Problem& problem) {
  if (problem.placement != Placement::Bidirectional) {
    return Status::failure(
        "dualpipe runs two model copies from both ends: placement must be bidirectional (got " +
        std::string(placement_name(problem.placement)) + ")");
  }
  if (problem.devices % 2 != 0) {
    return Status::failure("dualpipe pairs rank r with rank p-1-r: p must be even (got p=" +
                           std::to_string(problem.devices) + ")");
  }
  if (problem.microbatches < 2 * problem.devices) {
    return Status::failure("dualpipe needs m >= 2p (got m=" + std::to_string(problem.microbatches) +
                           ", p=" + std::to_string(problem.devices) + ")");
  }
  return {};
}

Schedule generate_dualpipe(const Problem& problem) {
  const std::uint32_t p = problem.devices;
  const std::uint32_t half = problem.microbatches / 2;
  return dated_flushed_schedule(
      "dualpipe", problem, 3 * std::size_t{problem.microbatches},
      [=](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        const std::uint32_t down_stage = device;             // copy fed at rank 0
        const std::uint32_t up_stage = 2 * p - 1 - device;   // copy fed at rank p-1
        const bool first_half = device < p / 2;
        DualPipeRank rank;
        rank.ranks_per_direction = p / 2;
        rank.depth = first_half ? device : p - 1 - device;
        rank.microbatches = half;
        rank.shallow_stage = first_half ? down_stage : up_stage;
        rank.deep_stage = first_half ? up_stage : down_stage;
        rank.shallow_first_microbatch = first_half ? 0 : half;
        rank.deep_first_microbatch = first_half ? half : 0;
        append_dual_pipe_steps(rank, iteration, program);
      });
}

}  // namespace pipewise
