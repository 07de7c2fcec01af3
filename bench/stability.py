#!/usr/bin/env python3
"""How much the seed decides: tidings and the scikit-learn reference (bench/reference.py),
seeds 1..N each, on one corpus at one k. Prints one JSON line per tool: NMI against the
labels (min / median / max, where the corpus has them), adjusted Rand index between every
pair of seeds' clusterings (min / median), and the median wall time of a run.

    python bench/stability.py CORPUS K --seeds 20 --tidings PATH [--name NAME]

Both cluster every article (tidings with --keep-duplicates), so their clusterings compare
article by article.
"""
import argparse
import gzip
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow.parquet as pq
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def labels_of(corpus):
    opener = gzip.open if corpus.endswith(".gz") else open
    with opener(corpus, "rt", encoding="utf-8") as f:
        return {r["id"]: r.get("label") for r in map(json.loads, f)}


def summarise(tool, runs, times, labels, args):
    ids = sorted(set.intersection(*(set(r) for r in runs)))
    out = {"corpus": args.name, "k": args.k, "tool": tool, "seeds": len(runs),
           "articles": len(ids), "seconds_median": round(statistics.median(times), 3)}
    scored = [i for i in ids if labels.get(i) is not None]
    if scored:
        nmi = [normalized_mutual_info_score([labels[i] for i in scored], [r[i] for i in scored])
               for r in runs]
        out.update(nmi_min=round(min(nmi), 4), nmi_median=round(statistics.median(nmi), 4),
                   nmi_max=round(max(nmi), 4))
    ari = [adjusted_rand_score([a[i] for i in ids], [b[i] for i in ids])
           for a, b in itertools.combinations(runs, 2)]
    out.update(ari_min=round(min(ari), 4), ari_median=round(statistics.median(ari), 4))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("k", type=int)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--tidings", required=True)
    ap.add_argument("--name")
    ap.add_argument("--skip-reference", action="store_true")
    args = ap.parse_args()
    args.name = args.name or os.path.basename(args.corpus)
    labels = labels_of(args.corpus)
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as work:
        runs, times = [], []
        for seed in range(1, args.seeds + 1):
            out = os.path.join(work, f"t{seed}")
            t = time.perf_counter()
            subprocess.run([args.tidings, "run", args.corpus, "--k", str(args.k), "--seed",
                            str(seed), "--keep-duplicates", "--out", out, "--quiet"], check=True)
            times.append(time.perf_counter() - t)
            table = pq.read_table(os.path.join(out, "articles.parquet"),
                                  columns=["article_id", "theme_id"]).to_pydict()
            runs.append(dict(zip(table["article_id"], table["theme_id"])))
        print(json.dumps(summarise("tidings", runs, times, labels, args)), flush=True)
        if args.skip_reference:
            return
        runs, times = [], []
        for seed in range(1, args.seeds + 1):
            path = os.path.join(work, f"r{seed}.json")
            t = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(here, "reference.py"), args.corpus,
                            "--k", str(args.k), "--seed", str(seed), "--assignments", path],
                           check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
            with open(path, encoding="utf-8") as f:
                runs.append(json.load(f))
        print(json.dumps(summarise("scikit-learn", runs, times, labels, args)), flush=True)


if __name__ == "__main__":
    main()
