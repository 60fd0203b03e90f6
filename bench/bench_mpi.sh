#!/usr/bin/env bash
# palign eval --mpi scaling on one machine: subjects/hour with 1, 2, ... ranks (one compute thread each), as
# ratios to one rank, in one run (configurations interleaved, --reps times each; the best of each is used),
# next to one process with as many threads as the largest rank count (llama.cpp's own threading).
# Prints a table; writes DIR/mpi-scaling.json and .txt when DIR is given. Not a test.
#
# usage: bench/bench_mpi.sh [DIR] [--ranks 1,2] [--subjects 0:8] [--methods none,pas] [--reps 2] [--preset llama3]
# env:   PALIGN_BUILD_DIR (default build)
set -euo pipefail
cd "$(dirname "$0")/.."

out=""; ranks=1,2; subjects=0:8; methods=none,pas; reps=2; preset=llama3
while [ $# -gt 0 ]; do
  case "$1" in
    --ranks) ranks=$2; shift 2 ;;
    --subjects) subjects=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench_mpi.sh: unknown flag '$1' (see --help)" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
bdir=${PALIGN_BUILD_DIR:-build}
command -v mpirun >/dev/null || { echo "bench_mpi.sh: mpirun not found; HINT: apt-get install openmpi-bin libopenmpi-dev" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

work=$(mktemp -d "${TMPDIR:-/tmp}/palign-bench-mpi.XXXXXX"); trap 'rm -rf "$work"' EXIT
model=$bdir/bench-models/$preset-mpi.gguf
mkdir -p "$bdir/bench-models"
[ -f "$model" ] || "$bdir/palign-mkmodel" --preset "$preset" -o "$model" >/dev/null
a=${subjects%%:*}; b=${subjects##*:}; n_subj=$((b - a))
args=(eval -m "$model" --method "$methods" --subjects "$subjects" --alpha-grid 0,3 --cv-folds 2 --k 8 -q
      --contrast-cache "$work/contrast")
"$bdir/palign" capture -m "$model" -o "$work/contrast" >/dev/null   # the contrast set once, outside the timings

IFS=, read -r -a rlist <<<"$ranks"
maxr=${rlist[-1]}
configs=(); for r in "${rlist[@]}"; do configs+=("mpi$r"); done; configs+=("threads$maxr")
declare -A best
for rep in $(seq 1 "$reps"); do
  for c in "${configs[@]}"; do
    rm -rf "$work/run"
    t0=$(date +%s.%N)
    case $c in
      mpi*) mpirun -np "${c#mpi}" "$bdir/palign" "${args[@]}" -t 1 --mpi -o "$work/run" >/dev/null 2>&1 ;;
      threads*) "$bdir/palign" "${args[@]}" -t "${c#threads}" -o "$work/run" >/dev/null 2>&1 ;;
    esac
    t=$(echo "$(date +%s.%N) - $t0" | bc -l)
    if [ -z "${best[$c]:-}" ] || (( $(echo "$t < ${best[$c]}" | bc -l) )); then best[$c]=$t; fi
  done
done

base=${best[mpi${rlist[0]}]}
table=$(printf "%-12s %10s %14s %10s\n" config seconds subjects/hour "vs ${configs[0]}"
        for c in "${configs[@]}"; do
          t=${best[$c]}
          printf "%-12s %10.1f %14.0f %9.2fx\n" "$c" "$t" "$(echo "$n_subj * 3600 / $t" | bc -l)" "$(echo "$base / $t" | bc -l)"
        done)
hdr="palign eval --mpi scaling: $n_subj subjects, methods $methods, preset $preset, best of $reps, $(nproc) cores, $(date -u +%F)"
printf "%s\n%s\n" "$hdr" "$table"
if [ -n "$out" ]; then
  mkdir -p "$out"
  printf "%s\n%s\n" "$hdr" "$table" > "$out/mpi-scaling.txt"
  { echo "{\"subjects\": $n_subj, \"methods\": \"$methods\", \"preset\": \"$preset\", \"reps\": $reps, \"cores\": $(nproc), \"seconds\": {"
    sep=""; for c in "${configs[@]}"; do printf '%s"%s": %s' "$sep" "$c" "${best[$c]}"; sep=", "; done
    echo "}}"; } > "$out/mpi-scaling.json"
fi
