#!/usr/bin/env bash
# Set-up (scripts/setup.sh), then every test under ctest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build_dir=${BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 600 "$@"

# OpenBLAS picks its GEMM kernels for the CPU it runs on, and OPENBLAS_CORETYPE (set on some
# machines) overrides the choice: the executor's training and the measured-versus-predicted
# comparison must hold on any x86-64 kernel. Their suites (a minute of the whole) run once
# more on another kernel: Haswell (AVX2), or Prescott (SSE3) on a CPU without AVX2. Only for
# the whole suite (no ctest arguments given).
if [ $# -eq 0 ] && [ "$(uname -m)" = x86_64 ]; then
  coretype=Prescott
  grep -qw avx2 /proc/cpuinfo && coretype=Haswell
  echo "test: the exec_* and tools_compare suites again with OPENBLAS_CORETYPE=$coretype"
  OPENBLAS_CORETYPE=$coretype ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" \
    --timeout 600 -L '^(exec_|tools_compare$)'
fi
