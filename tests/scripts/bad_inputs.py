#!/usr/bin/python3
"""Hostile-input campaign for palign: runs the palign binary against malformed inputs of every kind a user hands
it - answer files, steering files, model GGUFs, subjects files in a --data-dir, every numeric and enumerated flag
of every command, output folders, interrupted and corrupted run folders - generated programmatically (seeded),
and checks each run:

  - exit code 1 (or 0 where the input is valid), never a signal (abort, segfault), never a core file, no hang;
  - on an error, exactly one line "palign: error: ..." on stderr (warnings before it allowed);
  - on an error, no partial output: the declared outputs do not exist (or are unchanged), and no temporary
    file (*.tmp*) is left anywhere in the case's folder.

It prints a summary table per input kind and exits 1 if any case failed a check.

usage: /usr/bin/python3 tests/scripts/bad_inputs.py --bin build [--quick] [--jobs 2] [--seed 11] [--work DIR]
         [--only GROUP,...] [--list] [--verbose]
  --quick   a small subset of every kind (CTest: ctest -R bad_inputs_quick)
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ------------------------------------------------------------------------------------------------------------
# GGUF (v3) reader/writer, enough to rewrite metadata keys and tensor infos of palign's files

T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
SCALAR = {T_U8: "B", T_I8: "b", T_U16: "H", T_I16: "h", T_U32: "I", T_I32: "i", T_F32: "f", T_BOOL: "?",
          T_U64: "Q", T_I64: "q", T_F64: "d"}


class Gguf:
    def __init__(self, data):
        self.raw = data
        p = [0]

        def take(fmt):
            v = struct.unpack_from("<" + fmt, data, p[0])
            p[0] += struct.calcsize("<" + fmt)
            return v[0]

        def string():
            n = take("Q")
            s = data[p[0]:p[0] + n]
            p[0] += n
            return s

        def value(t):
            if t == T_STR:
                return string()
            if t == T_ARR:
                et = take("I")
                n = take("Q")
                return (et, [value(et) for _ in range(n)])
            return take(SCALAR[t])

        assert data[:4] == b"GGUF"
        p[0] = 4
        self.version = take("I")
        n_tensors = take("Q")
        n_kv = take("Q")
        self.kv = []
        for _ in range(n_kv):
            k = string()
            t = take("I")
            self.kv.append([k, t, value(t)])
        self.tensors = []
        for _ in range(n_tensors):
            name = string()
            nd = take("I")
            ne = [take("q") for _ in range(nd)]
            tt = take("I")
            off = take("Q")
            self.tensors.append([name, ne, tt, off])
        self.header_end = p[0]
        align = 32
        for k, t, v in self.kv:
            if k == b"general.alignment" and t == T_U32:
                align = v
        self.align = align
        start = (p[0] + align - 1) // align * align
        self.data = data[start:]

    def find(self, key):
        for e in self.kv:
            if e[0] == key:
                return e
        return None

    def dump(self):
        out = bytearray(b"GGUF")

        def put(fmt, v):
            out.extend(struct.pack("<" + fmt, v))

        def string(s):
            put("Q", len(s))
            out.extend(s)

        def value(t, v):
            if t == T_STR:
                string(v)
            elif t == T_ARR:
                et, items = v
                put("I", et)
                put("Q", len(items))
                for x in items:
                    value(et, x)
            else:
                put(SCALAR[t], v)

        put("I", self.version)
        put("Q", len(self.tensors))
        put("Q", len(self.kv))
        for k, t, v in self.kv:
            string(k)
            put("I", t)
            value(t, v)
        for name, ne, tt, off in self.tensors:
            string(name)
            put("I", len(ne))
            for x in ne:
                put("q", x)
            put("I", tt)
            put("Q", off)
        while len(out) % self.align:
            out.append(0)
        return bytes(out) + self.data

    def copy(self):
        g = Gguf.__new__(Gguf)
        g.raw, g.version, g.align, g.data, g.header_end = self.raw, self.version, self.align, self.data, self.header_end
        g.kv = [[k, t, (v[0], list(v[1])) if t == T_ARR else v] for k, t, v in self.kv]
        g.tensors = [[n, list(ne), tt, off] for n, ne, tt, off in self.tensors]
        return g


def other_type_value(t, v):
    """(type, value) pairs of other types for a key of type t holding v (for an array: other element types first)"""
    out = []
    if t == T_ARR:
        et, items = v
        n = len(items)
        if et != T_STR:
            out.append((T_ARR, (T_STR, [b"x"] * n)))
        if et != T_I32:
            out.append((T_ARR, (T_I32, [1] * n)))
        if et != T_F32:
            out.append((T_ARR, (T_F32, [0.5] * n)))
        out.append((T_ARR, (et, items[:max(0, n - 1)])))   # one value short
    if t != T_STR:
        out.append((T_STR, b"not a number"))
    if t != T_U32:
        out.append((T_U32, 7))
    if t != T_F64:
        out.append((T_F64, 2.5))
    if t != T_ARR:
        out.append((T_ARR, (T_I32, [1, 2, 3])))
    return out


# ------------------------------------------------------------------------------------------------------------
# cases

class Case:
    def __init__(self, group, name, argv, expect="error", outputs=(), watch=(), timeout=90, env=None, cwd=None,
                 stdin=None, setup=None):
        self.group, self.name, self.argv, self.expect = group, name, argv, expect
        self.outputs = list(outputs)   # must not exist after an error
        self.watch = list(watch)       # folders whose content must not change on an error
        self.timeout, self.env, self.cwd, self.stdin, self.setup = timeout, env, cwd, stdin, setup
        self.result, self.detail = None, ""


def snapshot(paths):
    snap = {}
    for root in paths:
        if not os.path.exists(root):
            snap[root] = None
            continue
        for dp, dns, fns in os.walk(root):
            for f in fns + dns:
                q = os.path.join(dp, f)
                try:
                    st = os.lstat(q)
                except FileNotFoundError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    with open(q, "rb") as fh:
                        snap[q] = hashlib.sha1(fh.read()).hexdigest()
                else:
                    snap[q] = stat.S_IFMT(st.st_mode)
    return snap


def temps_under(root):
    found = []
    for dp, dns, fns in os.walk(root):
        for f in fns:
            if ".tmp." in f or f.endswith(".tmp"):
                found.append(os.path.join(dp, f))
    return found


def run_case(c, verbose=False):
    if c.setup:
        c.setup()
    before = snapshot(c.watch)
    cwd = c.cwd or WORK
    cores_before = set(f for f in os.listdir(cwd) if f.startswith("core"))
    env = dict(os.environ)
    env["PALIGN_THREADS"] = "1"
    env["PALIGN_CACHE"] = os.path.join(WORK, "cache")
    if c.env:
        env.update(c.env)
    t0 = time.time()
    try:
        p = subprocess.run(c.argv, cwd=cwd, env=env, capture_output=True, timeout=c.timeout,
                           stdin=subprocess.DEVNULL if c.stdin is None else None, input=c.stdin)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        c.result, c.detail = "hang", "no answer after %d s" % c.timeout
        return c
    c.seconds = time.time() - t0
    errs = err.decode("utf-8", "replace").rstrip("\n").split("\n") if err.strip() else []
    cores = set(f for f in os.listdir(cwd) if f.startswith("core")) - cores_before
    if rc < 0 or rc >= 128 or cores:
        c.result = "crash"
        c.detail = "signal %d" % -rc if rc < 0 else "exit %d" % rc
        c.detail += (" core " + ",".join(cores) if cores else "") + ": " + (errs[-1][:200] if errs else "")
        return c
    if rc not in (0, 1):
        c.result, c.detail = "bad exit", "exit %d: %s" % (rc, errs[-1][:200] if errs else "")
        return c
    if rc == 1:
        lines = [l for l in errs if l.strip()]
        error_lines = [l for l in lines if l.startswith("palign: error: ")]
        others = [l for l in lines if not l.startswith("palign: error: ") and not l.startswith("palign: warning: ")]
        if len(error_lines) != 1 or not lines or not lines[-1].startswith("palign: error: ") or others:
            c.result, c.detail = "bad message", " | ".join(lines)[:300]
            return c
        partial = [o for o in c.outputs if os.path.lexists(o)]
        after = snapshot(c.watch)
        if before != after:
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            partial += changed
        for w in c.watch + [os.path.dirname(o) for o in c.outputs]:
            if os.path.isdir(w):
                partial += temps_under(w)
        if partial:
            c.result, c.detail = "partial files", ", ".join(os.path.relpath(x, WORK) for x in partial[:5])
            return c
        c.result = "error" if c.expect in ("error", "any") else "refused valid"
        c.detail = lines[-1][:300]
        return c
    # rc == 0
    c.result = "accepted" if c.expect in ("ok", "any") else "accepted bad"
    c.detail = (errs[-1][:200] if errs else "")
    return c


# ------------------------------------------------------------------------------------------------------------
# inputs

def sh(argv, **kw):
    r = subprocess.run(argv, capture_output=True, **kw)
    if r.returncode != 0:
        sys.exit("bad_inputs.py: setup failed: %s\n%s" % (" ".join(argv), r.stderr.decode()[-2000:]))
    return r


def person_answers():
    with open(os.path.join(ROOT, "data/papi/ipip_neo_test_subjects.jsonl")) as f:
        line = json.loads(f.readline())
    with open(os.path.join(ROOT, "data/papi/ipip_neo_item_split.json")) as f:
        split = json.load(f)
    return {"i%d" % i: line["i%d" % i] for i in split["align_items_full_ids"]}


def mutate(data, rng, n=None):
    b = bytearray(data)
    for _ in range(n or rng.randint(1, 4)):
        kind = rng.random()
        if not b:
            b.extend(b"{")
            continue
        i = rng.randrange(len(b))
        if kind < 0.4:
            b[i] ^= 1 << rng.randrange(8)
        elif kind < 0.6:
            del b[i:i + rng.randint(1, 8)]
        elif kind < 0.8:
            b[i:i] = bytes(rng.choice([b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"\x00", b"\xff", b"1e999", b"-"]))
        else:
            b[i] = rng.randrange(256)
    return bytes(b)


def build_cases(args):
    rng = random.Random(args.seed)
    B = os.path.abspath(args.bin)
    palign, mkmodel = os.path.join(B, "palign"), os.path.join(B, "palign-mkmodel")
    W = WORK
    quick = args.quick
    cases = []
    shutil.rmtree(os.path.join(W, "cases"), ignore_errors=True)   # every case starts from its own fresh folder
    os.makedirs(os.path.join(W, "inputs"), exist_ok=True)
    inp = lambda name: os.path.join(W, "inputs", name)

    def case_dir(group, name):
        d = os.path.join(W, "cases", group, name)
        os.makedirs(d, exist_ok=True)
        return d

    def pick(lst, k):
        return lst if not quick else rng.sample(lst, min(k, len(lst)))

    def write(path, data):
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    # models: llama3 (BPE vocab, the one the steering file fits) and llama2 (SPM vocab, smaller) for corruption
    model = inp("llama3.gguf")
    small = inp("llama2.gguf")
    if not os.path.exists(model):
        sh([mkmodel, "--preset", "llama3", "-o", model])
    if not os.path.exists(small):
        sh([mkmodel, "--preset", "llama2", "--type", "q8_0", "-o", small])
    person = write(inp("person.json"), json.dumps(person_answers()))
    cc = os.path.join(W, "contrast")
    fast_pas = ["--alpha-grid", "0,4", "--cv-folds", "2", "--k", "4", "--contrast-cache", cc]
    steer = inp("person.steer.gguf")
    if not os.path.exists(steer):
        sh([palign, "align", "-m", model, "-a", person, "-o", steer] + fast_pas)
    ckpt = os.path.join(W, "inputs", "ckpt")
    if not os.path.exists(os.path.join(ckpt, "none.jsonl")):
        shutil.rmtree(ckpt, ignore_errors=True)
        sh([palign, "eval", "--method", "constant", "--subjects", "0:2", "-q", "-o", ckpt])
        sh([palign, "eval", "-m", model, "--method", "none", "--subjects", "0:2", "-q", "-o", ckpt + "-none"])
        shutil.copy(os.path.join(ckpt + "-none", "none.jsonl"), os.path.join(ckpt, "none.jsonl"))
    good_answers = open(person, "rb").read()

    # ---- answer files: palign align -a FILE ----------------------------------------------------------------
    texts = [b"", b" ", b"{", b"}", b"[]", b"{}", b"null", b"42", b'"i1"', b'{"i1": 6}', b'{"i1": -1}', b'{"i1": 2.5}',
             b'{"i1": "4"}', b'{"i1": true}', b'{"i1": [4]}', b'{"i1": {"a": 1}}', b'{"i999": 3}', b'{"x": 3}',
             b'{"i1": 1e400}', b'{"i1": 3', b"\xef\xbb\xbf" + good_answers, b'{"i\xff": 3}', b'{"i1": 3}\x00',
             b'{"i1": ' + b"[" * 100000 + b"]" * 100000 + b"}", b'{"' + b"k" * 500000 + b'": 1}', b'{"i1": 3, "i1": 9}',
             b'{"I1": 3}', b'{"i01": 3}', b'{" i1": 3}', b'{"i1": 3} // c', b'{"i1": 3,}', b'{"i1": 03}', b'{"i1": +3}',
             b'{"i1": 3.0}', b'{"i1": -0}', b'{"i1": 0x3}', b'{"i1": NaN}', b'{"i1": Infinity}', b'{"i1": 18446744073709551616}',
             b'{"i1": 3}{"i2": 4}', b"\n" * 1000, b'{"i1": 0, "i2": 0}', b'{"M1": 5}', b" " * (2 << 20),
             good_answers.replace(b": 1", b": 7", 1), good_answers[: len(good_answers) // 2]]
    for k in range(60):
        texts.append(mutate(good_answers, rng))
    for i, t in enumerate(pick(texts, 14)):
        d = case_dir("answers", "a%03d" % i)
        f = write(os.path.join(d, "answers.json"), t)
        out = os.path.join(d, "out.steer.gguf")
        cases.append(Case("answer files", "a%03d" % i, [palign, "align", "-m", model, "-a", f, "-o", out] + fast_pas,
                          expect="any", outputs=[out], watch=[]))
    specials = []
    d = case_dir("answers", "special")
    fifo = os.path.join(d, "fifo.json")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    loop = os.path.join(d, "loop.json")
    if not os.path.lexists(loop):
        os.symlink(loop, loop)
    os.makedirs(os.path.join(d, "dir.json"), exist_ok=True)
    for name, path in [("fifo", fifo), ("symlink loop", loop), ("directory", os.path.join(d, "dir.json")),
                       ("missing", os.path.join(d, "missing.json")), ("/dev/zero", "/dev/zero"), ("/dev/null", "/dev/null")]:
        out = os.path.join(d, "out-%s.steer.gguf" % name.replace("/", "_").replace(" ", "_"))
        specials.append(Case("answer files", "special " + name, [palign, "align", "-m", model, "-a", path, "-o", out] + fast_pas,
                             outputs=[out], timeout=30))
    cases += pick(specials, 2)

    # ---- steering files: palign inspect FILE (and chat -s FILE) --------------------------------------------
    sbytes = open(steer, "rb").read()
    g = Gguf(sbytes)
    variants = []
    for k in range(140):
        b = bytearray(sbytes)
        pos = rng.randrange(min(len(b), g.header_end + 64)) if k < 110 else rng.randrange(len(b))
        b[pos] ^= 1 << rng.randrange(8)
        variants.append(("flip@%d" % pos, bytes(b)))
    for n in [0, 3, 4, 8, 16, 24, 40, 100, g.header_end // 2, g.header_end - 1, g.header_end, len(sbytes) - 1]:
        variants.append(("cut@%d" % n, sbytes[:n]))
    for ki, (key, t, v) in enumerate(g.kv):
        for nt, nv in other_type_value(t, v)[:4]:
            h = g.copy()
            h.kv[ki][1], h.kv[ki][2] = nt, nv
            variants.append(("%s->type%d" % (key.decode(), nt), h.dump()))
        if t in (T_I32, T_U32, T_U64):
            for val in ([0, -1, 2 ** 31 - 1] if t == T_I32 else [0, 2 ** 32 - 1]):
                h = g.copy()
                h.kv[ki][2] = val
                variants.append(("%s = %d" % (key.decode(), val), h.dump()))
        h = g.copy()
        del h.kv[ki]
        variants.append(("no %s" % key.decode(), h.dump()))
    for name, fn in [("tensor ndims 5", lambda t: t.__setitem__(1, t[1] + [1, 1, 1])),
                     ("tensor rows 2^40", lambda t: t[1].__setitem__(1, 1 << 40)),
                     ("tensor rows 0", lambda t: t[1].__setitem__(1, 0)),
                     ("tensor width 1", lambda t: t[1].__setitem__(0, 1)),
                     ("tensor width -1", lambda t: t[1].__setitem__(0, -1)),
                     ("tensor type 99", lambda t: t.__setitem__(2, 99)),
                     ("tensor type f16", lambda t: t.__setitem__(2, 1)),
                     ("tensor offset 2^60", lambda t: t.__setitem__(3, 1 << 60)),
                     ("tensor 3d", lambda t: t.__setitem__(1, t[1] + [2]))]:
        h = g.copy()
        fn(h.tensors[0])
        variants.append((name, h.dump()))
    h = g.copy()
    h.tensors = []
    variants.append(("no tensor", h.dump()))
    h = g.copy()
    h.version = 99
    variants.append(("version 99", h.dump()))
    for i, (name, data) in enumerate(pick(variants, 25)):
        d = case_dir("steer", "s%03d" % i)
        f = write(os.path.join(d, "x.steer.gguf"), data)
        cases.append(Case("steering files", name, [palign, "inspect", f], expect="any"))
    for i, (name, data) in enumerate(pick(variants[:20] + variants[-12:], 4)):
        d = case_dir("steer-chat", "c%03d" % i)
        f = write(os.path.join(d, "x.steer.gguf"), data)
        cases.append(Case("steering files", "chat: " + name, [palign, "chat", "-m", model, "-s", f, "-p", "hi", "-n", "2",
                                                              "--temp", "0"], expect="any"))

    # ---- model GGUFs: palign info -m FILE --------------------------------------------------------------------
    mbytes = open(small, "rb").read()
    mg = Gguf(mbytes)
    mvars = []
    tok = mg.find(b"tokenizer.ggml.tokens")
    # two tokens equal (llama.cpp asserts), an empty token beside "[EMPTY_n]", arrays of other lengths and types
    for a, b in [(300, 301), (1000, 2000), (5, 31999)]:
        h = mg.copy()
        h.find(b"tokenizer.ggml.tokens")[2][1][b] = h.find(b"tokenizer.ggml.tokens")[2][1][a]
        mvars.append(("tokens %d == %d" % (a, b), h.dump()))
    h = mg.copy()
    h.find(b"tokenizer.ggml.tokens")[2][1][7] = b""
    h.find(b"tokenizer.ggml.tokens")[2][1][8] = b"[EMPTY_7]"
    mvars.append(("empty token vs [EMPTY_7]", h.dump()))
    for key in [b"tokenizer.ggml.scores", b"tokenizer.ggml.token_type", b"tokenizer.ggml.tokens", b"tokenizer.ggml.model",
                b"tokenizer.ggml.bos_token_id", b"general.architecture", b"llama.block_count", b"llama.embedding_length",
                b"llama.attention.head_count", b"llama.attention.head_count_kv", b"llama.context_length",
                b"llama.rope.dimension_count", b"llama.attention.layer_norm_rms_epsilon", b"llama.feed_forward_length",
                b"tokenizer.chat_template", b"general.alignment"]:
        e = mg.find(key)
        if not e:
            continue
        ki = mg.kv.index(e)
        for nt, nv in other_type_value(e[1], e[2])[:3]:
            h = mg.copy()
            h.kv[ki][1], h.kv[ki][2] = nt, nv
            mvars.append(("%s->type%d" % (key.decode(), nt), h.dump()))
        if e[1] in (T_U32, T_I32, T_U64):
            for val in [0, 1, 3, 513, 65536, 2 ** 31 - 1]:
                h = mg.copy()
                h.kv[ki][2] = val
                mvars.append(("%s = %d" % (key.decode(), val), h.dump()))
        h = mg.copy()
        del h.kv[ki]
        mvars.append(("no %s" % key.decode(), h.dump()))
    h = mg.copy()
    h.kv.append([b"llama.rope.scaling.type", T_STR, b"bogus"])
    mvars.append(("rope scaling bogus", h.dump()))
    for name, fn in [("tensor rows 2^40", lambda t: t[1].__setitem__(-1, 1 << 40)),
                     ("tensor type 99", lambda t: t.__setitem__(2, 99)),
                     ("tensor type f32", lambda t: t.__setitem__(2, 0)),
                     ("tensor offset +1", lambda t: t.__setitem__(3, t[3] + 1)),
                     ("tensor dims 5", lambda t: t.__setitem__(1, t[1] + [1, 1, 1]))]:
        for ti in [0, len(mg.tensors) // 2, len(mg.tensors) - 1]:
            h = mg.copy()
            fn(h.tensors[ti])
            mvars.append(("%s (tensor %d)" % (name, ti), h.dump()))
    for n in [0, 4, 12, 24, mg.header_end // 3, mg.header_end - 5, mg.header_end + 100, len(mbytes) // 2, len(mbytes) - 1]:
        mvars.append(("cut@%d" % n, mbytes[:n]))
    for k in range(70):
        b = bytearray(mbytes)
        pos = rng.randrange(64) if k < 20 else rng.randrange(mg.header_end) if k < 60 else rng.randrange(len(b))
        b[pos] ^= 1 << rng.randrange(8)
        mvars.append(("flip@%d" % pos, bytes(b)))
    for i, (name, data) in enumerate(pick(mvars, 14)):
        d = case_dir("model", "m%03d" % i)
        f = write(os.path.join(d, "model.gguf"), data)
        cases.append(Case("model GGUFs", name, [palign, "info", "-m", f], expect="any", timeout=120))

    # ---- subjects files in a --data-dir: palign eval --method constant --subjects 0:3 --------------------------
    papi = os.path.join(ROOT, "data", "papi")
    with open(os.path.join(papi, "ipip_neo_test_subjects.jsonl"), "rb") as f:
        lines = f.read().split(b"\n")[:6]
    lines = [l for l in lines if l]
    first = lines[0]
    svars = []
    for old, new in [(b'"i1":', b'"i1":9,"x":'), (b'"i1":', b'"i1":-1,"x":'), (b'"i1":', b'"i1":2.5,"x":'),
                     (b'"i1":', b'"i1":"3","x":'), (b'"i1":', b'"i9999":3,"x":'), (b'"i1":', b'"i1":[3],"x":'),
                     (b'"i1":', b'"i1":1e400,"x":'), (b'"case":', b'"case":null,"y":'), (b'"case":', b'"case":2.5,"y":'),
                     (b'"case":', b'"case":"","y":'), (b'"case":', b'"case":{"a":1},"y":'), (b'"case":', b'"case":"\xff\xfe","y":'),
                     (b'"case":', b'"case":"a\x00b","y":'), (b'"case":', b'"kase":')]:
        svars.append(("line 2: " + new.decode("latin-1")[:24], b"\n".join([lines[0], lines[1].replace(old, new, 1)] + lines[2:]) + b"\n"))
    svars += [("duplicate id", b"\n".join([first, first] + lines[1:]) + b"\n"),
              ("empty file", b""), ("only blank lines", b"\n\n \n"), ("array line", b"[1,2]\n" + first + b"\n"),
              ("truncated line 3", b"\n".join(lines[:2] + [lines[2][:50]] + lines[3:]) + b"\n"),
              ("BOM", b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n"), ("CRLF", b"\r\n".join(lines) + b"\r\n"),
              ("NUL byte", b"\n".join(lines) + b"\n\x00\n"), ("two subjects only", b"\n".join(lines[:2]) + b"\n"),
              ("deep nesting", first[:-1] + b',"z":' + b"[" * 100000 + b"]" * 100000 + b"}\n"),
              ("10 MB line", first[:-1] + b',"z":"' + b"x" * (10 << 20) + b'"}\n'),
              ("no final newline", b"\n".join(lines))]
    for k in range(40):
        idx = rng.randrange(len(lines))
        ls = list(lines)
        ls[idx] = mutate(ls[idx], rng)
        svars.append(("mutated line %d" % (idx + 1), b"\n".join(ls) + b"\n"))
    for i, (name, data) in enumerate(pick(svars, 8)):
        d = case_dir("subjects", "d%03d" % i)
        dd = os.path.join(d, "data")
        os.makedirs(os.path.join(dd, "papi"), exist_ok=True)
        for fn in os.listdir(papi):
            if fn != "ipip_neo_test_subjects.jsonl" and not os.path.exists(os.path.join(dd, "papi", fn)):
                os.symlink(os.path.join(papi, fn), os.path.join(dd, "papi", fn))
        if not os.path.lexists(os.path.join(dd, "templates")):
            os.symlink(os.path.join(ROOT, "data", "templates"), os.path.join(dd, "templates"))
        write(os.path.join(dd, "papi", "ipip_neo_test_subjects.jsonl"), data)
        out = os.path.join(d, "run")
        cases.append(Case("subjects files", name, [palign, "eval", "--method", "constant", "--subjects", "0:3", "-q",
                                                   "--data-dir", dd, "-o", out], expect="any", outputs=[out]))

    # ---- flags: every numeric and enumerated flag of every command, from its --help ---------------------------
    import re
    bases = {
        "eval": [palign, "eval", "--method", "constant", "--subjects", "0:1", "-q", "-o", "{out}"],
        "align": [palign, "align", "-m", model, "-a", person, "-o", "{out}/x.steer.gguf"] + fast_pas,
        "chat": [palign, "chat", "-m", model, "-p", "hi", "-n", "2", "--temp", "0"],
        "test": [palign, "test", "-m", model, "--inventory", "sd3"],
        "info": [palign, "info", "-m", model],
        "prompt": [palign, "prompt", "-m", model, "--item", "i1"],
        "compare": [palign, "compare", ckpt],
        "capture": [palign, "capture", "-m", model, "--inventory", "sd3", "-o", "{out}/cc"],
        "bake": [palign, "bake", "-m", model, "-s", steer, "-o", "{out}/baked.gguf"],
        "inspect": [palign, "inspect", steer],
        "merge": [palign, "merge", "{out}/merged", ckpt],
    }
    values = {"INT": ["-1", "0", "2147483648", "abc", "", "1.5"],
              "UINT": ["-1", "18446744073709551616", "abc", ""],
              "FLOAT": ["nan", "inf", "-1", "1e308", "abc"],
              "TEXT": ["", "bogus", "x" * 5000, "\xff", "1:0"]}
    flag_cases = []
    skip = {"--help", "-h", "--help-all", "--version", "--port", "--host", "--hf", "--hf-endpoint", "--rpc", "--mpi"}
    for sub, base in bases.items():
        helptext = subprocess.run([palign, sub, "--help"], capture_output=True, text=True).stdout
        for line in helptext.split("\n"):
            m = re.match(r"^\s+((?:-[\w-]+,)*--[\w-]+)\s+(INT|UINT|FLOAT|TEXT)", line)
            if not m:
                continue
            names = m.group(1).split(",")
            flag = [n for n in names if n.startswith("--")][0]
            if flag in skip or (sub not in ("eval", "chat", "info") and flag in ("--data-dir",)):
                continue
            if flag in ("-m", "--model", "-a", "--answers", "-o", "--out", "-s", "--steer"):
                continue
            for v in values[m.group(2)]:
                flag_cases.append((sub, flag, v))
    for i, (sub, flag, v) in enumerate(pick(flag_cases, 10)):
        d = case_dir("flags", "f%04d" % i)
        argv = [a.replace("{out}", d) for a in bases[sub]] + [flag, v]
        outs = [os.path.join(d, x) for x in ("run", "x.steer.gguf", "cc", "baked.gguf", "merged")]
        cases.append(Case("flags", "%s %s %r" % (sub, flag, v[:20]), argv, expect="any", outputs=outs, timeout=120))

    # ---- output folders and files ---------------------------------------------------------------------------
    d = case_dir("outputs", "o")
    write(os.path.join(d, "a-file"), b"x")
    if not os.path.lexists(os.path.join(d, "dangling")):
        os.symlink(os.path.join(d, "nowhere"), os.path.join(d, "dangling"))
    if not os.path.lexists(os.path.join(d, "link.steer.gguf")):
        os.symlink(os.path.join(d, "a-file"), os.path.join(d, "link.steer.gguf"))
    os.makedirs(os.path.join(d, "a-dir"), exist_ok=True)
    ev = [palign, "eval", "--method", "constant", "--subjects", "0:1", "-q", "-o"]
    al = [palign, "align", "-m", model, "-a", person] + fast_pas + ["-o"]
    ocases = [("eval -o a file", ev + [os.path.join(d, "a-file")], [os.path.join(d, "a-file")]),
              ("eval -o under a file", ev + [os.path.join(d, "a-file", "run")], []),
              ("eval -o /dev/null", ev + ["/dev/null"], []),
              ("eval -o /proc/x", ev + ["/proc/palign-x"], []),
              ("eval -o ''", ev + [""], []),
              ("eval -o long name", ev + [os.path.join(d, "n" * 300)], []),
              ("eval -o dangling link", ev + [os.path.join(d, "dangling")], []),
              ("align -o a directory", al + [os.path.join(d, "a-dir")], []),
              ("align -o a symlink", al + [os.path.join(d, "link.steer.gguf")], []),
              ("align -o missing dir", al + [os.path.join(d, "no", "x.steer.gguf")], [os.path.join(d, "no")]),
              ("align -o ''", al + [""], []),
              ("bake -o a symlink", [palign, "bake", "-m", model, "-s", steer, "-o", os.path.join(d, "link.steer.gguf")], []),
              ("capture -o a file", [palign, "capture", "-m", model, "--inventory", "sd3", "-o", os.path.join(d, "a-file")], [])]
    for i, (name, argv, outs) in enumerate(pick(ocases, 4)):
        cases.append(Case("output folders", name, argv, outputs=[o for o in outs if not os.path.exists(o)],
                          watch=[os.path.join(d, "a-file")] if "a file" in name else []))

    # ---- run folders: corrupt checkpoints, foreign configs, leftovers of killed runs ------------------------
    cl = open(os.path.join(ckpt, "constant.jsonl"), "rb").read().split(b"\n")[0]
    nl = open(os.path.join(ckpt, "none.jsonl"), "rb").read().split(b"\n")[0]
    cj, nj = json.loads(cl), json.loads(nl)
    rvars = []

    def spoil(j, path, value):
        j = json.loads(json.dumps(j))
        o = j
        for p in path[:-1]:
            o = o[p]
        if value is KeyError:
            del o[path[-1]]
        else:
            o[path[-1]] = value
        return json.dumps(j).encode()

    for method, j in [("constant", cj), ("none", nj)]:
        for path, vals in [(["items", 0, "m"], [99, -1, 2.5, "3", None, KeyError]), (["items", 1, "s"], [-7, 6, "x", KeyError]),
                           (["items", 0, "id"], ["i999", 5, "", KeyError]), (["items", 0, "rule"], ["bogus", 3, KeyError]),
                           (["subject"], [17, "", None, KeyError]), (["method"], ["bogus", "pas", 1, KeyError]),
                           (["items"], ["x", {}, None, KeyError]), (["items", 0], [[], 3])] + \
                          ([(["items", 0, "p"], [[0.5] * 5, [0.2] * 4, [1.5, 0, 0, 0, -0.5], "x", [None] * 5])] if method == "none" else []):
            for v in vals:
                rvars.append((method, "%s %s=%s" % (method, ".".join(map(str, path)), "absent" if v is KeyError else json.dumps(v)),
                              spoil(j, path, v) + b"\n"))
        line = cl if method == "constant" else nl
        rvars += [(method, method + " garbage line", b"garbage\n"), (method, method + " torn first line", line[:40] + b"\n" + line + b"\n"),
                  (method, method + " duplicate subject", line + b"\n" + line + b"\n"),
                  (method, method + " array line", b"[1]\n"), (method, method + " 1e400", line.replace(b'"s":', b'"s":1e400,"q":', 1) + b"\n"),
                  (method, method + " not UTF-8", line.replace(b'"subject":"', b'"subject":"\xff', 1) + b"\n")]
        for k in range(15):
            rvars.append((method, method + " mutated %d" % k, mutate(line, rng) + b"\n"))
    for i, (method, name, data) in enumerate(pick(rvars, 8)):
        d = case_dir("runs", "r%03d" % i)
        run = os.path.join(d, "run")
        os.makedirs(run, exist_ok=True)
        write(os.path.join(run, method + ".jsonl"), data)
        shutil.copy(os.path.join(ckpt if method == "constant" else ckpt + "-none", "config.json"), run)
        if method == "constant":
            argv = [palign, "eval", "--method", "constant", "--subjects", "0:3", "-q", "-o", run]
        else:
            argv = [palign, "eval", "-m", model, "--method", "none", "--subjects", "0:2", "-q", "-o", run]
        cases.append(Case("run folders", name, argv, expect="any", watch=[run]))
    # config.json and lock leftovers
    extra = []
    for name, files in [("config.json corrupt", {"config.json": b"{nope"}), ("config.json another kind", {"config.json": b'{"inventory": "sd3"}'}),
                        ("config.json an array", {"config.json": b"[]"}), ("config.json empty", {"config.json": b""}),
                        ("lock of a live pid", {".lock": ("%d\n" % os.getpid()).encode()}),
                        ("lock garbage", {".lock": b"garbage"}), ("stale temp files", {"constant.json.tmp.99999": b"{", "x.tmp.1.abcdef": b""}),
                        ("partial last line", {"constant.jsonl": cl + b"\n" + cl[:30]})]:
        d = case_dir("runs", "x-" + hashlib.sha1(name.encode()).hexdigest()[:8])
        run = os.path.join(d, "run")
        shutil.rmtree(run, ignore_errors=True)
        os.makedirs(run)
        for fn, data in files.items():
            write(os.path.join(run, fn), data)
        extra.append(Case("run folders", name, [palign, "eval", "--method", "constant", "--subjects", "0:3", "-q", "-o", run],
                          expect="any", watch=[run] if "temp" not in name and "partial" not in name and "garbage" not in name else []))
    for name, kind in [("checkpoint is a directory", "dir"), ("lock is a directory", "lockdir"), ("checkpoint is a FIFO", "fifo")]:
        d = case_dir("runs", "y-" + kind)
        run = os.path.join(d, "run")
        shutil.rmtree(run, ignore_errors=True)
        os.makedirs(run)
        if kind == "dir":
            os.makedirs(os.path.join(run, "constant.jsonl"))
        elif kind == "lockdir":
            os.makedirs(os.path.join(run, ".lock"))
        else:
            os.mkfifo(os.path.join(run, "constant.jsonl"))
        extra.append(Case("run folders", name, [palign, "eval", "--method", "constant", "--subjects", "0:3", "-q", "-o", run],
                          watch=[run], timeout=30))
    cases += pick(extra, 3)
    return cases


# ------------------------------------------------------------------------------------------------------------

COLUMNS = ["tried", "clean errors", "accepted", "crashes", "hangs", "bad messages", "partial files", "other"]


def main():
    global WORK
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build"), help="the build folder with palign and palign-mkmodel")
    ap.add_argument("--quick", action="store_true", help="a small subset of every kind (CTest)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--work", default="", help="working folder (default: a new temporary one, removed at the end)")
    ap.add_argument("--only", default="", help="comma list of groups (answer, steer, model, subjects, flags, output, run)")
    ap.add_argument("--list", action="store_true", help="list the cases and stop")
    ap.add_argument("--verbose", action="store_true", help="print every case")
    args = ap.parse_args()
    WORK = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="palign-bad-inputs-")
    os.makedirs(WORK, exist_ok=True)
    t0 = time.time()
    cases = build_cases(args)
    if args.only:
        keys = args.only.split(",")
        cases = [c for c in cases if any(k in c.group for k in keys)]
    if args.list:
        for c in cases:
            print("%-16s %s" % (c.group, c.name))
        return 0
    lock = threading.Lock()
    done = [0]

    def one(c):
        run_case(c)
        with lock:
            done[0] += 1
            bad = c.result not in ("error", "accepted")
            if args.verbose or bad:
                print("%s %-15s %-40s %-14s %s" % ("FAIL" if bad else "ok  ", c.group, c.name[:40], c.result, c.detail[:160]),
                      flush=True)
        return c

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        list(ex.map(one, cases))
    groups = []
    for c in cases:
        if c.group not in groups:
            groups.append(c.group)
    table = {g: dict.fromkeys(COLUMNS, 0) for g in groups + ["all"]}
    for c in cases:
        col = {"error": "clean errors", "accepted": "accepted", "crash": "crashes", "hang": "hangs", "bad message": "bad messages",
               "partial files": "partial files"}.get(c.result, "other")
        for g in (c.group, "all"):
            table[g]["tried"] += 1
            table[g][col] += 1
    print()
    print("| inputs | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for g in groups + ["all"]:
        print("| %s | " % g + " | ".join(str(table[g][k]) for k in COLUMNS) + " |")
    n_bad = sum(1 for c in cases if c.result not in ("error", "accepted"))
    print("\n%d inputs in %.0f s (seed %d%s): %d failed a check" % (len(cases), time.time() - t0, args.seed,
                                                                  ", quick" if args.quick else "", n_bad))
    if not args.work:
        shutil.rmtree(WORK, ignore_errors=True)
    return 1 if n_bad else 0


WORK = ""
if __name__ == "__main__":
    sys.exit(main())
