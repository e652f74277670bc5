#include "common/schedules/program_builder.hpp"

#include <string>


namespace pipewise {

Schedule unflushed_one_f_one_b(std::string name, const Problem& problem,
                               std::uint32_t microbatches_per_step) {
  const std::uint32_t m = problem.microbatches;
  const std::uint64_t stream = std::uint64_t{m} * problem.iterations;
  Schedule schedule{std::move(name), problem, {}};
  schedule.programs.resize(problem.devices);
  for (std::uint32_t device = 0; device < problem.devices; ++device) {
    auto& program = schedule.programs[device];
    program.reserve(2 * stream + stream / microbatches_per_step);
    // A stream index fits 32 bits (Problem::check bounds m*n), and so does j / m.
    const auto microbatch = [m](std::uint64_t j) { return static_cast<std::uint32_t>(j % m); };
    const auto iteration = [m](std::uint64_t j) { return static_cast<std::uint32_t>(j / m); };
    append_one_f_one_b(
        stream, one_f_one_b_warmup(problem.devices, device, stream),
        [&](std::uint64_t j) {
          program.push_back(compute_op(OpKind::Forward, device, microbatch(j), iteration(j)));
        },
        [&](std::uint64_t j) {
          program.push_back(compute_op(OpKind::Backward, device, microbatch(j), iteration(j)));
          if ((j + 1) % microbatches_per_step == 0) {
            program.push_back(optimizer_step_op(device, microbatch(j), iteration(j)));
          }
        });
  }
  assign_weight_versions(schedule);
  return schedule;
}

std::vector<std::uint32_t> stages_of_device(const Problem& problem, std::uint32_t device) {
  // Chunk c holds stages c·p .. c·p + p − 1: looped, device d runs c·p + d; on a V (and
  // bidirectional placement) the odd chunks run back, c·p + p − 1 − d. One per chunk, in
  // ascending order, without a pass over every stage (p = 65536 made that p² per schedule).
  std::vector<std::uint32_t> stages;
  stages.reserve(problem.chunks);
  const std::uint32_t p = problem.devices;
  for (std::uint32_t chunk = 0; chunk < problem.chunks; ++chunk) {
    const bool back = problem.placement != Placement::Looped && chunk % 2 == 1;
    stages.push_back(chunk * p + (back ? p - 1 - device : device));
  }
  return stages;
}

void append_dated_flush(const Problem& problem, std::uint32_t device, std::uint32_t iteration,
                        std::size_t since, std::vector<Op>& program) {
  for (const std::uint32_t stage : stages_of_device(problem, device)) {
    std::uint32_t last_microbatch = 0;
    for (std::size_t position = program.size(); position-- > since;) {
      const Op& op = program[position];
      if (op.stage == stage &&
          (op.kind == OpKind::Backward || op.kind == OpKind::BackwardWeight)) {
        last_microbatch = op.microbatch;
        break;
      }
    }
    program.push_back(optimizer_step_op(stage, last_microbatch, iteration));
  }
}

}  // namespace pipewise
