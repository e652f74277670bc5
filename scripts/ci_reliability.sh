#!/usr/bin/env bash
# Reliability checks (docs/reliability.md), three builds next to the normal one:
#   asan  build-asan: every GoogleTest suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   tsan  build-tsan: the executor tests (ctest -L exec) under ThreadSanitizer
#   fuzz  build-fuzz: every libFuzzer target (clang-14, ASan + UBSan) for FUZZ_SECONDS each
# Each build compiles only what it runs, at -O1 -g (asserts on), without CUDA or benchmarks.
# Assumes scripts/setup.sh has installed the packages (clang-14 and libfuzzer-14-dev are in
# its list). Prints each step's duration; exits non-zero at the first failure.
#
# Environment: STEPS (default "asan tsan fuzz"), JOBS (default nproc), FUZZ_SECONDS (30).
set -euo pipefail
cd "$(dirname "$0")/.."

steps=${STEPS:-asan tsan fuzz}
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-30}

configure_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"
                 -DPIPEWISE_BUILD_BENCH=OFF -DCMAKE_CUDA_COMPILER=NOTFOUND)

# allocator_may_return_null: an impossible allocation throws std::bad_alloc as it does
# without ASan, so the code's own handling of it is what gets tested.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

timings=$(mktemp)
trap 'rm -f "$timings"' EXIT
started=$SECONDS

# step NAME COMMAND...: runs COMMAND, recording its wall-clock and CPU time (user + sys of
# all its processes: on a shared machine the CPU time is what the step costs).
step() {
  local name=$1
  shift
  local TIMEFORMAT
  TIMEFORMAT="$(printf '%-26s' "$name") %0R s wall, %0U s user + %0S s sys"
  echo "== reliability: $name" >&2
  { time "$@" 2>&3; } 3>&2 2>>"$timings"
}

# test_suites BUILD_DIR [LABEL_REGEX]: the GoogleTest executables the configured build
# defines (CMake lists them, with their ctest label, in BUILD_DIR/test_suites.txt), all or
# those whose label matches LABEL_REGEX.
test_suites() {
  awk -v labels="^(${2:-.*})" '$2 ~ labels { print $1 }' "$1/test_suites.txt"
}

for name in $steps; do
  case $name in
    asan)
      step "asan: configure" cmake -S . -B build-asan "${configure_flags[@]}" \
        "-DPIPEWISE_SANITIZE=address;undefined" >/dev/null
      # shellcheck disable=SC2046
      step "asan: build" cmake --build build-asan -j"$jobs" --target $(test_suites build-asan)
      step "asan: test" ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 600
      ;;
    tsan)
      step "tsan: configure" cmake -S . -B build-tsan "${configure_flags[@]}" \
        -DPIPEWISE_SANITIZE=thread >/dev/null
      # shellcheck disable=SC2046
      step "tsan: build" cmake --build build-tsan -j"$jobs" --target $(test_suites build-tsan exec)
      step "tsan: test" ctest --test-dir build-tsan -L exec --output-on-failure -j"$jobs" \
        --timeout 600
      ;;
    fuzz)
      step "fuzz: configure" env CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz \
        "${configure_flags[@]}" "-DPIPEWISE_SANITIZE=address;undefined" -DPIPEWISE_FUZZ=ON \
        -DPIPEWISE_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
      # shellcheck disable=SC2046
      step "fuzz: build" cmake --build build-fuzz -j"$jobs" --target \
        $(basename -s .cpp tests/fuzz/fuzz_*.cpp)
      step "fuzz: run ${fuzz_seconds} s each" ctest --test-dir build-fuzz -L fuzz \
        --output-on-failure -j"$jobs"
      ;;
    *)
      echo "ci_reliability: unknown step \"$name\" (known: asan tsan fuzz)" >&2
      exit 2
      ;;
  esac
done

echo "== reliability: all passed in $((SECONDS - started)) s"
sed 's/^/   /' "$timings"
