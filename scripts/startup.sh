#!/usr/bin/env bash
# Start-up cost of the pipewise command, whole process, measured with /usr/bin/time: for
# `help`, a small `show`, `validate` and a small `simulate`, the smallest and the median
# wall time of RUNS runs and the peak resident memory. Given a second binary (say, a build
# from before a change), measures it in the same run, command by command, so that both
# see the same machine load.
#
# Usage: scripts/startup.sh [BINARY [OTHER_BINARY]]   (default BINARY: build/tools/pipewise)
# Environment: RUNS (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
  echo "startup: /usr/bin/time is missing (Debian package \"time\")" >&2
  exit 2
fi
binaries=("${1:-build/tools/pipewise}")
[ $# -ge 2 ] && binaries+=("$2")
for binary in "${binaries[@]}"; do
  [ -x "$binary" ] || { echo "startup: $binary is not an executable" >&2; exit 2; }
done
runs=${RUNS:-15}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${binaries[0]}" show -s 1f1b -p 4 -m 8 -f json -o "$work/schedule.json"

commands=("help" "show -s 1f1b -p 4 -m 8" "validate $work/schedule.json"
          "simulate -s 1f1b -p 8 -m 64")
printf '%-32s %-10s %10s %10s %10s\n' "command" "binary" "min" "median" "peak RSS"
for command in "${commands[@]}"; do
  for index in "${!binaries[@]}"; do
    samples="$work/samples"
    : >"$samples"
    for _ in $(seq "$runs"); do
      # shellcheck disable=SC2086
      /usr/bin/time -a -o "$samples" -f "%e %M" "${binaries[$index]}" $command >/dev/null
    done
    sort -n "$samples" | awk -v name="${command%% /*}" -v which="$((index + 1))" '
      { wall[NR] = $1; if ($2 > rss) rss = $2 }
      END { printf "%-32s %-10s %9.3fs %9.3fs %7.1f MiB\n", name, "binary " which,
                   wall[1], wall[int((NR + 1) / 2)], rss / 1024 }'
  done
done
