#!/usr/bin/env python3
"""The scikit-learn reference pipeline tidings is measured against:
TfidfVectorizer(sublinear_tf, min_df=2, max_df=0.5, English stop words) + TruncatedSVD(100)
+ Normalizer + KMeans(n_init=10), with the same k. Reads JSON Lines (optionally .gz) with
`title` and `text`, clusters title + text (as tidings does), and prints one JSON line:
wall seconds (including reading), and NMI / ARI against `--label-field` when given.

    python bench/reference.py corpus.jsonl.gz --k 8 --label-field label --seed 0
"""
import argparse
import gzip
import json
import time

t0 = time.perf_counter()
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import Normalizer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--label-field")
    ap.add_argument("--assignments", help="write each article's id and cluster here (JSON)")
    args = ap.parse_args()
    opener = gzip.open if args.input.endswith(".gz") else open
    docs, labels, ids = [], [], []
    with opener(args.input, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            docs.append(f"{r.get('title') or ''}\n{r['text']}")
            labels.append(r.get(args.label_field) if args.label_field else None)
            ids.append(r.get("id"))
    tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, stop_words="english")
    lsa = make_pipeline(TruncatedSVD(100, random_state=args.seed), Normalizer(copy=False))
    x = lsa.fit_transform(tfidf.fit_transform(docs))
    pred = KMeans(args.k, n_init=10, random_state=args.seed).fit_predict(x)
    out = {"seconds": time.perf_counter() - t0, "articles": len(docs)}
    if args.assignments:
        with open(args.assignments, "w", encoding="utf-8") as f:
            json.dump(dict(zip(ids, pred.tolist())), f)
    scored = [(l, p) for l, p in zip(labels, pred) if l is not None]
    if scored:
        truth, guess = zip(*scored)
        out["nmi"] = normalized_mutual_info_score(truth, guess)
        out["ari"] = adjusted_rand_score(truth, guess)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
