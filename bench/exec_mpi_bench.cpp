// The executor's own cost per op when the pipeline's devices are MPI ranks (issue 17's
// target: under 5 µs per op). Launched by mpirun, one rank per pipeline device:
//
//   mpirun -np 2 build/bench/exec_mpi_bench      (as root: --allow-run-as-root)
//
//   BM_MpiExecutorOverhead  run_devices of this rank's device of a lowered 1F1B schedule, with
//                           a backend whose compute is empty and whose sends and receives
//                           go through exec/mpi's MpiTransport (empty payloads, each a real
//                           MPI_Isend / MPI_Improbe / MPI_Imrecv): dispatch, weight-version
//                           checks, the clock reads around each op and the messages between
//                           the processes. Grid: m in {64, 1024, 4096} (MPI tags number
//                           the messages, and Open MPI allows tags up to 32767), observer
//                           0/1 (a TimingRecorder). p is the number of ranks.
//                           Counters: device_ns/op = wall time / ops of this rank's program
//                           (waiting for the other rank included); cpu_ns/op = this
//                           process's CPU time / its ops.
//
// Every rank runs the same benchmarks for the same fixed number of iterations (the ranks
// meet in every run); rank 0 prints the results, the others print nothing.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/empty_compute_backend.hpp"
#include "exec/core/executor.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/mpi/mpi_transport.hpp"
#include "exec/mpi/mpi_world.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kReceiveTimeout{30};

const pipewise::exec::mpi::MpiWorld* the_world = nullptr;
const pipewise::exec::mpi::GridCommunicators* the_grid = nullptr;

// Arguments: m, observer (0: none, 1: a TimingRecorder).
void mpi_executor_overhead(benchmark::State& state) {
  const std::uint32_t devices = the_world->size();
  const pipewise::Schedule& schedule = pipewise::bench::cached_schedule(
      "1f1b", pipewise::bench::make_problem(devices, state.range(0), 1), true);
  const std::uint32_t device = the_grid->self().device;
  const std::array<std::uint32_t, 1> own_device = {device};
  pipewise::bench::EmptyComputeBackend backend([](const pipewise::Schedule& run) {
    return std::make_unique<pipewise::exec::mpi::MpiTransport>(
        the_grid->pipeline(), run.problem, false, the_world->waiting(), kReceiveTimeout);
  });
  pipewise::exec::RunOptions options;
  options.receive_timeout = kReceiveTimeout;
  pipewise::exec::TimingRecorder recorder;
  pipewise::exec::RunObserver* observer = state.range(1) != 0 ? &recorder : nullptr;
  std::uint64_t ops_run = 0;
  double wall_ns = 0;
  double cpu_seconds = 0;
  for (auto _ : state) {
    const double cpu_start = pipewise::bench::process_cpu_seconds();
    const auto start = Clock::now();
    ops_run = pipewise::exec::run_devices(schedule, own_device, backend, options, observer).ops_run;
    const std::chrono::duration<double, std::nano> wall = Clock::now() - start;
    cpu_seconds += pipewise::bench::process_cpu_seconds() - cpu_start;
    wall_ns += wall.count();
    state.SetIterationTime(wall.count() * 1e-9);
  }
  const auto ops = static_cast<double>(ops_run);
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["ops"] = ops;
  state.counters["device_ns/op"] = wall_ns / (ops * iterations);
  state.counters["cpu_ns/op"] = cpu_seconds * 1e9 / (ops * iterations);
}

// About 200,000 ops per rank and benchmark, at least 3 runs: the same count on every rank,
// since each run needs all of them.
std::int64_t fixed_iterations(std::int64_t microbatches) {
  return std::max<std::int64_t>(3, 200000 / (4 * microbatches));
}

// Prints nothing: the report of the ranks other than 0.
class SilentReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

// The arguments without --benchmark_out and its format: only rank 0 writes the file.
std::vector<char*> without_output_file(int argc, char** argv) {
  std::vector<char*> kept;
  for (int i = 0; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument.starts_with("--benchmark_out=") || argument.starts_with("--benchmark_out_format=")) {
      continue;
    }
    kept.push_back(argv[i]);
  }
  return kept;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const pipewise::exec::mpi::MpiWorld world;
    std::vector<char*> arguments(argv, argv + argc);
    if (world.rank() != 0) arguments = without_output_file(argc, argv);
    int count = static_cast<int>(arguments.size());
    benchmark::Initialize(&count, arguments.data());
    if (benchmark::ReportUnrecognizedArguments(count, arguments.data())) return 1;
    const pipewise::Result<pipewise::exec::mpi::RankGrid> grid =
        pipewise::exec::mpi::rank_grid_for(world.size(), world.size(), 1);
    if (world.size() < 2 || !grid.ok()) {
      std::fprintf(stderr, "exec_mpi_bench: start it with mpirun and at least 2 ranks (got %u)\n",
                   world.size());
      return 1;
    }
    const pipewise::exec::mpi::GridCommunicators communicators(world, *grid);
    the_world = &world;
    the_grid = &communicators;
    for (const std::int64_t microbatches : {64, 1024, 4096}) {
      for (const std::int64_t observed : {0, 1}) {
        benchmark::RegisterBenchmark("BM_MpiExecutorOverhead", mpi_executor_overhead)
            ->ArgNames({"m", "observer"})
            ->Args({microbatches, observed})
            ->Iterations(fixed_iterations(microbatches))
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
    if (world.rank() == 0) {
      benchmark::RunSpecifiedBenchmarks();
    } else {
      SilentReporter silent;
      benchmark::RunSpecifiedBenchmarks(&silent);
    }
    benchmark::Shutdown();
    std::fflush(stdout);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "exec_mpi_bench: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
