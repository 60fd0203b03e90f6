#!/usr/bin/env python3
# The reference code's answer parser, run by Python's own re (baseline_utils.py, process_answers):
#   re.search(r"[abcdeABCDE][^a-zA-Z]", text[:12]) -> the matched letter, upper-cased; no match -> UNK.
# Input: a file with one hex-encoded UTF-8 byte string per line (decoded as the tokenizer's decode would:
# errors="replace"). Output: one letter A..E or "UNK" per line, same order.
import re
import sys

with open(sys.argv[1]) as f:
    for line in f.read().splitlines():
        text = bytes.fromhex(line).decode("utf-8", errors="replace")
        m = re.search(r"[abcdeABCDE][^a-zA-Z]", text[:12], flags=0)
        print(m.group()[0].upper() if m else "UNK")
