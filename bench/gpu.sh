#!/usr/bin/env bash
# GPU check: the engine exactness tests with every layer on the GPU (steered vs baked bias, per-sequence
# batch, in-graph vs callback, capture vs CPU capture), then palign-bench-engine at the Qwen3-0.6B and
# Llama-3-8B shapes (steering overhead, questions/s, llama.cpp's prefill next to it), then a timed PAS
# evaluation of a few subjects extrapolated to the 300-subject experiment. Writes DIR/gpu.txt (the
# table) and DIR/gpu.json. Made to finish in under 8 minutes on one H200.
#
# Needs a CUDA build made beforehand: PALIGN_BUILD_DIR=build-cuda scripts/setup.sh --cuda (bench/gpu.sh
# then uses build-cuda/), or that build packed by bench/gpu-stage.sh into .gpu/ (used when present).
#
# usage: bench/gpu.sh DIR
# env:   PALIGN_GPU_BUILD (default build-cuda), PALIGN_GPU_SUBJECTS (default 4), PALIGN_GPU_8B (default 1),
#        PALIGN_GPU_ONLY=tests (the exactness tests alone)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/gpu.sh DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=${TMPDIR:-/tmp}/palign-gpu
mkdir -p "$work"
export PALIGN_TEST_MODELS_DIR=$work/test-models PALIGN_TEST_SCRATCH=$work/scratch PALIGN_DATA_DIR=$PWD/data
[ -f .gpu/pack.tgz ] && [ ! -d .gpu/bin ] && tar -xzf .gpu/pack.tgz -C .gpu
if [ -d .gpu/bin ]; then
  bin=$PWD/.gpu/bin; tbin=$bin
  export LD_LIBRARY_PATH=$PWD/.gpu/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-} PALIGN_VOCAB_DIR=$PWD/.gpu/vocab
  # the CUDA libraries the build links: the system's, else a Python wheel's (nvidia-*-cu13)
  for l in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libnccl.so.2; do
    d=$(find /usr/local/cuda*/ /usr/lib /opt -name "$l" -print -quit 2>/dev/null | xargs -r dirname)
    [ -n "$d" ] && LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$d
  done
  ldd "$bin/palign" "$PWD"/.gpu/lib/libggml-cuda.so | grep "not found" | sort -u | sed 's/^/gpu.sh: missing /' >&2
else
  bin=$PWD/${PALIGN_GPU_BUILD:-build-cuda}; tbin=$bin/tests
fi
[ -x "$bin/palign" ] || { echo "gpu.sh: no CUDA build at $bin; HINT: PALIGN_BUILD_DIR=build-cuda scripts/setup.sh --cuda" >&2; exit 1; }
log=$out/gpu.log
: > "$log"
say() { echo "$*" | tee -a "$log"; }
t_start=$(date +%s)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$log"
"$bin/palign" info -m "$(PALIGN_NGL=0 "$bin/palign-mkmodel" --preset qwen3 -o "$work/info.gguf" >/dev/null 2>&1; echo "$work/info.gguf")" --ngl -1 2>&1 | grep -E '^(steering|engine)' | tee -a "$log"

# 1. exactness, every layer on the GPU
say "== exactness tests, PALIGN_NGL=-1"
tests_ok=1
for t in test_engine_steer test_engine_graph_steer test_engine_kv_streams callback; do
  exe=$t; envs=(PALIGN_NGL=-1)
  [ $t = callback ] && { exe=test_engine_steer; envs+=(PALIGN_STEER=callback); }
  # NVIDIA_TF32_OVERRIDE=0: llama.cpp lets cuBLAS round f32 products to TF32 (10-bit mantissa); the exactness
  # tests compare f32 runs, so that rounding is turned off for them
  env "${envs[@]}" NVIDIA_TF32_OVERRIDE=0 "$tbin/$exe" > "$work/$t.out" 2>&1 || tests_ok=0
  cat "$work/$t.out" >> "$log"
  grep -E '^\[  (PASSED|FAILED)|max|GPU|Failure' "$work/$t.out" | sed "s/^/$t: /"
done
say "exactness tests: $([ $tests_ok = 1 ] && echo passed || echo FAILED)"
[ "${PALIGN_GPU_ONLY:-}" = tests ] && exit $((1 - tests_ok))

# 2. throughput
say "== palign-bench-engine"
"$bin/palign-bench-engine" --preset qwen3-0.6b --model-dir "$work/models" --ngl -1 --items 180 --reps 3 --pp 512 \
  -c 16384 --np 128 --pp-batches 512,2048,4096 \
  --configs baseline,graph+fa-nocap,graph+fa@b2048,graph+fa@b4096,graph+fa-nocap@b4096,graph+fa+kvs@b2048,graph+fa+kvs@b4096 \
  --json "$out/bench-qwen3-0.6b.json" 2>&1 | tee -a "$log"
# the same with palign's short default system prompt (--pas-system default, palign align, palign serve)
"$bin/palign-bench-engine" --preset qwen3-0.6b --model-dir "$work/models" --ngl -1 --items 180 --reps 3 --pp 512 \
  -c 16384 --np 128 --pp-batches 512,2048 --workload default --configs baseline,graph+fa@b2048,graph+fa-nocap@b2048 \
  --json "$out/bench-qwen3-0.6b-default.json" 2>&1 | tee -a "$log"
if [ "${PALIGN_GPU_8B:-1}" = 1 ]; then
  "$bin/palign-bench-engine" --preset llama3-8b --model-dir "$work/models" --ngl -1 --items 180 --reps 2 --pp 512 \
    -c 16384 --np 128 --pp-batches 512,2048 --configs baseline,graph+fa@b2048,graph+fa@b4096,graph+fa+kvs@b2048 \
    --json "$out/bench-llama3-8b.json" 2>&1 | tee -a "$log"
fi

# 3. the server: mixed profiles vs plain at 1, 8, 32 clients
say "== palign-bench-serve"
"$bin/palign-bench-serve" -m "$work/models/qwen3-0.6b-s42.gguf" --model-dir "$work/models" --ngl -1 --slots 32 \
  --clients 1,8,32 --per-client 2 -n 64 --reps 2 2>&1 | tee "$out/serve.txt" | tee -a "$log"

# 4. the PAS protocol on the 0.6B shape: one subject (model load, contrast capture, the subject), then the
# next ones resumed in the same run folder (model load, the cached contrast set, the subjects), extrapolated to
# 300 as first + (300 - 1) x the resumed run's time per subject (its model load counted in every subject)
n=${PALIGN_GPU_SUBJECTS:-4}; [ "$n" -ge 2 ] || n=2
say "== palign eval --method pas --alpha-select eval, full grid, subjects 0:1, then 0:$n resumed"
rm -rf "$work/eval-pas"
pas_eval() {
  "$bin/palign" eval -m "$work/models/qwen3-0.6b-s42.gguf" --ngl -1 --method pas --alpha-select eval --subjects "0:$1" \
    -c 16384 --np 128 -o "$work/eval-pas" 2>&1 | tail -n 12 | tee -a "$log"
}
t0=$(date +%s.%N); pas_eval 1; tm=$(date +%s.%N); pas_eval "$n"; t1=$(date +%s.%N)
python3 - "$out" "$t0" "$t1" "$n" "$tests_ok" "$tm" <<'PY' | tee -a "$log"
import json, sys, os
out, t0, t1, n, ok, tm = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", float(sys.argv[6])
first, per = tm - t0, (t1 - tm) / (n - 1)
res = {"exactness_tests_passed": ok, "eval_subjects": n, "eval_seconds": t1 - t0, "eval_first_subject_seconds": first,
       "eval_seconds_per_further_subject": per, "eval_300_subjects_minutes_extrapolated": (first + 299 * per) / 60}
for f in ("bench-qwen3-0.6b.json", "bench-qwen3-0.6b-default.json", "bench-llama3-8b.json"):
    p = os.path.join(out, f)
    if os.path.exists(p): res[f[:-5]] = json.load(open(p))
json.dump(res, open(os.path.join(out, "gpu.json"), "w"), indent=2)
lines = ["| model | config | plain tok/s | steered tok/s | overhead | questions/s | vs baseline | vs llama.cpp's best prefill |",
         "|---|---|---|---|---|---|---|---|"]
for k in ("bench-qwen3-0.6b", "bench-qwen3-0.6b-default", "bench-llama3-8b"):
    if k not in res: continue
    b = res[k]
    for name, c in b["configs"].items():
        lines.append(f"| {b['model']} ({b.get('workload', 'few-shot')}) | {name} | {c['plain_tps']:.0f} | {c['steer_tps']:.0f} | {c['overhead_pct']:+.2f} % | "
                     f"{c['questions_per_s']:.0f} | {c['vs_baseline']:.2f}x | {c['steer_tps'] / b['llama_pp_tps']:.2f}x |")
    lines.append(f"| {b['model']} | llama.cpp's best prefill @ depth {b['prefix_tokens']} | {b['llama_pp_tps']:.0f} | | | | | |")
lines.append("")
lines.append(f"exactness tests with all layers on the GPU: {'passed' if ok else 'FAILED'}")
lines.append(f"PAS eval (--alpha-select eval, grid 0,1,2,4,6,8, 180 items): first subject {first:.1f} s (model load and "
             f"contrast capture included), then {per:.1f} s per subject (resumed, {n - 1} subjects) "
             f"-> 300 subjects ~ {res['eval_300_subjects_minutes_extrapolated']:.1f} min")
open(os.path.join(out, "gpu.txt"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
say "gpu.sh: done in $(( $(date +%s) - t_start )) s; $out/gpu.txt, $out/gpu.json"
