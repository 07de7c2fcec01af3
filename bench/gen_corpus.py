#!/usr/bin/env python3
"""Generate a large dated news corpus by replicating and perturbing real articles.

Each output article takes a real article (Reuters-21578 by default), keeps its topic and most
of its words, and changes enough (a third of its words swapped for words of another article of
the same topic, sentences reordered) that it is not a near-duplicate; about 2% repeat an earlier
generated article exactly and 3% repeat one with a word changed, as wires and aggregators do,
so de-duplication has real work. Dates are spread
over 52 ISO weeks from 2025-01-06. Output: JSON Lines (optionally .gz), same fields as the
input plus `copy_of`.

With `--chars 2200`, articles are of modern length instead of wire length (Reuters stories
average about 800 characters; BBC-length ones about 2,200, 380 words): each stitches perturbed
articles of one topic until it reaches that length, and 20% are rewritten near-copies of a
recent one (a sentence dropped, a few words changed, another headline), as wires and
aggregators produce them; 2% are exact repeats.

With `--syndication` (and `--chars`), a wire at scale: every story is carried again and again,
its copies per story drawn from a Zipf law (Pareto, shape 1) up to 1,000, each copy reworded
(its sentences reordered, one or two dropped, a few words changed) and dated within three days
of the story; four articles in five are such copies.

    python3 bench/gen_corpus.py -n 200000 -o /tmp/corpus-200k.jsonl
    python3 bench/gen_corpus.py -n 1000000 --chars 2200 -o /tmp/long-1m.jsonl
    python3 bench/gen_corpus.py -n 200000 --chars 2200 --syndication -o /tmp/synd-200k.jsonl
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
    ap.add_argument("--chars", type=int, default=0,
                    help="stitch articles of one topic to at least this many characters")
    ap.add_argument("--syndication", action="store_true",
                    help="heavy syndication: Zipf copies per story up to 1,000 (with --chars)")
    args = ap.parse_args()
    if args.syndication and not args.chars:
        ap.error("--syndication needs --chars")
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
    if args.chars:
        with out:
            long_articles(args, rng, src, by_topic, start, out)
        return
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


def perturb(rng, words, donor):
    """A third of the words swapped for words of another article of the same topic, the
    sentences shuffled: the same subject, not a near-duplicate."""
    words = list(words)
    for j in range(len(words)):
        if rng.random() < 0.33:
            words[j] = rng.choice(donor)
    sentences = re.split(r"(?<=\.) ", " ".join(words))
    rng.shuffle(sentences)
    return " ".join(sentences)


def reworded(rng, text):
    """A syndicated copy: sentences reordered, one or two dropped, a few words changed."""
    sentences = re.split(r"(?<=\.) ", text)
    rng.shuffle(sentences)
    for _ in range(rng.randint(1, 2)):
        if len(sentences) > 3:
            sentences.pop(rng.randrange(len(sentences)))
    words = " ".join(sentences).split()
    for _ in range(3):
        words[rng.randrange(len(words))] = rng.choice(["also", "further", "again", "now", "said"])
    return " ".join(words)


def long_articles(args, rng, src, by_topic, start, out):
    recent = []
    pending = []  # syndication: [record, text, day, copies left]
    for i in range(args.n):
        if args.syndication and pending and rng.random() < 0.8:
            at = rng.randrange(len(pending))
            r, text, day, left = pending[at]
            if left <= 1:
                pending[at] = pending[-1]
                pending.pop()
            else:
                pending[at][3] -= 1
            date = day + datetime.timedelta(days=rng.randrange(3))
            out.write(json.dumps({
                "id": f"gen-{i}",
                "date": date.isoformat(),
                "title": r["title"],
                "text": reworded(rng, text),
                "label": r.get("label"),
                "copy_of": r["id"],
            }) + "\n")
            continue
        roll = rng.random()
        original = not (roll < 0.22 and recent)
        if not original:
            r, text = rng.choice(recent)
            if roll >= 0.02:
                # A rewrite: one sentence dropped, a few words changed, the headline redone.
                sentences = re.split(r"(?<=\.) ", text)
                if len(sentences) > 3:
                    sentences.pop(rng.randrange(len(sentences)))
                words = " ".join(sentences).split()
                for _ in range(3):
                    words[rng.randrange(len(words))] = rng.choice(["also", "further", "again", "now"])
                text = " ".join(words)
                r = dict(r, title=f"UPDATE 1-{r['title']}")
        else:
            r = rng.choice(src)
            topic = by_topic[r.get("label") or "none"]
            parts, length = [], 0
            while length < args.chars:
                piece = rng.choice(topic) if parts else r
                donor = rng.choice(topic)["text"].split() or ["news"]
                part = perturb(rng, piece["text"].split() or ["news"], donor)
                parts.append(part)
                length += len(part) + 2
            text = "\n\n".join(parts)
            # The last piece may overshoot: end at a sentence near the target length.
            if len(text) > args.chars * 1.1:
                cut = text.rfind(". ", int(args.chars * 0.9), int(args.chars * 1.1))
                text = text[: cut + 1] if cut > 0 else text[: int(args.chars * 1.1)]
            recent.append((r, text))
            if len(recent) > 2000:
                recent.pop(0)
        date = start + datetime.timedelta(days=rng.randrange(7 * 52))
        if args.syndication and original:
            copies = min(1000, int(rng.paretovariate(1.0)))
            if copies > 1:
                pending.append([r, text, date, copies - 1])
        out.write(json.dumps({
            "id": f"gen-{i}",
            "date": date.isoformat(),
            "title": r["title"],
            "text": text,
            "label": r.get("label"),
            "copy_of": r["id"],
        }) + "\n")


if __name__ == "__main__":
    main()
