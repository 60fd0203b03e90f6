#!/usr/bin/env bash
# Builds palign (via scripts/setup.sh) and runs the whole test suite with CTest.
# usage: scripts/test.sh [ctest args...]     e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bdir=${PALIGN_BUILD_DIR:-build}
ctest --test-dir "$bdir" --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
