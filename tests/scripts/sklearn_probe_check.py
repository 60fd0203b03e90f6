#!/usr/bin/env python3
"""Reference for tests/test_pas_fit.cpp: fit scikit-learn LogisticRegression per (layer, head) on a given split.

usage: /usr/bin/python3 sklearn_probe_check.py <in.bin> <out.txt>

in.bin (little-endian): int32 header[8] = n_samples, n_layer, n_head, head_dim, n_train_pairs, n_val_pairs,
k, reserved; int32 y[n_samples]; int32 train_pairs[]; int32 val_pairs[];
float32 x[n_samples][n_layer][n_head][head_dim]. Pair p owns samples 2p and 2p+1.

out.txt, one line per head (flat index layer*n_head+head):
  head <layer> <head> <n_train_correct> <n_val_correct> <train_acc> <val_acc> <b> <w...>   sklearn defaults
  tight <layer> <head> <b> <w...>      same objective solved to tol 1e-12 with sklearn's newton-cholesky solver
                                       (lbfgs cannot: scipy stops it early on its ftol, here ~1e-4 relative in w)
then: topk val <flat index>...  and  topk mean <flat index>...  (top k, best first, with palign's
documented ranking rules and tie breaks)
"""
import sys
import warnings
from fractions import Fraction

import numpy as np
from sklearn.linear_model import LogisticRegression


def main():
    src, dst = sys.argv[1], sys.argv[2]
    raw = open(src, "rb").read()
    hdr = np.frombuffer(raw, dtype="<i4", count=8)
    n_samples, n_layer, n_head, head_dim, n_tr, n_va, k, _ = (int(v) for v in hdr)
    off = 32
    y = np.frombuffer(raw, dtype="<i4", count=n_samples, offset=off); off += 4 * n_samples
    tr = np.frombuffer(raw, dtype="<i4", count=n_tr, offset=off); off += 4 * n_tr
    va = np.frombuffer(raw, dtype="<i4", count=n_va, offset=off); off += 4 * n_va
    x = np.frombuffer(raw, dtype="<f4", count=n_samples * n_layer * n_head * head_dim, offset=off)
    x = x.reshape(n_samples, n_layer, n_head, head_dim).astype(np.float64)

    s_tr = np.array([s for p in tr for s in (2 * p, 2 * p + 1)], dtype=np.int64)
    s_va = np.array([s for p in va for s in (2 * p, 2 * p + 1)], dtype=np.int64)
    lines, stats = [], []
    for layer in range(n_layer):
        for head in range(n_head):
            xt, yt = x[s_tr, layer, head, :], y[s_tr]
            xv, yv = x[s_va, layer, head, :], y[s_va]
            clf = LogisticRegression(C=1.0, max_iter=1000).fit(xt, yt)
            ct = int((clf.predict(xt) == yt).sum())
            cv = int((clf.predict(xv) == yv).sum())
            w = " ".join(repr(float(v)) for v in clf.coef_[0])
            lines.append(f"head {layer} {head} {ct} {cv} {ct / len(yt)!r} {cv / len(yv)!r} {float(clf.intercept_[0])!r} {w}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tight = LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=1000, tol=1e-12).fit(xt, yt)
            w = " ".join(repr(float(v)) for v in tight.coef_[0])
            lines.append(f"tight {layer} {head} {float(tight.intercept_[0])!r} {w}")
            stats.append((layer, head, Fraction(ct, len(yt)), Fraction(cv, len(yv))))

    # val_acc: higher val, then higher train, then lower layer, then lower head
    by_val = lambda i: (-stats[i][3], -stats[i][2], stats[i][0], stats[i][1])
    # mean_acc: higher (val+train)/2, then higher val, then lower layer, then lower head
    by_mean = lambda i: (-(stats[i][3] + stats[i][2]), -stats[i][3], stats[i][0], stats[i][1])
    for name, key in (("val", by_val), ("mean", by_mean)):
        order = sorted(range(len(stats)), key=key)
        lines.append(f"topk {name} " + " ".join(str(i) for i in order[:k]))
    with open(dst, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
