#!/usr/bin/env bash
# Obtains the pinned llama.cpp source and builds it once into a cache outside the repo.
#
# Source: the llama.cpp tree that npm's node-llama-cpp@3.21.1 ships as llama/gitRelease.bundle
# (tag v0.4.0, sha256 pinned below), so it works offline with only the npm registry. Users with
# internet may instead pass their own checkout (PALIGN_LLAMA_SOURCE=dir) or let cmake find an
# installed llama.cpp (find_package(llama)).
#
# Patches: patches/*.patch are applied to the bundled source (not to a PALIGN_LLAMA_SOURCE tree, which
# builds as it is; palign then falls back to its callback path). Their hash is part of the cache key.
#
# usage: scripts/llama.sh [--cuda] [--print-prefix]
#   --cuda          build the CUDA backend too (needs nvcc); separate cache entry
#   --print-prefix  print only the install prefix on stdout (for cmake -DCMAKE_PREFIX_PATH=...)
# env:
#   PALIGN_CACHE        cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/palign)
#   PALIGN_LLAMA_SOURCE use this llama.cpp source dir instead of the npm bundle
#   PALIGN_JOBS         parallel build jobs (default: nproc)
#   PALIGN_CUDA_ARCHS   CUDA archs for --cuda (default: 90-real;90-virtual = H100/H200 plus portable PTX)
set -euo pipefail

NLC_VERSION=3.21.1
LLAMA_TAG=v0.4.0
BUNDLE_SHA256=9336d8aab8f8e6a8919380f3641fe92e57b02fb55df1b6bd083b82491a6293b8
# bump when the build options or targets below change (part of the cache key)
BUILD_REV=r4

cuda=0; print_prefix=0
for a in "$@"; do
  case "$a" in
    --cuda) cuda=1 ;;
    --print-prefix) print_prefix=1 ;;
    -h|--help) sed -n "2,/^set -e/p" "$0" | grep "^#" | sed "s/^# \{0,1\}//"; exit 0 ;;
    *) echo "llama.sh: unknown flag '$a' (see --help)" >&2; exit 2 ;;
  esac
done

cache=${PALIGN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/palign}
jobs=${PALIGN_JOBS:-$(nproc 2>/dev/null || echo 2)}
backend=cpu; [ $cuda = 1 ] && backend=cuda
here=$(cd "$(dirname "$0")/.." && pwd)
patches=()
if [ -z "${PALIGN_LLAMA_SOURCE:-}" ]; then
  for p in "$here"/patches/*.patch; do [ -f "$p" ] && patches+=("$p"); done
fi
tag=$LLAMA_TAG
if [ ${#patches[@]} -gt 0 ]; then
  tag=$LLAMA_TAG-p$(cat "${patches[@]}" | sha256sum | cut -c1-8)
fi
cuda_archs=${PALIGN_CUDA_ARCHS:-90-real;90-virtual}
[ $cuda = 1 ] && backend=cuda-$(echo "$cuda_archs" | sha256sum | cut -c1-6)
prefix=$cache/llama-$tag-$BUILD_REV-$backend
log() { echo "llama.sh: $*" >&2; }

if [ -f "$prefix/.palign-done" ]; then
  [ $print_prefix = 1 ] && echo "$prefix" || log "cached: $prefix"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"; flock 9   # two builds at once wait for each other

if [ -f "$prefix/.palign-done" ]; then  # built while we waited
  [ $print_prefix = 1 ] && echo "$prefix" || log "cached: $prefix"; exit 0
fi

src=${PALIGN_LLAMA_SOURCE:-}
if [ -z "$src" ]; then
  src=$cache/src/llama.cpp-$LLAMA_TAG
  if [ ! -f "$src/.palign-source-ok" ]; then
    command -v npm >/dev/null || { log "error: npm not found; HINT: apt-get install npm, or set PALIGN_LLAMA_SOURCE to a llama.cpp checkout"; exit 1; }
    tmp=$(mktemp -d "$cache/dl.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
    log "fetching node-llama-cpp@$NLC_VERSION (npm pack) for its llama.cpp bundle"
    (cd "$tmp" && npm pack --silent "node-llama-cpp@$NLC_VERSION" >/dev/null)
    tar -xzf "$tmp/node-llama-cpp-$NLC_VERSION.tgz" -C "$tmp" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
    got=$(sha256sum "$tmp/package/llama/gitRelease.bundle" | cut -d' ' -f1)
    if [ "$got" != "$BUNDLE_SHA256" ]; then
      log "error: gitRelease.bundle sha256 $got != pinned $BUNDLE_SHA256"; exit 1
    fi
    grep -q "\"$LLAMA_TAG\"" "$tmp/package/llama/llama.cpp.info.json" || { log "error: bundle is not llama.cpp $LLAMA_TAG"; exit 1; }
    rm -rf "$src"; mkdir -p "$cache/src"
    git clone -q "$tmp/package/llama/gitRelease.bundle" "$src" 2>/dev/null
    touch "$src/.palign-source-ok"
  fi
fi
[ -f "$src/include/llama.h" ] || { log "error: $src is not a llama.cpp source tree (no include/llama.h)"; exit 1; }

# palign's patches, applied in place (the build dir is reused: a changed patch rebuilds what it touches)
if [ ${#patches[@]} -gt 0 ]; then
  want=$(cat "${patches[@]}" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$src/.palign-patched" 2>/dev/null)" != "$want" ]; then
    git -C "$src" checkout -q -- . && git -C "$src" clean -fdq -e .palign-source-ok
    for p in "${patches[@]}"; do
      git -C "$src" apply "$p" || { log "error: patch $p does not apply to llama.cpp $LLAMA_TAG"; exit 1; }
      log "applied $(basename "$p")"
    done
    echo "$want" > "$src/.palign-patched"
  fi
fi

opts=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON
      -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
      -DGGML_RPC=ON
      -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF
      -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib '-DCMAKE_INSTALL_RPATH=$ORIGIN')   # relocatable: each library finds its siblings
# No AVX512-FP16 in ggml's CPU kernels: with it (Sapphire Rapids and later, picked up by GGML_NATIVE) ggml's f16
# dot products accumulate in f16, so the same prompt gives logits that differ by 1e-2 with the batch shape (f16 KV
# cache); without it they accumulate in f32 and palign's batch-vs-alone exactness (1e-4) holds on every x86 CPU.
if echo 'int main(){}' | c++ -x c++ -mno-avx512fp16 -o /dev/null - 2>/dev/null; then
  opts+=(-DCMAKE_C_FLAGS=-mno-avx512fp16 -DCMAKE_CXX_FLAGS=-mno-avx512fp16)
fi
if [ $cuda = 1 ]; then
  # nvcc often lives outside PATH (the CUDA toolkit's own installer puts it in /usr/local/cuda)
  command -v nvcc >/dev/null || { [ -x /usr/local/cuda/bin/nvcc ] && export PATH=/usr/local/cuda/bin:$PATH; }
  command -v nvcc >/dev/null || { log "error: --cuda asked but nvcc not found; HINT: install the CUDA toolkit or build without --cuda"; exit 1; }
  opts+=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=$cuda_archs")
fi

build=$cache/build-$LLAMA_TAG-${backend%%-*}
log "building llama.cpp $tag ($backend) in $build, $jobs jobs (once per machine)"
t0=$(date +%s)
cmake -S "$src" -B "$build" "${opts[@]}" >"$cache/build-$backend.log" 2>&1 || { log "error: configure failed, see $cache/build-$backend.log"; exit 1; }
cmake --build "$build" -j "$jobs" --target llama llama-common >>"$cache/build-$backend.log" 2>&1 || { log "error: build failed, see $cache/build-$backend.log"; exit 1; }
rm -rf "$prefix"
cmake --install "$build" >>"$cache/build-$backend.log" 2>&1 || { log "error: install failed, see $cache/build-$backend.log"; exit 1; }
# llama.cpp's rpc-server (palign --rpc HOST:PORT: the RPC backend spreads a model over machines); built by
# hand from its one source file against the installed ggml, as the tools tree would need all tools configured
# (with --cuda, libggml-cuda needs the driver's libcuda, which a build machine without a GPU lacks: its symbols
# are left for the loader, as palign's own link does)
mkdir -p "$prefix/bin"
rpc_ld=(); [ $cuda = 1 ] && rpc_ld=(-Wl,--allow-shlib-undefined)
c++ -O2 -std=c++17 "$src/tools/rpc/rpc-server.cpp" -I"$prefix/include" -L"$prefix/lib" -lggml -lggml-base \
    '-Wl,-rpath,$ORIGIN/../lib' "${rpc_ld[@]}" -pthread -o "$prefix/bin/rpc-server" >>"$cache/build-$backend.log" 2>&1 \
  || { log "error: rpc-server build failed, see $cache/build-$backend.log"; exit 1; }
# llama.cpp does not install its common library's headers; palign uses its chat-template code
mkdir -p "$prefix/include/llama-common/jinja" "$prefix/include/llama-common/nlohmann"
cp "$src"/common/*.h "$src"/common/*.hpp "$prefix/include/llama-common/"
cp "$src"/common/jinja/*.h "$prefix/include/llama-common/jinja/"
cp "$src"/vendor/nlohmann/*.hpp "$prefix/include/llama-common/nlohmann/"
# the tokenizer vocabularies palign's generated test models use
mkdir -p "$prefix/share/palign-vocab"
cp "$src"/models/ggml-vocab-{llama-bpe,llama-spm,qwen2}.gguf "$prefix/share/palign-vocab/"
echo "$tag $backend $(date -u +%FT%TZ) $(( $(date +%s) - t0 ))s" > "$prefix/.palign-done"
log "installed llama.cpp $tag ($backend) into $prefix in $(( $(date +%s) - t0 ))s"
[ $print_prefix = 1 ] && echo "$prefix"
exit 0
