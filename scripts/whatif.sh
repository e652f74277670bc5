#!/usr/bin/env bash
# Set-up (scripts/setup.sh), then the main job: a what-if analysis of the built-in default
# model. Prints the ranked table and writes whatif.svg (override with the first argument).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build_dir=${BUILD_DIR:-build}
"$build_dir"/tools/pipewise recommend --svg "${1:-whatif.svg}"
echo "picture: ${1:-whatif.svg}"
