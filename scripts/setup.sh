#!/usr/bin/env bash
# Installs the Debian packages pipewise needs (a no-op when all are present), then
# configures and builds into build/ (override with BUILD_DIR). Warnings are errors
# (PIPEWISE_WERROR=OFF in the environment lifts that), the same for CI as for a user, so
# that scripts/whatif.sh after scripts/test.sh reuses the build. Extra arguments are
# passed to the CMake configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make pkg-config libboost-graph-dev libboost-program-options-dev libfmt-dev
          nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev libopenblas-dev
          librsvg2-bin clang-14 libfuzzer-14-dev openmpi-bin libopenmpi-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=${BUILD_DIR:-build}
werror=${PIPEWISE_WERROR:-ON}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" -DPIPEWISE_WERROR="$werror" "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
