#!/usr/bin/env python3
"""Generate a large dated news corpus by replicating and perturbing real articles.

Each output article takes a real article (Reuters-21578 by default), keeps its topic and most
of its words, and changes enough (a third of its words swapped for words of another article of
the same topic, sentences reordered) that it is not a near-duplicate; about 2% repeat an earlier
generated article exactly and 3% repeat one with a word changed, as wires and aggregators do,
so de-duplication has real work. Dates are spread
over 52 ISO weeks from 2025-01-06. Output: JSON Lines (optionally .gz), same fields as the
input plus `copy_of`.

    python3 bench/gen_corpus.py -n 200000 -o /tmp/corpus-200k.jsonl
"""
import argparse
import datetime
import gzip
import json
import random
import re


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, required=True, help="articles to write")
    ap.add_argument("-o", "--out", required=True, help="output .jsonl or .jsonl.gz")
    ap.add_argument("--source", default="../shared/data/reuters21578.jsonl.gz")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    opener = gzip.open if args.source.endswith(".gz") else open
    with opener(args.source, "rt", encoding="utf-8") as f:
        src = [json.loads(line) for line in f]
    by_topic = {}
    for r in src:
        by_topic.setdefault(r.get("label") or "none", []).append(r)
    start = datetime.date(2025, 1, 6)
    out = gzip.open(args.out, "wt", encoding="utf-8") if args.out.endswith(".gz") else open(args.out, "w", encoding="utf-8")
    recent = []  # (source record, text) of recent articles, for repeats
    with out:
        for i in range(args.n):
            r = rng.choice(src)
            words = r["text"].split()
            roll = rng.random()
            if roll < 0.05 and recent:
                r, text = rng.choice(recent)
                if roll >= 0.02:
                    words = text.split()
                    words[rng.randrange(len(words))] = "edited"
                    text = " ".join(words)
            else:
                donor = rng.choice(by_topic[r.get("label") or "none"])["text"].split() or words
                for j in range(len(words)):
                    if rng.random() < 0.33:
                        words[j] = rng.choice(donor)
                sentences = re.split(r"(?<=\.) ", " ".join(words))
                rng.shuffle(sentences)
                text = " ".join(sentences)
                if words:
                    recent.append((r, text))
                    if len(recent) > 2000:
                        recent.pop(0)
            date = start + datetime.timedelta(days=rng.randrange(7 * 52))
            rec = {
                "id": f"gen-{i}",
                "date": date.isoformat(),
                "title": r["title"],
                "text": text,
                "label": r.get("label"),
                "copy_of": r["id"],
            }
            out.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
