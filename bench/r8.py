#!/usr/bin/env python3
"""R8, the usual clustering benchmark of Reuters-21578: the single-topic articles of its eight
largest classes, copied from SRC (JSON Lines, optionally .gz) to DST.

    python bench/r8.py ../shared/data/reuters21578.jsonl.gz r8.jsonl
"""
import gzip
import json
import sys

R8 = {"earn", "acq", "crude", "trade", "money-fx", "interest", "ship", "sugar"}

src, dst = sys.argv[1], sys.argv[2]
opener = gzip.open if src.endswith(".gz") else open
with opener(src, "rt", encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    out.writelines(line for line in f if json.loads(line).get("label") in R8)
