#!/usr/bin/env bash
# Sets palign up on a fresh Debian machine: system packages, the pinned llama.cpp (built once into
# ~/.cache/palign), and palign itself in build/. Safe to rerun: everything done before is reused.
#
# usage: scripts/setup.sh [--cuda] [--no-apt]
#   --cuda    also build llama.cpp's CUDA backend (needs nvcc)
#   --no-apt  do not install Debian packages (you installed them yourself)
# env: PALIGN_BUILD_DIR (default build), PALIGN_CACHE, PALIGN_LLAMA_SOURCE (see scripts/llama.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

cuda=OFF; apt=1
for a in "$@"; do
  case "$a" in
    --cuda) cuda=ON ;;
    --no-apt) apt=0 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown flag '$a' (see --help)" >&2; exit 2 ;;
  esac
done

# build tools (checked as commands: they may come from outside Debian, like a nodesource npm) and the
# libraries palign uses (python3-sklearn/numpy: optional cross-checks in the tests; chromium: the test that opens
# palign report's HTML page in a real headless browser, skipped without it; clang and its runtimes: the sanitizer
# and fuzzing stages of scripts/test.sh, libFuzzer)
tools=(cmake:cmake g++:g++ make:make git:git npm:npm curl:curl clang++:clang)
libs=(ca-certificates libgtest-dev libcli11-dev libeigen3-dev libcurl4-openssl-dev python3 python3-numpy python3-sklearn
      python3-jinja2 openmpi-bin libopenmpi-dev bc chromium libclang-rt-14-dev)
if [ $apt = 1 ]; then
  missing=()
  for t in "${tools[@]}"; do command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}"); done
  for p in "${libs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]}" >&2
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${missing[@]}" >/dev/null; }
  fi
fi

# the official OpenAI client library, for the server tests (a real client); pinned, installed once
cache=${PALIGN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/palign}
if [ ! -f "$cache/npm/node_modules/openai/package.json" ] && command -v npm >/dev/null; then
  mkdir -p "$cache/npm"
  (cd "$cache/npm" && npm install --silent --no-audit --no-fund --prefix "$cache/npm" openai@6.30.1 >/dev/null 2>&1) \
    || echo "setup.sh: warning: npm could not install openai@6.30.1; the OpenAI-client server test will be skipped" >&2
fi

cuda_flag=(); [ $cuda = ON ] && cuda_flag=(--cuda)
bash scripts/llama.sh "${cuda_flag[@]}"

bdir=${PALIGN_BUILD_DIR:-build}
cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DPALIGN_CUDA=$cuda >/dev/null
cmake --build "$bdir" -j "$(nproc 2>/dev/null || echo 2)"
echo "setup.sh: built palign in $bdir/ (palign, palign-mkmodel)" >&2
