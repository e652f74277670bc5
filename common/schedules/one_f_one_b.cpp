// 1f1b, also called PipeDream-Flush: Narayanan et al. 2021, "Memory-Efficient
// Pipeline-Parallel DNN Training" (PipeDream-2BW paper) §3.3, and Narayanan et al. SC'21,
// "Efficient Large-Scale Language Model Training on GPU Clusters Using Megatron-LM" §2.2.1
// (Megatron-LM's forward_backward_pipelining_without_interleaving). Device d runs
// min(p-d-1, m) warm-up forwards, alternates one forward and one backward, drains the
// remaining backwards, then flushes. It keeps at most p - d activations on device d,
// against m for GPipe, with the same bubble.
#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

Schedule generate_one_f_one_b(const Problem& problem) {
  const std::uint32_t m = problem.microbatches;
  const std::uint32_t p = problem.devices;
  return flushed_schedule(
      "1f1b", problem, 2 * std::size_t{m},
      [m, p](std::uint32_t device, std::uint32_t iteration, std::vector<Op>& program) {
        const auto microbatch = [](std::uint64_t k) { return static_cast<std::uint32_t>(k); };
        append_one_f_one_b(
            m, one_f_one_b_warmup(p, device, m),
            [&](std::uint64_t k) {
              program.push_back(compute_op(OpKind::Forward, device, microbatch(k), iteration));
            },
            [&](std::uint64_t k) {
              program.push_back(compute_op(OpKind::Backward, device, microbatch(k), iteration));
            });
      });
}

}  // namespace pipewise
