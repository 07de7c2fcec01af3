"""Label quality of tidings' top terms against the two reference recipes, on the same clusters.

usage: python bench/label_quality.py CORPUS.jsonl K TIDINGS_OUT_DIR [TIDINGS_OUT_DIR ...]

`../shared/tools/label_quality.py` scores the references on scikit-learn's own clusters, so
its comparison mixes how well each side clusters with how well it names. This script also
scores the references on tidings' clusters (read from each run's `articles.parquet`, matched
by `id`), so the only difference left is the choice of terms:

  tidings            the run's `themes.parquet` top_terms
  sklearn-centroid   the top terms of each cluster's mean TF-IDF row (TfidfVectorizer
                     sublinear, min_df 2, max_df 0.5, English stop words)
  bertopic-ctfidf    BERTopic's ClassTfidfTransformer on CountVectorizer(stop_words=english)
                     counts pooled per cluster: tf_tc * log(1 + A / f_t)

NPMI and diversity are computed by the shared tool's own `score` (gensim c_npmi, window 10,
top 10 terms), which needs gensim, scikit-learn, pyarrow and numpy.
"""
import json
import os
import sys

import numpy as np
import pyarrow.parquet as pq
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tools"))
import label_quality as lq  # noqa: E402
from gensim.corpora import Dictionary  # noqa: E402


def main():
    corpus, k, outs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    opener = lq.gzip.open if corpus.endswith(".gz") else open
    rows = [json.loads(line) for line in opener(corpus, "rt", encoding="utf-8")]
    docs = [(r.get("title") or "") + "\n" + r["text"] for r in rows]
    index = {r["id"]: i for i, r in enumerate(rows)}
    texts = [lq.tokens(d) for d in docs]
    dictionary = Dictionary(texts)
    tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, stop_words="english")
    X = tfidf.fit_transform(docs)
    terms = tfidf.get_feature_names_out()
    cv = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
    C = cv.fit_transform(docs)
    vocab = cv.get_feature_names_out()
    totals = {}
    for out in outs:
        arts = pq.read_table(f"{out}/articles.parquet", columns=["article_id", "theme_id"])
        themes = pq.read_table(f"{out}/themes.parquet").to_pydict()
        labels = np.full(len(rows), -1)
        for a, t in zip(arts["article_id"].to_pylist(), arts["theme_id"].to_pylist()):
            if a in index:
                labels[index[a]] = t
        ids = sorted({t for t in labels if t >= 0})
        centroid = [[terms[i] for i in np.argsort(-np.asarray(X[labels == c].mean(axis=0)).ravel())[:10]]
                    for c in ids]
        pooled = np.vstack([np.asarray(C[labels == c].sum(axis=0)).ravel() for c in ids])
        A = pooled.sum() / len(ids)
        f = pooled.sum(axis=0)
        ctf = pooled / np.maximum(pooled.sum(axis=1, keepdims=True), 1) * np.log(1 + A / np.maximum(f, 1))
        bertopic = [[vocab[i] for i in np.argsort(-r)[:10]] for r in ctf]
        ours = [list(x) for x in themes["top_terms"] if x][: len(ids)]
        print(f"{out}: {len(ids)} themes over {int((labels >= 0).sum())} articles")
        for name, topics in (("tidings", ours), ("sklearn-centroid", centroid), ("bertopic-ctfidf", bertopic)):
            npmi, div = lq.score(topics, texts, dictionary)
            totals.setdefault(name, []).append((npmi, div))
            print(f"  {name:18s} NPMI {npmi:.3f}  diversity {div:.2f}")
            for t in topics:
                print("      " + " · ".join(t[:10]))
    if len(outs) > 1:
        print(f"mean over {len(outs)} runs:")
        for name, v in totals.items():
            v = np.array(v)
            print(f"  {name:18s} NPMI {v[:, 0].mean():.3f} (sd {v[:, 0].std(ddof=1):.3f})  diversity {v[:, 1].mean():.2f}")


if __name__ == "__main__":
    main()
