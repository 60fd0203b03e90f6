#!/usr/bin/env python3
"""Reference predictors on the PAPI test subjects, computed independently of palign (standard library only).

Reads the raw data files (papi/*.tsv, *_item_split.json, *_test_subjects.jsonl) and prints, for each inventory,
predictor and even-count rule, the run composite: the mean over subjects of sum over traits of the mean
|prediction - subject answer| over the evaluation items the subject answered (1..5).

Predictors (from the subject's answered align items only):
  constant          3
  subject-median    median of all align answers
  trait-key-median  median of the align answers of the same trait and key (+/-)
  facet-key-median  median of the align answers of the same facet and key (no facets: same as trait-key-median)
  fallback when a group has no answer: facet+key -> trait+key -> trait -> all align answers -> 3
  even count: "lower" takes the lower middle value, "upper" the upper one

Output: one line per result, tab separated: inventory, predictor, rule (lower|upper), composite (%.17g), n_subjects

usage: reference_predictors.py DATA_DIR [INVENTORY [PREDICTOR ...]]
  DATA_DIR holds papi/; INVENTORY is big5 or sd3 (default both); PREDICTORs default to all four
"""
import csv
import json
import os
import sys


def load(data_dir, kind):
    papi = os.path.join(data_dir, "papi")
    items = {}
    if kind == "big5":
        with open(os.path.join(papi, "ipip_neo_300_items.tsv"), newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                items["i" + row["full_id"]] = (row["domain"], row["facet"], row["key"])
        with open(os.path.join(papi, "ipip_neo_item_split.json")) as f:
            split = json.load(f)
        align = ["i%d" % n for n in split["align_items_full_ids"]]
        evals = ["i%d" % n for n in split["eval_items_full_ids"]]
        subjects_file = "ipip_neo_test_subjects.jsonl"
    else:
        with open(os.path.join(papi, "sd3_items.tsv"), newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                items[row["id"]] = (row["trait"], "", row["key"])
        with open(os.path.join(papi, "sd3_item_split.json")) as f:
            split = json.load(f)
        align, evals = split["align_items"], split["eval_items"]
        subjects_file = "sd3_test_subjects.jsonl"
    subjects = []
    with open(os.path.join(papi, subjects_file)) as f:
        for line in f:
            if line.strip():
                subjects.append(json.loads(line))
    traits = []
    for it in list(items):
        if items[it][0] not in traits:
            traits.append(items[it][0])
    return items, align, evals, subjects, traits


def median(values, upper):
    v = sorted(values)
    return v[len(v) // 2] if upper else v[(len(v) - 1) // 2]


def subject_groups(items, align, subj):
    """the subject's answered align values by (facet, key), (trait, key), trait, and all"""
    g = {}
    for a in align:
        v = subj.get(a, 0)
        if not 1 <= v <= 5:
            continue
        trait, facet, key = items[a]
        for k in (("facet", facet, key), ("trait-key", trait, key), ("trait", trait), ("all",)):
            g.setdefault(k, []).append(v)
    return g


def predict(pred, items, groups, item_id, upper):
    if pred == "constant":
        return 3
    trait, facet, key = items[item_id]
    order = []
    if pred == "facet-key-median" and facet:
        order.append(("facet", facet, key))
    if pred in ("facet-key-median", "trait-key-median"):
        order += [("trait-key", trait, key), ("trait", trait)]
    order.append(("all",))
    for k in order:
        if groups.get(k):
            return median(groups[k], upper)
    return 3


def composite(kind, pred, upper, data):
    items, align, evals, subjects, traits = data
    per_subject = []
    for s in subjects:
        groups = subject_groups(items, align, s)
        total = 0.0
        ok = True
        for t in traits:
            errs = []
            for e in evals:
                if items[e][0] != t:
                    continue
                v = s.get(e, 0)
                if not 1 <= v <= 5:
                    continue
                errs.append(abs(predict(pred, items, groups, e, upper) - v))
            if not errs:
                ok = False
                break
            total += sum(errs) / len(errs)
        if ok:
            per_subject.append(total)
    return sum(per_subject) / len(per_subject), len(per_subject)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    kinds = [sys.argv[2]] if len(sys.argv) > 2 else ["big5", "sd3"]
    preds = sys.argv[3:] or ["constant", "subject-median", "trait-key-median", "facet-key-median"]
    for kind in kinds:
        if kind not in ("big5", "sd3"):
            sys.exit("unknown inventory %r (big5, sd3)" % kind)
        data = load(sys.argv[1], kind)
        for pred in preds:
            if pred not in ("constant", "subject-median", "trait-key-median", "facet-key-median"):
                sys.exit("unknown predictor %r" % pred)
            for rule in ("lower", "upper"):
                c, n = composite(kind, pred, rule == "upper", data)
                print("%s\t%s\t%s\t%.17g\t%d" % (kind, pred, rule, c, n))


if __name__ == "__main__":
    main()
