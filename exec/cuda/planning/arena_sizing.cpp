#include "exec/cuda/planning/arena_sizing.hpp"

#include <algorithm>
#include <vector>

#include "common/ir/weight_versions.hpp"

namespace pipewise::exec::cuda {

std::size_t device_peak_bytes(const Schedule& schedule, const MlpModel& model, std::uint32_t rows,
                              std::size_t optimizer_floats, std::uint32_t device) {
  const Problem& problem = schedule.problem;
  const std::size_t versions = weight_versions_held(schedule)[device];
  std::size_t persistent_floats = 0;
  std::vector<std::size_t> microbatch_floats(model.stages(), 0);
  for (std::uint32_t s = 0; s < model.stages(); ++s) {
    if (problem.device_of_stage(s) != device) continue;
    const StageLayout& layout = model.stage(s);
    persistent_floats += layout.parameter_count * (versions + 1 + optimizer_floats);
    std::size_t widths = 0;
    for (std::uint32_t l = 1; l < layout.widths.size(); ++l) widths += layout.widths[l];
    microbatch_floats[s] = std::size_t{rows} * (2 * std::size_t{layout.input_width()} + 2 * widths);
  }
  std::size_t live_floats = 0;
  std::size_t peak_live_floats = 0;
  for (const Op& op : schedule.programs[device]) {
    if (op.kind == OpKind::Forward) {
      live_floats += microbatch_floats[op.stage];
      peak_live_floats = std::max(peak_live_floats, live_floats);
    } else if (op.kind == OpKind::Backward || op.kind == OpKind::BackwardWeight) {
      live_floats -= std::min(live_floats, microbatch_floats[op.stage]);
    }
  }
  return (persistent_floats + peak_live_floats) * sizeof(float);
}

std::size_t arena_reservation_bytes(std::size_t peak_bytes) {
  return peak_bytes + peak_bytes / 4 + (std::size_t{16} << 20);
}

}  // namespace pipewise::exec::cuda
