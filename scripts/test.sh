#!/usr/bin/env bash
# Builds palign (via scripts/setup.sh) and runs its tests. Without arguments (what CI runs, .ci/run): the whole
# suite with CTest, then the sanitizer stage, then a short fuzzing stage.
#
# usage: scripts/test.sh                    everything: suite + sanitizers (subset) + fuzzing (20 s per target)
#        scripts/test.sh [ctest args...]    only the suite, e.g. scripts/test.sh -L unit, -R cli_use
#        scripts/test.sh --sanitize         only the sanitizer stage: palign and the tests that check hostile input
#                                           and the unit tests, built with ASan + UBSan in build-asan/ and run there
#        scripts/test.sh --sanitize-all     the same with the whole suite (slow: on demand, not in CI)
#        scripts/test.sh --fuzz SECONDS     only fuzzing: each libFuzzer target SECONDS (scripts/fuzz.sh)
#        scripts/test.sh --no-sanitize --no-fuzz   the suite only (as before the sanitizer stage existed)
# env: PALIGN_BUILD_DIR (default build), PALIGN_ASAN_BUILD_DIR (default build-asan), PALIGN_FUZZ_SECONDS (CI: 20)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bdir=${PALIGN_BUILD_DIR:-build}
adir=${PALIGN_ASAN_BUILD_DIR:-build-asan}
jobs=$(nproc 2>/dev/null || echo 2)

suite=1; sanitize=subset; fuzz=${PALIGN_FUZZ_SECONDS:-20}; ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize)     suite=0; fuzz=0 ;;
    --sanitize-all) suite=0; fuzz=0; sanitize=all ;;
    --fuzz)         suite=0; sanitize=none; fuzz=${2:?--fuzz needs SECONDS per target}; shift ;;
    --no-sanitize)  sanitize=none ;;
    --no-fuzz)      fuzz=0 ;;
    -h|--help)      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *)              ctest_args+=("$1"); sanitize=none; fuzz=0 ;;   # ctest arguments: the suite only
  esac
  shift
done

if [ $suite = 1 ]; then
  bash scripts/setup.sh
  ctest --test-dir "$bdir" --output-on-failure -j "$jobs" "${ctest_args[@]+"${ctest_args[@]}"}"
fi
[ "$sanitize" = none ] && [ "$fuzz" = 0 ] && exit 0

# ---- the sanitizer build: palign's own code with ASan + UBSan (and libFuzzer's coverage), clang ------------------
# llama.cpp's prebuilt libraries are not instrumented. One ASan check is off because of that, nothing else:
# detect_container_overflow=0 - std::vector code inlined into the uninstrumented libraries does not annotate the
# containers that palign's instrumented code then checks, which reads as overflows that are not there.
# Leak checking stays on (nothing suppressed), and UBSan stops at the first finding.
export ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
[ $suite = 1 ] || bash scripts/setup.sh   # packages (clang, its sanitizer and libFuzzer runtimes) and llama.cpp
cmake -S . -B "$adir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
      -DPALIGN_SANITIZE=ON -DPALIGN_FUZZ=ON -DPALIGN_BUILD_BENCH=OFF -DPALIGN_MPI=OFF >/dev/null
fuzzers=(fuzz_answers fuzz_subjects fuzz_steer_file fuzz_checkpoint fuzz_answer_text)

if [ "$sanitize" != none ]; then
  if [ "$sanitize" = all ]; then
    cmake --build "$adir" -j "$jobs"
    ctest --test-dir "$adir" --output-on-failure -j "$jobs"
  else
    # the unit tests, the tests that hand palign hostile files, flags and folders (CLI, hardening, run folders,
    # steering files), and the server's bad requests
    cmake --build "$adir" -j "$jobs" --target palign palign-mkmodel test_data test_eval test_pas test_eval_predictors \
          test_eval_compare test_hardening test_cli_use test_cli_subjects test_eval_protocol test_server "${fuzzers[@]}"
    ctest --test-dir "$adir" --output-on-failure -j "$jobs" -L unit
    ctest --test-dir "$adir" --output-on-failure -j "$jobs" -R \
      '^(hardening\.|bad_inputs_quick|cli_subjects|cli_use\.(hostile_input_files|flags_are_range_checked|truncated_or_foreign_steering_file|steering_file_values_are_checked|answers_with_unknown_items|steering_file_for_another_model)|eval_protocol\.(cli_errors_are_one_line|run_folder_lock|other_settings_are_refused)|server\.bad_requests)'
  fi
fi

if [ "$fuzz" != 0 ]; then
  cmake --build "$adir" -j "$jobs" --target "${fuzzers[@]}"
  PALIGN_ASAN_BUILD_DIR="$adir" bash scripts/fuzz.sh "$fuzz"
fi
