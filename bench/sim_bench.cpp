// Simulator throughput on one core: simulated ops per second (compute ops and optimizer
// steps of the unlowered schedule) for every schedule of the registry.
//
//   BM_Simulate/<schedule>          p in {4, 16, 64, 256}, m in {64, 1024, 16384}, v in {1, 2, 4}
//                                   (chunked schedules), memory accounting off/on, free or
//                                   costed communication; plus 1F1B p = 64, m = 4096, the
//                                   target point (>= 150 million ops/s with memory on).
//   BM_SimulatePrevious/1f1b        the target point on the engine before the single-pass
//                                   rewrite (bench/previous_engine.hpp), measured in the same
//                                   run, so that the speed-up reads from one machine state.
//   BM_SimulateTimeline/<schedule>  the same with the full timeline recorded (every op span,
//                                   message, memory sample and activation lifetime), m <= 1024.
//   BM_Simulate_Large/m:<m>         1F1B p = 1024, streamed: m = 65536 (134 million ops;
//                                   targets under 4 s and 1 GiB) and m = 524288 (1.07 billion;
//                                   under 30 s and 1 GiB). Opt-in: registered only when
//                                   --benchmark_filter names it, and each best run alone, since
//                                   its peak memory is the process's VmHWM.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/previous_engine.hpp"
#include "common/schedules/registry.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"

namespace {

using pipewise::bench::make_problem;

// A simulator under test: sim::simulate, or the previous engine.
using Simulator = pipewise::sim::SimulationResult (*)(const pipewise::Schedule&,
                                                      const pipewise::sim::CostModel&,
                                                      const pipewise::sim::SimulationOptions&);

void run_simulation(benchmark::State& state, const std::string& name,
                    const pipewise::Problem& problem, bool communication,
                    const pipewise::sim::SimulationOptions& options,
                    Simulator simulator = pipewise::sim::simulate) {
  const pipewise::Schedule* schedule = nullptr;
  try {
    schedule = &pipewise::bench::cached_schedule(name, problem, false);
  } catch (const pipewise::Error& error) {
    state.SkipWithError(error.what());
    return;
  }
  const pipewise::sim::CostModel costs =
      pipewise::sim::resolve_costs(pipewise::bench::benchmark_costs(communication), problem);
  for (auto _ : state) {
    benchmark::DoNotOptimize(simulator(*schedule, costs, options));
  }
  const auto ops = static_cast<double>(schedule->op_count());
  state.counters["ops"] = ops;
  state.counters["ops/s"] = pipewise::bench::ops_rate(ops);
}

// Arguments: p, m, v, memory accounting (0/1), communication costs (0/1).
void simulate(benchmark::State& state, const std::string& name) {
  pipewise::sim::SimulationOptions options;
  options.track_memory = state.range(3) != 0;
  options.record_timeline = false;
  run_simulation(state, name, make_problem(state.range(0), state.range(1), state.range(2),
                   pipewise::find_schedule(name).placement),
                 state.range(4) != 0, options);
}

// Arguments as for simulate; runs the previous engine (bench/previous_engine.hpp).
void simulate_previous(benchmark::State& state, const std::string& name) {
  pipewise::sim::SimulationOptions options;
  options.track_memory = state.range(3) != 0;
  options.record_timeline = false;
  run_simulation(state, name, make_problem(state.range(0), state.range(1), state.range(2),
                   pipewise::find_schedule(name).placement),
                 state.range(4) != 0, options, pipewise::bench::previous::simulate);
}

// Arguments: p, m, v, communication costs (0/1); memory accounting and timeline on.
void simulate_with_timeline(benchmark::State& state, const std::string& name) {
  pipewise::sim::SimulationOptions options;
  options.track_memory = true;
  options.record_timeline = true;
  run_simulation(state, name, make_problem(state.range(0), state.range(1), state.range(2),
                   pipewise::find_schedule(name).placement),
                 state.range(3) != 0, options);
}

// One timed simulation of 1F1B p = 1024 with m = state.range(0), streamed (its ops made
// as the simulator reads them, its state a window over the micro-batches in flight), with
// memory accounting and costed communication. Also reports the process's peak resident
// memory (VmHWM: run each m in a process of its own).
void simulate_large(benchmark::State& state) {
  const pipewise::Problem problem = make_problem(1024, state.range(0), 1);
  const std::unique_ptr<pipewise::ScheduleStream> stream =
      pipewise::stream_schedule("1f1b", problem);
  const pipewise::sim::CostModel costs =
      pipewise::sim::resolve_costs(pipewise::bench::benchmark_costs(true), problem);
  pipewise::sim::SimulationOptions options;
  options.track_memory = true;
  options.record_timeline = false;
  std::uint64_t ops = 0;
  for (auto _ : state) {
    const pipewise::sim::SimulationResult result = pipewise::sim::simulate(*stream, costs, options);
    ops = 0;
    for (const pipewise::sim::DeviceStats& device : result.devices) ops += device.compute_ops;
    benchmark::DoNotOptimize(result.makespan_ms);
  }
  state.counters["ops"] = static_cast<double>(ops);
  state.counters["ops/s"] = pipewise::bench::ops_rate(static_cast<double>(ops));
  state.counters["peak_GiB"] =
      static_cast<double>(pipewise::bench::peak_resident_bytes()) / (1024.0 * 1024.0 * 1024.0);
}

// True when a --benchmark_filter argument names BM_Simulate_Large.
bool large_case_requested(int argc, char** argv) {
  constexpr std::string_view kFilterFlag = "--benchmark_filter=";
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument.starts_with(kFilterFlag) &&
        argument.find("BM_Simulate_Large") != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

void register_benchmarks(bool with_large_case) {
  for (const pipewise::ScheduleInfo& info : pipewise::schedule_catalog()) {
    const std::vector<std::int64_t> chunks = pipewise::bench::chunk_counts(info);
    benchmark::internal::Benchmark* grid = pipewise::bench::add_args_product(
        benchmark::RegisterBenchmark(("BM_Simulate/" + info.name).c_str(), simulate, info.name)
            ->ArgNames({"p", "m", "v", "memory", "comm"})
            ->Unit(benchmark::kMillisecond),
        {pipewise::bench::kDeviceCounts,
         pipewise::bench::kMicrobatchCounts,
         chunks,
         {0, 1},
         {0, 1}});
    if (info.name == "1f1b") {
      grid->Args({64, 4096, 1, 1, 0})->Args({64, 4096, 1, 1, 1});
      benchmark::RegisterBenchmark(("BM_SimulatePrevious/" + info.name).c_str(),
                                   simulate_previous, info.name)
          ->ArgNames({"p", "m", "v", "memory", "comm"})
          ->Unit(benchmark::kMillisecond)
          ->Args({4, 64, 1, 1, 1})
          ->Args({64, 4096, 1, 1, 0})
          ->Args({64, 4096, 1, 1, 1});
    }
    pipewise::bench::add_args_product(
        benchmark::RegisterBenchmark(("BM_SimulateTimeline/" + info.name).c_str(),
                                     simulate_with_timeline, info.name)
            ->ArgNames({"p", "m", "v", "comm"})
            ->Unit(benchmark::kMillisecond),
        {pipewise::bench::kDeviceCounts, {64, 1024}, chunks, {0, 1}});
  }
  if (with_large_case) {
    benchmark::RegisterBenchmark("BM_Simulate_Large", simulate_large)
        ->ArgName("m")
        ->Arg(65536)
        ->Arg(524288)
        ->Iterations(1)
        ->Unit(benchmark::kSecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool with_large_case = large_case_requested(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  pipewise::bench::keep_freed_memory_for_reuse();
  register_benchmarks(with_large_case);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
