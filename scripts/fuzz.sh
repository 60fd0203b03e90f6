#!/usr/bin/env bash
# Fuzzes palign's file readers with libFuzzer: answer files, subjects files, steering files (GGUF), run
# checkpoints, and the generation-mode answer parsers. Builds the targets in build-asan/ (clang, ASan + UBSan +
# coverage; see scripts/test.sh) and runs each on a scratch copy of its seed corpus, tests/fuzz/corpus/<target>/.
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]    default 20 s each (what CI runs), all targets
#        scripts/fuzz.sh 3600 fuzz_steer_file      one target for an hour (on demand)
# A finding is saved as build-asan/fuzz-artifacts/<target>/crash-* (rerun it: build-asan/tests/fuzz/<target> FILE)
# and the script exits 1. New inputs that reached new code stay in build-asan/fuzz-corpus/<target>/ (add the
# interesting ones to tests/fuzz/corpus/<target>/).
# env: PALIGN_ASAN_BUILD_DIR (default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
adir=${PALIGN_ASAN_BUILD_DIR:-build-asan}
secs=${1:-20}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_answers fuzz_subjects fuzz_steer_file fuzz_checkpoint fuzz_answer_text)
case "$secs" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;; esac

# the same run-time options as the sanitizer stage of scripts/test.sh (why: see there)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_container_overflow=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [ ! -x "$adir/tests/fuzz/${targets[0]}" ] || [ "${PALIGN_FUZZ_REBUILD:-1}" = 1 ]; then
  cmake -S . -B "$adir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
        -DPALIGN_SANITIZE=ON -DPALIGN_FUZZ=ON -DPALIGN_BUILD_BENCH=OFF -DPALIGN_MPI=OFF >/dev/null
  cmake --build "$adir" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}"
fi

status=0
printf '%-18s %8s %10s %8s  %s\n' target seconds runs corpus result >&2
for t in "${targets[@]}"; do
  work="$adir/fuzz-corpus/$t" art="$adir/fuzz-artifacts/$t/"
  mkdir -p "$work" "$art"
  cp -n "tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null || true
  log="$adir/fuzz-$t.log"
  rc=0
  TMPDIR="$adir" "$adir/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
      -print_final_stats=1 -artifact_prefix="$art" "$work" >"$log" 2>&1 || rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  n=$(ls "$work" | wc -l)
  if [ $rc = 0 ]; then res=clean; else res="FINDING (exit $rc): $(ls -t "$art" | head -1) - see $log"; status=1; fi
  printf '%-18s %8s %10s %8s  %s\n' "$t" "$secs" "$runs" "$n" "$res" >&2
  [ $rc = 0 ] || tail -40 "$log" >&2
done
exit $status
