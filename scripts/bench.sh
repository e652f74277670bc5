#!/usr/bin/env bash
# Runs every benchmark suite and prints one table of the headline figures against their
# targets (targets are reported, never asserted).
#
# Builds the suites into $BUILD_DIR (default build/; configured as Release when it does not
# exist yet), runs each with Google Benchmark's JSON output into $BUILD_DIR/bench-results/
# (<suite>.json, console output in <suite>.txt), repeats the runs that have targets
# (<suite>_targets.json), then runs the streamed 134-million-op and 1.07-billion-op
# simulations (BM_Simulate_Large) in processes of their own, since their peak memory is the
# process's. About 4 minutes of CPU time;
# longer in wall time on a loaded machine.
#
# Environment:
#   BUILD_DIR          build directory (default build)
#   BENCH_MIN_TIME     minimum seconds per benchmark (default 0.1; Google Benchmark 1.7
#                      takes a plain number)
#   BENCH_REPETITIONS  how often the runs that have targets are repeated (default 5); the
#                      summary reports their medians
#   BENCH_LARGE        0 skips the large simulation (about 10 s and 4 GiB); default 1
# Packages: scripts/setup.sh installs what the build needs.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build}
min_time=${BENCH_MIN_TIME:-0.1}
repetitions=${BENCH_REPETITIONS:-5}
results="$build_dir/bench-results"
suites=(common sim sweep exec cli search)

if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt")
if [ "$build_type" != "Release" ]; then
  echo "bench: warning: $build_dir is a '$build_type' build; the figures are meant for Release" >&2
fi
targets=(bench_summary)
for suite in "${suites[@]}"; do targets+=("${suite}_bench"); done
# exec_mpi_bench exists where the build found MPI.
if cmake --build "$build_dir" --target help | grep -q exec_mpi_bench; then
  targets+=(exec_mpi_bench)
fi
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >/dev/null

mkdir -p "$results"
rm -f "$results"/*.json "$results"/*.txt
{
  echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
  echo "load before the run: $(uptime)"
} | tee "$results/machine.txt"

run_suite() {  # run_suite NAME EXECUTABLE ARGS...: JSON to NAME.json, console to NAME.txt
  local name=$1 executable=$2
  shift 2
  local start=$SECONDS
  "$executable" --benchmark_out="$results/$name.json" --benchmark_out_format=json "$@" \
    >"$results/$name.txt" 2>&1 || {
    echo "bench: $name failed; see $results/$name.txt" >&2
    tail -5 "$results/$name.txt" >&2
    return 1
  }
  echo "bench: $name done in $((SECONDS - start)) s"
}

for suite in "${suites[@]}"; do
  run_suite "$suite" "$build_dir/bench/${suite}_bench" --benchmark_min_time="$min_time"
done
# The executor across processes, where the build has it and mpirun is there: 2 ranks.
if [ -x "$build_dir/bench/exec_mpi_bench" ] && command -v mpirun >/dev/null; then
  run_suite exec_mpi mpirun --allow-run-as-root --oversubscribe -np 2 \
    "$build_dir/bench/exec_mpi_bench"
fi
# The runs that have targets again, repeated: the summary reports their medians.
repeat=(--benchmark_repetitions="$repetitions" --benchmark_report_aggregates_only=true)
run_suite sim_targets "$build_dir/bench/sim_bench" "${repeat[@]}" --benchmark_min_time=0.5 \
  --benchmark_filter='^BM_Simulate(Previous)?/1f1b/p:64/m:4096/'
run_suite exec_targets "$build_dir/bench/exec_bench" "${repeat[@]}" --benchmark_min_time=0.5 \
  --benchmark_filter='^BM_ExecutorOverhead/p:[12]/m:16384/observer:0/'
run_suite sweep_targets "$build_dir/bench/sweep_bench" "${repeat[@]}" --benchmark_min_time=0.1
run_suite cli_targets "$build_dir/bench/cli_bench" "${repeat[@]}" --benchmark_min_time=0.5
if [ "${BENCH_LARGE:-1}" != "0" ]; then
  # One process each: their peak memory is the process's VmHWM.
  run_suite sim_large "$build_dir/bench/sim_bench" --benchmark_filter='BM_Simulate_Large/m:65536/'
  run_suite sim_huge "$build_dir/bench/sim_bench" --benchmark_filter='BM_Simulate_Large/m:524288/'
fi
echo "load after the run: $(uptime)" | tee -a "$results/machine.txt"
echo
"$build_dir/bench/bench_summary" "$results" | tee "$results/summary.txt"
echo
echo "bench: JSON and console output in $results/"
