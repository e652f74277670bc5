#!/usr/bin/env bash
# Profile once, predict every configuration, verify (issue 17, item 5): in each of ROUNDS
# rounds (default 3), profiles 1F1B at p = 2, m = 8 once per way of running (`pipewise
# profile` in one process, and `mpirun -np 2 pipewise profile` across two ranks, whose
# messages go over MPI), then runs GPipe, 1F1B, interleaved (v = 2) and PipeDream at m = 4, 8
# and 16, each predicted from that round's one cost file of its way (`run --costs`), in one
# process and, where mpirun and the MPI module are there, over MPI with 2 ranks. Profiling
# each round keeps a drift of the machine's speed over the minutes of the experiment (this
# shared machine's runs drifted 5-7 % from a profile taken minutes before) out of the
# errors; the rounds make a burst of load from elsewhere move one round, not the figure.
# Prints the step-time error table, each run's from its median round by error
# (error = (measured - predicted) / predicted, measured the run's median step; op error: the
# median |error| of the op durations), and the median and largest |error| of each way of
# running.
#   usage: scripts/predict_from_profile.sh [PIPEWISE_BINARY]   (default build/tools/pipewise)
#   STEPS=K timed steps per run (default 5); ROUNDS=R (default 3); MPI=0 skips the MPI runs.
set -euo pipefail
pipewise=${1:-build/tools/pipewise}
steps=${STEPS:-5}
rounds=${ROUNDS:-3}
[[ -x $pipewise ]] || { echo "predict_from_profile.sh: no pipewise binary at $pipewise" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "load before: $(uptime)"
mpi_runs=0
if [[ ${MPI:-1} != 0 ]] && command -v mpirun >/dev/null &&
   [[ -e $(dirname "$pipewise")/libpipewise_mpi.so ]]; then
  mpi_runs=1
fi

# One CSV row per run: way,schedule,backend,stages,chunks,microbatches,iterations,
# measured_step_ms,predicted_step_ms,step_time_error,...,op_duration_error_median
for ((round = 1; round <= rounds; ++round)); do
  "$pipewise" profile --backend cpu -s 1f1b -p 2 -m 8 -o "$scratch/costs.json"
  if [[ $mpi_runs == 1 ]]; then
    mpirun --allow-run-as-root --oversubscribe -np 2 "$pipewise" profile --backend cpu -s 1f1b \
      -p 2 -m 8 -o "$scratch/mpi-costs.json"
  fi
  for m in 4 8 16; do
    "$pipewise" run --backend cpu -s gpipe,1f1b,interleaved,pipedream -p 2 -v 2 -m "$m" \
      --steps "$steps" --costs "$scratch/costs.json" --format csv | tail -n +2 |
      sed 's/^/in-process,/' >>"$scratch/rows.csv"
  done
  if [[ $mpi_runs == 1 ]]; then
    for m in 4 8 16; do
      for schedule in gpipe 1f1b interleaved pipedream; do
        chunks=1
        [[ $schedule == interleaved ]] && chunks=2
        mpirun --allow-run-as-root --oversubscribe -np 2 "$pipewise" run --backend cpu \
          -s "$schedule" -p 2 -v "$chunks" -m "$m" --steps "$steps" --costs "$scratch/mpi-costs.json" \
          --format csv | tail -n +2 | sed 's/^/mpi-2-ranks,/' >>"$scratch/rows.csv"
      done
    done
  fi
done
echo "load after: $(uptime)"

awk -F, '
  function abs(x) { return x < 0 ? -x : x }
  function sort(a, n,   i, j, t) {
    for (i = 1; i <= n; ++i) for (j = i + 1; j <= n; ++j) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  }
  {
    key = $1 "," $2 "," $5 "," $6
    if (!(key in rounds)) order[++runs] = key
    round = ++rounds[key]
    error[key, round] = ($8 - $9) / $9
    measured[key, round] = $8
    predicted[key, round] = $9
    op_error[key, round] = $13
  }
  END {
    printf "%-11s  %-11s  %2s  %3s  %12s  %13s  %7s  %8s\n", "run", "schedule", "v", "m",
           "measured ms", "predicted ms", "error", "op error"
    for (r = 1; r <= runs; ++r) {
      key = order[r]
      n = rounds[key]
      for (i = 1; i <= n; ++i) by_error[i] = sprintf("%020.9f %d", error[key, i] + 10, i)
      sort(by_error, n)  # errors + 10 > 0, zero-padded: text order is numeric order
      split(by_error[int((n + 1) / 2)], middle, " ")  # the lower middle round
      i = middle[2]
      split(key, f, ",")
      printf "%-11s  %-11s  %2s  %3s  %12.3f  %13.3f  %+6.1f%%  %7.1f%%\n", f[1], f[2], f[3], f[4],
             measured[key, i], predicted[key, i], 100 * error[key, i], 100 * op_error[key, i]
      errors[f[1]] = errors[f[1]] " " abs(error[key, i])
    }
    for (way in errors) {
      n = split(substr(errors[way], 2), e, " ")
      sort(e, n)
      median = n % 2 ? e[(n + 1) / 2] : (e[n / 2] + e[n / 2 + 1]) / 2
      printf "%s: %d runs, median |error| %.1f%%, max %.1f%%\n", way, n, 100 * median, 100 * e[n]
    }
  }' "$scratch/rows.csv"
