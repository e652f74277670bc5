#!/usr/bin/env bash
# The GPU check: builds pipewise in Release, runs the CUDA test suites (planning, the module
# loader, the backend's startup and GPU tests), then measures gpipe, 1f1b, interleaved and
# pipedream on 4 emulated devices of one GPU (and on 4 real GPUs when the machine has
# them), plus 1f1b over NCCL loopbacks (--transport nccl), and gpipe, interleaved and
# pipedream predicted from one 1f1b profile (pipewise profile --backend cuda; run --costs),
# and, with 2 GPUs or more, gpipe, 1f1b and interleaved with one process per GPU under mpirun (NCCL),
# with the CUDA backend (the module
# build/tools/libpipewise_cuda.so that `pipewise run --backend cuda` loads), against the
# simulator's prediction from the same run's profiled costs, and prints one summary table.
#
# Each run is `pipewise run --backend cuda --schedule S --stages 4 --microbatches M
# (--emulate 4 | --gpus 0,1,2,3) --format csv`: a header and one row of headline figures
# (measured and predicted step time and bubble, the step's relative error, the median
# op-duration error; see `pipewise run --help`), kept in $BUILD_DIR/gpu-check/<run>.csv.
# The table, $BUILD_DIR/gpu-check/summary.csv, is every run's row behind its name; a run
# that failed is marked so, its last line printed as it fails and its stderr kept beside.
# For a run's whole report, rerun it with --format json.
#
# Environment:
#   BUILD_DIR      build directory (default build-release), configured as Release
#   MICROBATCHES   micro-batches per iteration (default 8)
#   JOBS           build parallelism (default: the machine's cores)
# Needs: cmake, a C++20 compiler, the CUDA toolkit with NCCL, and coreutils; `column`
# (util-linux) aligns the table when present. Nothing is installed from the network (GPU
# machines may have none).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build-release}
microbatches=${MICROBATCHES:-8}
jobs=${JOBS:-$(nproc)}
results="$build_dir/gpu-check"

echo "== build ($build_dir, Release)"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DPIPEWISE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j"$jobs"

# The GPU tests (label gpu) and the CUDA backend's others: its planning, its module and its
# startup without a GPU (labels exec_cuda*).
echo "== CUDA tests (ctest -L 'gpu|exec_cuda')"
tests_status=0
ctest --test-dir "$build_dir" -L 'gpu|exec_cuda' --output-on-failure || tests_status=$?

gpus=0
if command -v nvidia-smi >/dev/null 2>&1; then
  gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
fi
echo "== measured versus predicted ($gpus GPU(s) visible)"
mkdir -p "$results"
rm -f "$results"/*.csv "$results"/*.err
runs=()
runs_status=0
stages=4      # pipeline devices of the runs
launcher=()   # what starts pipewise: nothing, or mpirun for one process per GPU
run_one() {  # run_one SCHEDULE DEVICE_FLAGS LABEL EXTRA_FLAGS...
  local schedule=$1 device_flags=$2 label=$3
  shift 3
  local name="$schedule-$label"
  local out="$results/$name.csv"
  runs+=("$name")
  # shellcheck disable=SC2086  # device_flags holds two words on purpose
  if "${launcher[@]}" "$build_dir"/tools/pipewise run --backend cuda --schedule "$schedule" --stages "$stages" \
      --microbatches "$microbatches" $device_flags "$@" --format csv >"$out.tmp" 2>"$out.err"; then
    mv "$out.tmp" "$out"
    rm -f "$out.err"
  else
    runs_status=1
    rm -f "$out.tmp"
    echo "$name failed: $(tail -n 1 "$out.err")"
  fi
}
device_sets=("--emulate 4:emulated")
[ "$gpus" -ge 4 ] && device_sets+=("--gpus 0,1,2,3:gpus")
for set in "${device_sets[@]}"; do
  flags=${set%%:*}
  label=${set##*:}
  run_one gpipe "$flags" "$label"
  run_one 1f1b "$flags" "$label"
  run_one interleaved "$flags" "$label" --chunks 2
  run_one pipedream "$flags" "$label" --iterations 4
done
# The NCCL path on one GPU: each emulated device's one-rank loopback, inside green contexts.
run_one 1f1b "--emulate 4" emulated-nccl --transport nccl
# Profile once, predict the others: 1f1b profiled on the emulated devices (pipewise profile
# --backend cuda), then gpipe, interleaved (another p*v) and pipedream predicted from that
# file (run --costs) instead of from their own runs.
profile="$results/costs-1f1b-emulated.json"
rm -f "$profile"
if "$build_dir"/tools/pipewise profile --backend cuda --schedule 1f1b --stages 4 \
    --microbatches "$microbatches" --emulate 4 -o "$profile" >/dev/null 2>"$results/profile.err"; then
  rm -f "$results/profile.err"
  run_one gpipe "--emulate 4" emulated-from-profile --costs "$profile"
  run_one interleaved "--emulate 4" emulated-from-profile --chunks 2 --costs "$profile"
  run_one pipedream "--emulate 4" emulated-from-profile --iterations 4 --costs "$profile"
else
  runs_status=1
  echo "profile --backend cuda failed: $(tail -n 1 "$results/profile.err")"
fi

# One process per GPU: with 2 GPUs or more, p = 2 across 2 ranks under mpirun, messages by
# NCCL between the processes (its profile taken across the ranks too).
if [ "$gpus" -ge 2 ] && command -v mpirun >/dev/null 2>&1 &&
   [ -e "$build_dir/tools/libpipewise_mpi.so" ]; then
  stages=2
  launcher=(mpirun --allow-run-as-root --oversubscribe -np 2)
  run_one gpipe "" mpi-2-ranks
  run_one 1f1b "" mpi-2-ranks
  run_one interleaved "" mpi-2-ranks --chunks 2  # receives posted ahead for its NCCL groups
  stages=4
  launcher=()
fi

# The summary: one header, then each run's row behind its name ("-" for an empty cell, so
# that the columns stay aligned); a failed run points at its error, printed above.
summary="$results/summary.csv"
header="run"
rows=()
for name in "${runs[@]}"; do
  if [ -f "$results/$name.csv" ]; then
    header="run,$(head -n 1 "$results/$name.csv")"
    rows+=("$name,$(sed -n 2p "$results/$name.csv" | sed -e 's/,,/,-,/g' -e 's/,,/,-,/g' -e 's/,$/,-/')")
  else
    rows+=("$name,failed (see above; $results/$name.csv.err)")
  fi
done
printf '%s\n' "$header" "${rows[@]}" >"$summary"
if command -v column >/dev/null 2>&1; then
  column -t -s, "$summary"
else
  tr , '\t' <"$summary"
fi

if [ "$tests_status" -ne 0 ] || [ "$runs_status" -ne 0 ]; then
  echo "gpu_check: FAILED (tests exit $tests_status, runs $([ $runs_status -eq 0 ] && echo ok || echo failed))"
  exit 1
fi
echo "gpu_check: ok"
