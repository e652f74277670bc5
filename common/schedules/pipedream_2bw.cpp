// pipedream-2bw: Narayanan et al. ICML'21, "Memory-Efficient Pipeline-Parallel DNN
// Training", §3.1 (double-buffered weight updates). 1F1B with no flush across iterations;
// each stage accumulates gradients over the m micro-batches of an iteration and steps
// right after the m-th backward of that iteration. Forwards read the newest version and
// backwards the version their forward read, so a stage holds at most 2 versions. The
// paper requires m >= d (d = pipeline depth, our p) so that every backward is at most one
// update behind its forward; with m < p - 1 stage 0 would need 3 or more versions.
#include <string>

#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Status pipedream_2bw_rules(const Problem& problem) {
  if (problem.microbatches >= problem.devices) return {};
  return Status::failure("pipedream-2bw needs m >= p (got m=" + std::to_string(problem.microbatches) +
                         ", p=" + std::to_string(problem.devices) + ")");
}

Schedule generate_pipedream_2bw(const Problem& problem) {
  return unflushed_one_f_one_b("pipedream-2bw", problem, problem.microbatches);
}

}  // namespace pipewise
