#pragma once
// What the benchmark suites share: the (p, m, v) grid they sweep, the registry's schedules,
// a cache that keeps the latest generated schedule across Google Benchmark's repeated calls
// of one benchmark, and memory figures of a schedule and of the process.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/ir/schedule.hpp"
#include "common/schedules/registry.hpp"
#include "sim/cost_model.hpp"

namespace pipewise::bench {

// The grid of the generator, validation and simulator suites: p devices, m micro-batches
// per iteration, v chunks per device (only for schedules that take chunks).
inline const std::vector<std::int64_t> kDeviceCounts = {4, 16, 64, 256};
inline const std::vector<std::int64_t> kMicrobatchCounts = {64, 1024, 16384};
inline std::vector<std::int64_t> chunk_counts(const ScheduleInfo& schedule) {
  if (schedule.fixed_chunks != 0) return {schedule.fixed_chunks};
  if (schedule.uses_chunks) return {1, 2, 4};
  return {1};
}

// Adds to `benchmark` every combination of `lists` (one list per argument, in ArgNames
// order) with the LAST argument varying fastest, unlike ArgsProduct, so that neighbours in
// the run order share their first arguments (and cached_schedule's schedule). Returns
// `benchmark`.
inline benchmark::internal::Benchmark* add_args_product(
    benchmark::internal::Benchmark* benchmark,
    const std::vector<std::vector<std::int64_t>>& lists) {
  std::vector<std::size_t> position(lists.size(), 0);
  for (const auto& list : lists) {
    if (list.empty()) return benchmark;
  }
  while (true) {
    std::vector<std::int64_t> args;
    for (std::size_t i = 0; i < lists.size(); ++i) args.push_back(lists[i][position[i]]);
    benchmark->Args(args);
    std::size_t i = lists.size();
    while (i > 0 && ++position[i - 1] == lists[i - 1].size()) position[--i] = 0;
    if (i == 0) return benchmark;
  }
}

// The costs every simulating suite uses: a device share of 4 layers with F = 1 ms,
// B = 2 ms, 1 GB of weights and 1 MB of activations per layer; with `communication`, 1 MB
// messages over 25 GB/s links with 10 µs latency, otherwise free communication.
inline sim::CostConfig benchmark_costs(bool communication) {
  sim::CostConfig config;
  config.memory.parameter_bytes = 1e9;
  config.memory.layers = 4;
  config.memory.activation_bytes_per_layer = 1e6;
  if (communication) {
    config.communication.latency_ms = 0.01;
    config.communication.bandwidth_gb_per_s = 25;
    config.communication.activation_bytes = 1e6;
    config.communication.gradient_bytes = 1e6;
  }
  return config;
}

// The one-iteration problem with p devices, m micro-batches and v chunks per device.
// The problem of p devices, m micro-batches and v chunks, on `placement`.
inline Problem make_problem(std::int64_t devices, std::int64_t microbatches, std::int64_t chunks,
                            Placement placement = Placement::Looped) {
  Problem problem;
  problem.placement = placement;
  problem.devices = static_cast<std::uint32_t>(devices);
  problem.microbatches = static_cast<std::uint32_t>(microbatches);
  problem.chunks = static_cast<std::uint32_t>(chunks);
  return problem;
}

// Schedule `name` generated for `problem`, lowered (explicit send and recv ops) when
// `lowered`. Google Benchmark calls a benchmark function several times while it settles the
// iteration count; this keeps the last schedule so that those calls generate it once. The
// reference stays valid until the next call. Throws pipewise::Error when the generator
// rejects the problem.
inline const Schedule& cached_schedule(const std::string& name, const Problem& problem,
                                       bool lowered) {
  struct Cache {
    std::string name;
    Problem problem;
    bool lowered = false;
    bool filled = false;
    Schedule schedule;
  };
  static Cache cache;
  if (!cache.filled || cache.name != name || !(cache.problem == problem) ||
      cache.lowered != lowered) {
    cache.filled = false;
    cache.schedule = Schedule{};  // frees the previous one before the next is built
    Schedule generated = generate_schedule(name, problem);
    cache.schedule = lowered ? lower_communication(generated) : std::move(generated);
    cache.name = name;
    cache.problem = problem;
    cache.lowered = lowered;
    cache.filled = true;
  }
  return cache.schedule;
}

// Bytes the schedule's ops occupy in memory: every program's capacity (not just its size)
// times sizeof(Op). The p program vectors themselves add 24 bytes per device, not per op.
inline std::size_t program_bytes(const Schedule& schedule) {
  std::size_t bytes = 0;
  for (const auto& program : schedule.programs) bytes += program.capacity() * sizeof(Op);
  return bytes;
}

// Peak resident set size of this process so far (VmHWM of /proc/self/status), in bytes;
// throws pipewise::Error when it cannot be read.
inline std::uint64_t peak_resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  throw Error("cannot read VmHWM from /proc/self/status");
}

// CPU time of every thread of this process so far (user and system), in seconds.
inline double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Fixes glibc malloc's mmap and trim thresholds at their largest useful values, so that
// memory a benchmark frees is reused by the next iteration instead of going back to the
// kernel and being page-faulted in again. glibc raises both thresholds by itself the first
// time a large block is freed, which would make a benchmark's figure depend on the ones
// that ran before it. Blocks over 32 MiB are still mapped afresh each time. Throws
// pipewise::Error when malloc rejects the settings.
inline void keep_freed_memory_for_reuse() {
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 0 || mallopt(M_TRIM_THRESHOLD, 1 << 30) == 0) {
    throw Error("mallopt rejected the benchmark's malloc thresholds");
  }
}

// "ops/s": `ops_per_iteration` ops per iteration as a rate over the measured time.
inline benchmark::Counter ops_rate(double ops_per_iteration) {
  return benchmark::Counter(ops_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace pipewise::bench
