"""Scores tidings' stories against hand-labelled events, beside a classic single-pass
TF-IDF baseline (scikit-learn) run on the same articles with its threshold swept.

    python bench/stories.py --tidings target/release/tidings [--events 'bench/stories/events-*.jsonl']
        [--corpus ../shared/data/reuters21578.jsonl.gz] [--sweep 0.2,0.25,0.3] [--baseline]

BCubed precision and recall over the labelled articles (Bagga and Baldwin, 1998), with
precision counted strictly: every other article in a labelled article's story that is not in
its event counts against it, labelled or not, so recall is not bought by lumping. Copies
that tidings sets aside count in the story of the article they repeat. Prints one line per
run; with --out, writes them to a file as well.
"""

import argparse
import glob
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date


def load_events(pattern):
    events = []
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            for line in f:
                if line.strip():
                    e = json.loads(line)
                    e["file"] = os.path.basename(path)
                    events.append(e)
    seen = {}
    for e in events:
        for i in e["ids"]:
            if i in seen:
                sys.exit(f"{i} is in two events: {seen[i]!r} and {e['event']!r}")
            seen[i] = e["event"]
    return events


def bcubed(events, story_of):
    """story_of: article id -> story key (every article of the corpus that has one)."""
    members = defaultdict(set)
    for a, s in story_of.items():
        members[s].add(a)
    p_sum = r_sum = 0.0
    n = 0
    per_event = []
    for e in events:
        ids = set(e["ids"])
        ep = er = 0.0
        for a in ids:
            s = story_of.get(a)
            story = members[s] if s is not None else {a}
            both = len(story & ids)
            ep += both / len(story)
            er += both / len(ids)
        p_sum += ep
        r_sum += er
        n += len(ids)
        per_event.append((e["event"], len(ids), ep / len(ids), er / len(ids)))
    p, r = p_sum / n, r_sum / n
    return p, r, 2 * p * r / (p + r), per_event


def tidings_stories(binary, corpus, flags):
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([binary, "run", corpus, "--out", out, "--quiet", *flags], check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        arts = pq.read_table(os.path.join(out, "articles.parquet"),
                             columns=["article_id", "story_id"]).to_pylist()
        dups = pq.read_table(os.path.join(out, "duplicates.parquet"),
                             columns=["article_id", "story_id"]).to_pylist()
        story_of = {r["article_id"]: r["story_id"] for r in arts}
        for r in dups:
            if r["story_id"] is not None:
                story_of[r["article_id"]] = r["story_id"]
        stories = pq.read_table(os.path.join(out, "stories.parquet"),
                                columns=["articles"]).column("articles").to_pylist()
    return story_of, seconds, stories


def read_corpus(path):
    rows = []
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as f:
        for line in f:
            d = json.loads(line)
            rows.append((d["id"], d.get("date"), (d.get("title") or "") + "\n" + (d.get("text") or "")))
    return rows


def single_pass(X, days, threshold, window):
    """Classic single-pass clustering: each article (in date order) joins the open story whose
    centroid is most cosine-similar, at or above `threshold`, else starts one; a story closes
    after `window` days without an article."""
    import numpy as np

    n = X.shape[0]
    order = sorted(range(n), key=lambda i: (days[i], i))
    story = np.full(n, -1)
    last_day, norm_sq = [], []
    live = []  # (row, story) of members of open stories
    for i in order:
        d = days[i]
        live = [(m, s) for (m, s) in live if d - last_day[s] <= window]
        best, best_cos = -1, threshold
        if live:
            rows = [m for m, _ in live]
            sims = X[rows] @ X[i].T
            sims = np.asarray(sims.todense()).ravel()
            per = defaultdict(float)
            for (m, s), v in zip(live, sims):
                per[s] += v
            for s, dot in per.items():
                c = dot / np.sqrt(norm_sq[s])
                if c >= best_cos and (best < 0 or c > best_cos or s < best):
                    best, best_cos, best_dot = s, c, dot
        if best >= 0:
            story[i] = best
            norm_sq[best] += 2 * best_dot + 1
            last_day[best] = max(last_day[best], d)
        else:
            story[i] = len(last_day)
            last_day.append(d)
            norm_sq.append(1.0)
        live.append((i, story[i]))
    return story


def baseline(corpus_rows, thresholds, window):
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids = [r[0] for r in corpus_rows]
    epoch = date(1970, 1, 1)
    days = [(date.fromisoformat(r[1]) - epoch).days if r[1] else 10**6 for r in corpus_rows]
    X = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5,
                        stop_words="english").fit_transform([r[2] for r in corpus_rows]).tocsr()
    for t in thresholds:
        t0 = time.perf_counter()
        s = single_pass(X, days, t, window)
        yield t, dict(zip(ids, s.tolist())), time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tidings")
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                     "shared", "data", "reuters21578.jsonl.gz"))
    ap.add_argument("--events", default=os.path.join(os.path.dirname(__file__), "stories",
                                                     "events-*.jsonl"))
    ap.add_argument("--flags", default="--k 20", help="tidings flags (one string)")
    ap.add_argument("--sweep", help="tidings story thresholds, comma-separated")
    ap.add_argument("--windows", help="story windows in days, comma-separated "
                    "[tidings' default; the baseline: 7]")
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--baseline-thresholds", default="0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.5")
    ap.add_argument("--per-event", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()
    events = load_events(args.events)
    labelled = sum(len(e["ids"]) for e in events)
    lines = [f"# {len(events)} events, {labelled} labelled articles ({args.events}); "
             f"corpus {os.path.basename(args.corpus)}"]
    print(lines[0], flush=True)

    files = sorted({e["file"] for e in events})

    def report(name, story_of, extra=""):
        p, r, f, per = bcubed(events, story_of)
        line = f"{name:<44} P {p:.3f}  R {r:.3f}  F1 {f:.3f}  {extra}"
        print(line, flush=True)
        lines.append(line)
        # Each file is one reader's labels: a change that helps only one reader's idea of
        # an event's bounds is fitted to that reader.
        if len(files) > 1:
            scores = [(name, bcubed([e for e in events if e["file"] == name], story_of)[2])
                      for name in files]
            line = "    by file: " + " · ".join(f"{n} F1 {f:.3f}" for n, f in scores)
            print(line, flush=True)
            lines.append(line)
        if args.per_event:
            for ev, n, ep, er in per:
                print(f"    {ev[:60]:<60} {n:>3}  P {ep:.2f}  R {er:.2f}")

    windows = [int(w) for w in args.windows.split(",")] if args.windows else [None]
    if args.tidings:
        thresholds = args.sweep.split(",") if args.sweep else [None]
        for w in windows:
            for t in thresholds:
                flags = args.flags.split()
                if w is not None:
                    flags += ["--story-window", str(w)]
                if t is not None:
                    flags += ["--story-threshold", t]
                story_of, seconds, sizes = tidings_stories(args.tidings, args.corpus, flags)
                multi = sum(1 for s in sizes if s > 1)
                report(f"tidings {' '.join(flags)}", story_of,
                       f"{len(sizes)} stories ({multi} of 2+), run {seconds:.1f} s")
    if args.baseline:
        rows = read_corpus(args.corpus)
        ts = [float(t) for t in args.baseline_thresholds.split(",")]
        for w in [w if w is not None else 7 for w in windows]:
            for t, story_of, seconds in baseline(rows, ts, w):
                report(f"single-pass TF-IDF (sklearn) t {t} w {w}", story_of,
                       f"{len(set(story_of.values()))} stories, {seconds:.1f} s")
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
