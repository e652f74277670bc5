// Sweep throughput: configurations simulated per second by `pipewise sweep`'s engine
// (tools/whatif/sweep.hpp run_sweep: generate, resolve costs and simulate each point, no
// timeline) on all cores. Target: >= 50,000 configurations/s on 2 cores for p <= 16,
// m <= 64.
//
// One iteration sweeps every schedule of the registry over p = 1..16 and m = 1..64, with
// v in {1, 2, 4} for schedules with model chunks (v = 1 otherwise), under the simulator
// suite's costs with free and with costed communication. That is 16,384 points with the
// registry of six schedules; points a schedule rejects (e.g. PipeDream-2BW with m < p) come
// back as skipped rows and do not count as configurations.
//
//   BM_Sweep/threads:T  T worker threads: 1, and the hardware's count. configs/s is per
//                       second of wall time (the target); configs/cpu_s per second of CPU
//                       time of all threads, which other processes' load does not lower.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "bench/bench_support.hpp"
#include "common/schedules/registry.hpp"
#include "tools/whatif/parallel_for.hpp"
#include "tools/whatif/sweep.hpp"

namespace {

using pipewise::tools::SweepGrid;

// The costs of every point: the simulator suite's, with free or costed communication.
pipewise::tools::ShapeCostSource sweep_costs(bool communication) {
  return pipewise::tools::fixed_shape_costs(pipewise::bench::benchmark_costs(communication));
}

std::vector<std::uint32_t> one_to(std::uint32_t last) {
  std::vector<std::uint32_t> values(last);
  std::iota(values.begin(), values.end(), 1u);
  return values;
}

// The grids of one sweep: schedules with chunks over v in {1, 2, 4}, the others at v = 1.
std::vector<SweepGrid> sweep_grids() {
  SweepGrid chunked{{}, one_to(16), {1, 2, 4}, one_to(64)};
  SweepGrid plain{{}, one_to(16), {1}, one_to(64)};
  for (const pipewise::ScheduleInfo& info : pipewise::schedule_catalog()) {
    (info.uses_chunks ? chunked : plain).schedules.push_back(info.name);
  }
  return {chunked, plain};
}

void sweep(benchmark::State& state) {
  const auto threads = static_cast<unsigned>(state.range(0));
  const std::vector<SweepGrid> grids = sweep_grids();
  std::size_t points = 0;
  std::size_t configurations = 0;
  double cpu_seconds = 0;
  for (auto _ : state) {
    const double cpu_start = pipewise::bench::process_cpu_seconds();
    points = 0;
    configurations = 0;
    for (const bool communication : {false, true}) {
      for (const SweepGrid& grid : grids) {
        const std::vector<pipewise::tools::SweepRow> rows =
            pipewise::tools::run_sweep(grid, sweep_costs(communication), threads);
        points += rows.size();
        for (const pipewise::tools::SweepRow& row : rows) configurations += row.result.ok() ? 1 : 0;
      }
    }
    cpu_seconds += pipewise::bench::process_cpu_seconds() - cpu_start;
  }
  state.counters["points"] = static_cast<double>(points);
  state.counters["configs"] = static_cast<double>(configurations);
  state.counters["configs/s"] = benchmark::Counter(static_cast<double>(configurations),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  // Per CPU second of all threads: what one core would do with the machine to itself.
  state.counters["configs/cpu_s"] =
      static_cast<double>(configurations) * static_cast<double>(state.iterations()) / cpu_seconds;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const auto hardware_threads = static_cast<std::int64_t>(pipewise::tools::default_thread_count());
  benchmark::internal::Benchmark* sweep_benchmark =
      benchmark::RegisterBenchmark("BM_Sweep", sweep)->ArgName("threads")->Arg(1);
  if (hardware_threads > 1) sweep_benchmark->Arg(hardware_threads);
  sweep_benchmark->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
