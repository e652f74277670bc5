// Schedule IR throughput on one core: ops generated per second for every schedule of the
// registry, ops validated per second (as generated, and lowered with explicit send and recv
// ops), and the IR's memory per op (sizeof(Op), and the bytes per op a generated schedule's
// programs occupy, capacity included; target <= 16).
//
// Grid: p in {4, 16, 64, 256}, m in {64, 1024, 16384}, v in {1, 2, 4} for schedules with
// model chunks; validation stops at m = 1024 (it runs at about a tenth of the generators'
// speed and needs a graph of the whole schedule). A (schedule, p, m, v) the generator
// rejects (e.g. PipeDream-2BW with m < p) is reported as skipped with the generator's
// message.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/bench_support.hpp"
#include "common/validate/validate.hpp"

namespace {

using pipewise::bench::make_problem;

const std::vector<std::int64_t> kValidationMicrobatchCounts = {64, 1024};

// Generation includes freeing the schedule: a caller that generates many pays for both.
void generate(benchmark::State& state, const std::string& name) {
  const pipewise::Problem problem = make_problem(state.range(0), state.range(1), state.range(2),
                   pipewise::find_schedule(name).placement);
  std::size_t ops = 0;
  std::size_t bytes = 0;
  try {
    for (auto _ : state) {
      const pipewise::Schedule schedule = pipewise::generate_schedule(name, problem);
      ops = schedule.op_count();
      bytes = pipewise::bench::program_bytes(schedule);
      benchmark::DoNotOptimize(schedule.programs.data());
    }
  } catch (const pipewise::Error& error) {
    state.SkipWithError(error.what());
    return;
  }
  state.counters["ops"] = static_cast<double>(ops);
  state.counters["ops/s"] = pipewise::bench::ops_rate(static_cast<double>(ops));
  state.counters["bytes/op"] = static_cast<double>(bytes) / static_cast<double>(ops);
}

void validate(benchmark::State& state, const std::string& name) {
  const pipewise::Problem problem = make_problem(state.range(0), state.range(1), state.range(2),
                   pipewise::find_schedule(name).placement);
  const pipewise::Schedule* schedule = nullptr;
  try {
    schedule = &pipewise::bench::cached_schedule(name, problem, state.range(3) != 0);
  } catch (const pipewise::Error& error) {
    state.SkipWithError(error.what());
    return;
  }
  for (auto _ : state) {
    const pipewise::ValidationReport report = pipewise::validate_schedule(*schedule);
    if (!report.ok()) {
      state.SkipWithError(
          ("the generated schedule is invalid: " + pipewise::format_issue(report.issues.front()))
              .c_str());
      break;
    }
  }
  const auto ops = static_cast<double>(schedule->op_count());
  state.counters["ops"] = ops;
  state.counters["ops/s"] = pipewise::bench::ops_rate(ops);
}

void register_benchmarks() {
  for (const pipewise::ScheduleInfo& info : pipewise::schedule_catalog()) {
    const std::vector<std::int64_t> chunks = pipewise::bench::chunk_counts(info);
    pipewise::bench::add_args_product(
        benchmark::RegisterBenchmark(("BM_Generate/" + info.name).c_str(), generate, info.name)
            ->ArgNames({"p", "m", "v"})
            ->Unit(benchmark::kMillisecond),
        {pipewise::bench::kDeviceCounts, pipewise::bench::kMicrobatchCounts, chunks});
    pipewise::bench::add_args_product(
        benchmark::RegisterBenchmark(("BM_Validate/" + info.name).c_str(), validate, info.name)
            ->ArgNames({"p", "m", "v", "lowered"})
            ->Unit(benchmark::kMillisecond),
        {pipewise::bench::kDeviceCounts, kValidationMicrobatchCounts, chunks, {0, 1}});
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  pipewise::bench::keep_freed_memory_for_reuse();
  benchmark::AddCustomContext("sizeof(Op)", std::to_string(sizeof(pipewise::Op)));
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
