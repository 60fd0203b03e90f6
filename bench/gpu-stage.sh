#!/usr/bin/env bash
# Packs a CUDA build of palign (binaries, the llama.cpp libraries and vocabularies it runs with, and the
# system libraries they need beyond glibc) into .gpu/, so that bench/gpu.sh runs on a GPU machine that has
# the CUDA driver and runtime but not this build tree (e.g. the device machine, where .gpu is carried).
#
# usage: bench/gpu-stage.sh [BUILD_DIR]      (default build-cuda: cmake -B build-cuda -DPALIGN_CUDA=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${1:-build-cuda}
[ -x "$bdir/palign" ] || { echo "gpu-stage.sh: $bdir/palign not found; HINT: PALIGN_BUILD_DIR=$bdir scripts/setup.sh --cuda" >&2; exit 1; }
rm -rf .gpu && mkdir -p .gpu/bin .gpu/lib .gpu/vocab
bins=("$bdir"/palign "$bdir"/palign-mkmodel "$bdir"/palign-bench-engine "$bdir"/palign-bench-serve "$bdir"/tests/test_engine_steer "$bdir"/tests/test_engine_graph_steer "$bdir"/tests/test_engine_kv_streams)
cp "${bins[@]}" .gpu/bin/
# libllama/ggml from the prefix the build links (RPATH), then every other non-glibc, non-CUDA library
prefix_lib=$(ldd "$bdir/palign" | awk '/libllama.so/ {print $3}' | xargs dirname)
cp -P "$prefix_lib"/*.so* .gpu/lib/
cp "$prefix_lib"/../share/palign-vocab/ggml-vocab-{llama-bpe,qwen2}.gguf .gpu/vocab/   # the GPU check's presets
for b in "${bins[@]}" "$prefix_lib"/libggml-cuda.so; do
  ldd "$b" | awk '$3 ~ /^\// {print $3}'
done | sort -u | grep -v -E '/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so|/libresolv\.so|/libcuda\.so|/libcudart|/libcublas|/libnccl|cache/palign' \
  | while read -r l; do cp -L "$l" .gpu/lib/; done
strip --strip-unneeded .gpu/bin/* .gpu/lib/*.so* 2>/dev/null || true
# one gzip archive (a carried tree has a size limit); bench/gpu.sh unpacks it
tar -czf .gpu.tgz -C .gpu bin lib vocab && rm -rf .gpu/bin .gpu/lib .gpu/vocab && mv .gpu.tgz .gpu/pack.tgz
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
echo "gpu-stage.sh: staged $(du -sh .gpu | cut -f1) into .gpu/pack.tgz (carry .gpu; bench/gpu.sh unpacks it)" >&2
