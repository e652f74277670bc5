// 1f1b, also called PipeDream-Flush: Narayanan et al. 2021, "Memory-Efficient
// Pipeline-Parallel DNN Training" (PipeDream-2BW paper) §3.3, and Narayanan et al. SC'21,
// "Efficient Large-Scale Language Model Training on GPU Clusters Using Megatron-LM" §2.2.1
// (Megatron-LM's forward_backward_pipelining_without_interleaving). Device d runs
// min(p-d-1, m) warm-up forwards, alternates one forward and one backward, drains the
// remaining backwards, then flushes. It keeps at most p - d activations on device d,
// against m for GPipe, with the same bubble.
#include "common/schedules/flushed_order.hpp"
#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {

std::unique_ptr<ScheduleStream> stream_one_f_one_b(const Problem& problem) {
  std::vector<std::uint64_t> warmup(problem.devices);
  for (std::uint32_t device = 0; device < problem.devices; ++device) {
    warmup[device] = one_f_one_b_warmup(problem.devices, device, problem.microbatches);
  }
  return flushed_stream("1f1b", problem,
                        {.work = problem.microbatches, .warmup = std::move(warmup), .table = {}});
}

Schedule generate_one_f_one_b(const Problem& problem) {
  return materialize(*stream_one_f_one_b(problem));
}

}  // namespace pipewise
