#!/usr/bin/env bash
# The GPU check: builds pipewise in Release, runs the GPU test suite (ctest -L gpu), then
# measures gpipe, 1f1b, interleaved and pipedream on 4 emulated devices of one GPU (and on
# 4 real GPUs when the machine has them), plus 1f1b over NCCL loopbacks (--transport nccl),
# with the CUDA backend, against the simulator's prediction from the same run's profiled
# costs, and prints one summary table.
#
# Each run is `pipewise run --backend cuda --schedule S --stages 4 --microbatches M
# (--emulate 4 | --gpus 0,1,2,3) --format json`; its report is kept in
# $BUILD_DIR/gpu-check/<schedule>-<devices>.json. The table reads the "pipewise.run" report
# (tools/compare/run_report.hpp): measured and predicted "makespan" and "bubble_ratio", and the
# median op-duration error; a report without them is listed by path instead.
#
# Environment:
#   BUILD_DIR      build directory (default build-release), configured as Release
#   MICROBATCHES   micro-batches per iteration (default 8)
#   JOBS           build parallelism (default: the machine's cores)
# Needs: cmake, a C++20 compiler, the CUDA toolkit with NCCL, python3 for the table. Nothing
# is installed from the network (GPU machines may have none).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build-release}
microbatches=${MICROBATCHES:-8}
jobs=${JOBS:-$(nproc)}
results="$build_dir/gpu-check"

echo "== build ($build_dir, Release)"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DPIPEWISE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j"$jobs"

echo "== GPU tests (ctest -L gpu)"
tests_status=0
ctest --test-dir "$build_dir" -L gpu --output-on-failure || tests_status=$?

gpus=0
if command -v nvidia-smi >/dev/null 2>&1; then
  gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
fi
echo "== measured versus predicted ($gpus GPU(s) visible)"
mkdir -p "$results"
runs_status=0
run_one() {  # run_one SCHEDULE DEVICE_FLAGS LABEL EXTRA_FLAGS...
  local schedule=$1 device_flags=$2 label=$3
  shift 3
  local out="$results/$schedule-$label.json"
  # shellcheck disable=SC2086  # device_flags holds two words on purpose
  if "$build_dir"/tools/pipewise run --backend cuda --schedule "$schedule" --stages 4 \
      --microbatches "$microbatches" $device_flags "$@" --format json >"$out.tmp" 2>"$out.err"; then
    mv "$out.tmp" "$out"
    rm -f "$out.err"
  else
    runs_status=1
    rm -f "$out.tmp"
    echo "$schedule ($label) failed: $(tail -n 1 "$out.err")"
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

python3 - "$results" <<'PY'
import glob, json, os, sys

def find(node, key):
    """The first object under `key` anywhere in the report."""
    if isinstance(node, dict):
        if key in node and isinstance(node[key], dict):
            return node[key]
        for value in node.values():
            found = find(value, key)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = find(value, key)
            if found is not None:
                return found
    return None

rows = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    name = os.path.basename(path)[:-len(".json")]
    with open(path) as f:
        report = json.load(f)
    measured, predicted = find(report, "measured"), find(report, "predicted")
    if not measured or not predicted or "makespan" not in measured or "makespan" not in predicted:
        rows.append((name, None, None, None, None, None, path))
        continue
    op_error = ((report.get("error") or {}).get("op_duration") or {}).get("median")
    rows.append((name, measured["makespan"], predicted["makespan"],
                 measured.get("bubble_ratio"), predicted.get("bubble_ratio"), op_error, path))

print(f"{'run':<26} {'measured ms':>12} {'predicted ms':>13} {'error':>8} "
      f"{'bubble meas.':>13} {'bubble pred.':>13} {'op error p50':>13}")
for name, measured, predicted, bubble_m, bubble_p, op_error, path in rows:
    if measured is None:
        print(f"{name:<26} no measured/predicted makespan in {path}")
        continue
    error = (measured - predicted) / predicted * 100 if predicted else float("nan")
    fmt = lambda x: f"{x:.3f}" if isinstance(x, (int, float)) else "-"
    print(f"{name:<26} {measured:>12.3f} {predicted:>13.3f} {error:>+7.1f}% "
          f"{fmt(bubble_m):>13} {fmt(bubble_p):>13} {fmt(op_error):>13}")
PY

if [ "$tests_status" -ne 0 ] || [ "$runs_status" -ne 0 ]; then
  echo "gpu_check: FAILED (tests exit $tests_status, runs $([ $runs_status -eq 0 ] && echo ok || echo failed))"
  exit 1
fi
echo "gpu_check: ok"
