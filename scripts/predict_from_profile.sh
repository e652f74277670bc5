#!/usr/bin/env bash
# Profile once, predict every configuration, verify (issue 17, item 5): profiles 1F1B at
# p = 2, m = 8 once (`pipewise profile`), then runs GPipe, 1F1B, interleaved (v = 2) and
# PipeDream at m = 4, 8 and 16, each predicted from that one cost file (`run --costs`), in
# one process and, where mpirun and the MPI module are there, over MPI with 2 ranks. Prints
# the step-time error table (error = (measured - predicted) / predicted) and the median and
# largest |error| of each way of running.
#   usage: scripts/predict_from_profile.sh [PIPEWISE_BINARY]   (default build/tools/pipewise)
#   STEPS=K sets the timed steps per run (default 5); MPI=0 skips the MPI runs.
set -euo pipefail
pipewise=${1:-build/tools/pipewise}
steps=${STEPS:-5}
[[ -x $pipewise ]] || { echo "predict_from_profile.sh: no pipewise binary at $pipewise" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "load before: $(uptime)"
"$pipewise" profile --backend cpu -s 1f1b -p 2 -m 8 -o "$scratch/costs.json"

# One CSV row per run: schedule,...,measured_step_ms,predicted_step_ms,step_time_error,...
for m in 4 8 16; do
  "$pipewise" run --backend cpu -s gpipe,1f1b,interleaved,pipedream -p 2 -v 2 -m "$m" \
    --steps "$steps" --costs "$scratch/costs.json" --format csv | tail -n +2 |
    sed 's/^/in-process,/' >>"$scratch/rows.csv"
done
if [[ ${MPI:-1} != 0 ]] && command -v mpirun >/dev/null &&
   [[ -e $(dirname "$pipewise")/libpipewise_mpi.so ]]; then
  for m in 4 8 16; do
    for schedule in gpipe 1f1b interleaved pipedream; do
      chunks=1
      [[ $schedule == interleaved ]] && chunks=2
      mpirun --allow-run-as-root --oversubscribe -np 2 "$pipewise" run --backend cpu \
        -s "$schedule" -p 2 -v "$chunks" -m "$m" --steps "$steps" --costs "$scratch/costs.json" \
        --format csv | tail -n +2 | sed 's/^/mpi-2-ranks,/' >>"$scratch/rows.csv"
    done
  done
fi
echo "load after: $(uptime)"

awk -F, '
  function abs(x) { return x < 0 ? -x : x }
  BEGIN { printf "%-11s  %-11s  %2s  %3s  %12s  %13s  %7s\n", "run", "schedule", "v", "m",
                 "measured ms", "predicted ms", "error" }
  { printf "%-11s  %-11s  %2s  %3s  %12.3f  %13.3f  %+6.1f%%\n", $1, $2, $5, $6, $8, $9, 100 * $10
    errors[$1] = errors[$1] " " abs($10) }
  END {
    for (way in errors) {
      n = split(substr(errors[way], 2), e, " ")
      for (i = 1; i <= n; ++i) for (j = i + 1; j <= n; ++j) if (e[j] < e[i]) { t = e[i]; e[i] = e[j]; e[j] = t }
      median = n % 2 ? e[(n + 1) / 2] : (e[n / 2] + e[n / 2 + 1]) / 2
      printf "%s: %d runs, median |error| %.1f%%, max %.1f%%\n", way, n, 100 * median, 100 * e[n]
    }
  }' "$scratch/rows.csv"
