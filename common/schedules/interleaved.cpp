// interleaved: Narayanan et al. SC'21, "Efficient Large-Scale Language Model Training on GPU
// Clusters Using Megatron-LM", §2.2.2, as Megatron-LM's
// forward_backward_pipelining_with_interleaving runs it. Each device holds v model chunks,
// looped (chunk c of device d is stage c*p + d), and runs 1F1B over its m*v "virtual
// micro-batches". Forward k is the entry k of Megatron's schedule table: micro-batches are
// taken in groups of N; within a group every chunk in turn runs the group's micro-batches.
// Backward k uses the same entry with the chunk mirrored (v-1-c). Device d warms up with
// min(2(p-d-1) + (v-1)N, m*v) forwards.
//
// N is Megatron's microbatch_group_size_per_vp_stage. Megatron accepts p <= N <= m with
// m mod N either 0 or >= p (the last group holds the remainder); we take the smallest such
// N. When p divides m that is N = p and the table is the paper's: forward k runs chunk
// (k/p) mod v on micro-batch (k/(p*v))*p + k mod p. Other m give Megatron's general case.
//
// With v = 1 Megatron does not interleave at all (it runs the 1F1B schedule, whose warm-up
// is p-d-1), so neither do we: interleaved with v = 1 is exactly 1f1b.
#include <cstdint>
#include <string>
#include <vector>

#include "common/schedules/flushed_order.hpp"
#include "common/schedules/generators.hpp"
#include "common/schedules/program_builder.hpp"

namespace pipewise {
namespace {

// The smallest group size Megatron accepts for p devices and m micro-batches (see above).
// REQUIRES: m >= p.
std::uint32_t microbatch_group_size(std::uint32_t devices, std::uint32_t microbatches) {
  std::uint32_t group = devices;
  while (microbatches % group != 0 && microbatches % group < devices) ++group;
  return group;
}

// Megatron's get_schedule_table: forward virtual micro-batch k is table[k].
std::vector<VirtualMicrobatch> schedule_table(std::uint32_t microbatches, std::uint32_t chunks,
                                              std::uint32_t group) {
  std::vector<VirtualMicrobatch> table;
  table.reserve(std::size_t{microbatches} * chunks);
  for (std::uint32_t first = 0; first < microbatches; first += group) {
    const std::uint32_t end = microbatches - first < group ? microbatches : first + group;
    for (std::uint32_t chunk = 0; chunk < chunks; ++chunk) {
      for (std::uint32_t microbatch = first; microbatch < end; ++microbatch) {
        table.push_back({microbatch, chunk});
      }
    }
  }
  return table;
}

}  // namespace

Status interleaved_rules(const Problem& problem) {
  if (problem.placement != Placement::Looped) {
    return Status::failure("interleaved places chunks looped: placement must be looped (got " +
                           std::string(placement_name(problem.placement)) + ")");
  }
  if (problem.chunks > 1 && problem.microbatches < problem.devices) {
    return Status::failure("interleaved needs m >= p when v > 1 (got m=" +
                           std::to_string(problem.microbatches) +
                           ", p=" + std::to_string(problem.devices) + ")");
  }
  return {};
}

std::unique_ptr<ScheduleStream> stream_interleaved(const Problem& problem) {
  const std::uint32_t p = problem.devices;
  const std::uint32_t v = problem.chunks;
  const std::uint64_t work = std::uint64_t{problem.microbatches} * v;
  FlushedOrder order{.work = work, .warmup = std::vector<std::uint64_t>(p), .table = {}};
  if (v == 1) {
    for (std::uint32_t device = 0; device < p; ++device) {
      order.warmup[device] = one_f_one_b_warmup(p, device, work);
    }
  } else {
    const std::uint32_t group = microbatch_group_size(p, problem.microbatches);
    order.table = schedule_table(problem.microbatches, v, group);
    for (std::uint32_t device = 0; device < p; ++device) {
      const std::uint64_t ahead = 2 * std::uint64_t{p - device - 1} + std::uint64_t{v - 1} * group;
      order.warmup[device] = ahead < work ? ahead : work;
    }
  }
  return flushed_stream("interleaved", problem, std::move(order));
}

Schedule generate_interleaved(const Problem& problem) {
  return materialize(*stream_interleaved(problem));
}

}  // namespace pipewise
