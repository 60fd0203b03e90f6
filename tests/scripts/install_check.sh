#!/usr/bin/env bash
# Install check (CTest install.relocatable_prefix_and_library): `cmake --install BUILD --prefix P`, P moved
# elsewhere, then palign, palign-mkmodel and a library consumer built against P's CMake package run with the build
# tree and the llama.cpp cache hidden (a private mount namespace puts empty tmpfs over them), and the consumer's
# steered reply equals `palign chat -p` with the same steering file.
# usage: install_check.sh BUILD_DIR LLAMA_PREFIX SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd); llama=$2; src=$(cd "$3" && pwd)
work=$(mktemp -d /tmp/palign-install.XXXXXX); trap 'rm -rf "$work"' EXIT
fail() { echo "install_check: FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/p0" >/dev/null
mv "$work/p0" "$work/prefix"            # relocated: nothing may point at where it was installed
P=$work/prefix
for b in palign palign-mkmodel; do
  rp=$(readelf -d "$P/bin/$b" | sed -n 's/.*R\(UN\)\{0,1\}PATH.*\[\(.*\)\]/\2/p')
  [ "$rp" = '$ORIGIN/../lib' ] || fail "$b: RUNPATH is '$rp', not \$ORIGIN/../lib"
done
ldd "$P/bin/palign" | grep -E 'llama|ggml' | grep -v -e "=> $P/lib/" -e "=> $P/bin/../lib/" && fail "palign resolves llama.cpp outside the prefix"
[ -f "$P/lib/cmake/palign/palign-config.cmake" ] || fail "no CMake package"
[ -f "$P/include/palign/palign.h" ] && [ -f "$P/include/palign/engine/model.h" ] || fail "headers missing"

# what runs inside the namespace: everything from P only
cat > "$work/run.sh" <<EOF
set -euo pipefail
cd "$work"
P=$P
\$P/bin/palign-mkmodel --preset qwen3 -o m.gguf >/dev/null
\$P/bin/palign info -m m.gguf > info.txt
\$P/bin/palign eval --method constant --subjects 0:3 -q -o runs/constant > eval.txt
\$P/bin/palign eval -m m.gguf --method none --subjects 0:1 -q -o runs/none --contrast-cache '' > eval-none.txt
head -n 1 "\$P/share/palign/papi/ipip_neo_test_subjects.jsonl" > subject.jsonl
python3 - <<'PY'
import json
s = json.load(open("subject.jsonl"))
json.dump({k: v for k, v in s.items() if k[:1] == "i" and k[1:].isdigit()}, open("me.json", "w"))
PY
\$P/bin/palign align -m m.gguf -a me.json -o me.steer.gguf --alpha 8 --k 8 --contrast-cache '' > align.txt 2>&1
\$P/bin/palign chat -m m.gguf -s me.steer.gguf -p "Tell me about yourself." --temp 0 -n 24 > chat.txt
\$P/bin/palign chat -m m.gguf -p "Tell me about yourself." --temp 0 -n 24 > plain.txt
cmake -S "$src/examples" -B ex -DCMAKE_PREFIX_PATH=\$P -DCMAKE_BUILD_TYPE=Release >ex-configure.txt 2>&1
cmake --build ex -j 2 >ex-build.txt 2>&1 || { cat ex-build.txt; exit 1; }
./ex/steer_one m.gguf me.steer.gguf "Tell me about yourself." 24 > steer_one.txt
EOF
hidden="hidden"
if unshare -m --propagation private true 2>/dev/null; then
  unshare -m --propagation private bash -c "mount -t tmpfs none '$build' && mount -t tmpfs none '$llama' && bash '$work/run.sh'" \
    || fail "the installed programs failed with the build tree hidden (see above)"
else
  hidden="not hidden (no mount namespace here)"
  bash "$work/run.sh" || fail "the installed programs failed"
fi
grep -q "^arch      qwen3" "$work/info.txt" || fail "palign info: $(cat "$work/info.txt")"
grep -q "^constant" "$work/eval.txt" || fail "palign eval: $(cat "$work/eval.txt")"
[ -s "$work/runs/constant/constant.json" ] || fail "no report"
[ -s "$work/steer_one.txt" ] || fail "steer_one printed nothing"
cmp -s "$work/plain.txt" "$work/chat.txt" && fail "the steered and the plain reply are the same: the check would prove nothing"
cmp -s "$work/steer_one.txt" "$work/chat.txt" || fail "steer_one and palign chat differ: $(od -c "$work/steer_one.txt" | head -3) vs $(od -c "$work/chat.txt" | head -3)"
echo "install_check: ok (prefix relocated, build tree and llama.cpp cache $hidden; steer_one == palign chat -p)"
