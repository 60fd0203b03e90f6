#!/usr/bin/env bash
# Regenerates the README's architecture matrix from the tests: runs tests/test_arch (every architecture preset,
# in-graph steering path, f32 KV cache, CPU) with PALIGN_ARCH_MATRIX and puts its table between the README's
# "arch-matrix" markers. Fails, leaving the README as it was, if any test of the matrix fails.
# usage: scripts/arch-matrix.sh            (after building: cmake --build build --target test_arch)
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${PALIGN_BUILD_DIR:-build}
bin="$bdir/tests/test_arch"
[ -x "$bin" ] || { echo "arch-matrix.sh: $bin not found; HINT: cmake --build $bdir --target test_arch" >&2; exit 1; }
table=$(mktemp)
trap 'rm -f "$table" README.md.tmp.$$' EXIT
PALIGN_THREADS=${PALIGN_THREADS:-1} PALIGN_ARCH_MATRIX="$table" "$bin" >/dev/null || {
    echo "arch-matrix.sh: $bin failed; run it to see which architecture" >&2; exit 1; }
grep -q '^| `' "$table" || { echo "arch-matrix.sh: the tests wrote no table" >&2; exit 1; }
awk -v table="$table" '
    /<!-- arch-matrix:begin/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
    /<!-- arch-matrix:end/   { skip = 0 }
    !skip' README.md > README.md.tmp.$$
grep -q '<!-- arch-matrix:end' README.md.tmp.$$ || { echo "arch-matrix.sh: README.md has no arch-matrix markers" >&2; exit 1; }
mv README.md.tmp.$$ README.md
echo "arch-matrix.sh: README.md updated from $bin" >&2
