"""Does a model fitted on a sample assign like one fitted on everything? (issue 15)

    python bench/spark_sample.py [CORPUS.jsonl[.gz]] [--k 20] [--samples 2000 5000 10000]

On local[2]: a full fit (every row in the LSA and k-means) and fits on uniform samples of
each size, all with document frequencies over the whole corpus; every article assigned with
each. Prints, per sample size, the NMI between its assignment and the full fit's (and, as the
ceiling, a second full fit's with another seed), and each one's NMI against the corpus's own
labels (the `label` column) when it has them. Needs pyspark
and the tidings wheel. Default corpus: all of Reuters-21578 from ../shared/data.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def nmi(a, b) -> float:
    """Normalised mutual information, arithmetic normalisation (scikit-learn's default)."""
    n = len(a)
    ca, cb, cab = Counter(a), Counter(b), Counter(zip(a, b))
    mi = sum(c / n * math.log(c * n / (ca[x] * cb[y])) for (x, y), c in cab.items())
    h = lambda cnt: -sum(c / n * math.log(c / n) for c in cnt.values())  # noqa: E731
    ha, hb = h(ca), h(cb)
    return 1.0 if ha + hb == 0 else 2 * mi / (ha + hb)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared/data/reuters21578.jsonl.gz"))
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--samples", type=int, nargs="+", default=[2000, 5000, 10000])
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    import tidings.spark as ts

    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "4g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.json(args.corpus).repartition(4).cache()
    n = df.count()
    has_labels = "label" in df.columns

    def assigned(model):
        rows = ts.assign(df, model).select("id", "theme_id", *(["label"] if has_labels else [])).collect()
        rows.sort(key=lambda r: r["id"])
        return rows

    t = time.perf_counter()
    full = ts.fit(df, k=args.k, sample=n, seed=args.seed)
    full_secs = time.perf_counter() - t
    base = assigned(full)
    base_ids = [r["theme_id"] for r in base]
    labelled = [i for i, r in enumerate(base) if has_labels and r["label"]]

    def vs_labels(rows):
        if not labelled:
            return "n/a"
        return f"{nmi([rows[i]['label'] for i in labelled], [rows[i]['theme_id'] for i in labelled]):.3f}"

    print(f"{n} articles, k = {args.k}, seed {args.seed}; full fit {full_secs:.1f} s")
    print("| fitted on | NMI with the full fit's assignment | NMI with the labels | fit s |")
    print("|---:|---:|---:|---:|")
    print(f"| all {n} | 1.000 | {vs_labels(base)} | {full_secs:.1f} |")
    # How far two full fits differing only in their k-means seed agree: the ceiling a
    # sample fit can be held to.
    t = time.perf_counter()
    reseeded = assigned(ts.fit(df, k=args.k, sample=n, seed=args.seed + 1))
    secs = time.perf_counter() - t
    print(f"| all {n}, seed {args.seed + 1} | {nmi(base_ids, [r['theme_id'] for r in reseeded]):.3f} "
          f"| {vs_labels(reseeded)} | {secs:.1f} |")
    for s in args.samples:
        t = time.perf_counter()
        model = ts.fit(df, k=args.k, sample=s, seed=args.seed)
        secs = time.perf_counter() - t
        rows = assigned(model)
        got = nmi(base_ids, [r["theme_id"] for r in rows])
        print(f"| sample of {s} | {got:.3f} | {vs_labels(rows)} | {secs:.1f} |")
    spark.stop()


if __name__ == "__main__":
    main()
