#!/usr/bin/env python3
"""The weekly loop on a dated corpus: fit a model on the first weeks, `tidings update` it with
each later week in turn, then `tidings timeline` over all of the runs.

    python3 examples/weekly_loop.py ../shared/data/reuters21578.jsonl.gz reports/weeks \\
        --fit-weeks 2 --weeks 6 --k 20

The input is JSON Lines (optionally gzipped) with a `date` field; it is split into one file per
ISO week under OUT/input/. Runs go to OUT/fit, OUT/<week>, the timeline to OUT/timeline, the
model to OUT/themes.model. Standard library only; the tidings binary is taken from --bin, else
$TIDINGS_BIN, else `tidings` on the PATH.
"""

import argparse
import datetime
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def split_by_week(source: Path, into: Path) -> list:
    opener = gzip.open if source.suffix == ".gz" else open
    weeks = {}
    with opener(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            try:
                date = datetime.date.fromisoformat(json.loads(line).get("date", "")[:10])
            except (ValueError, AttributeError, json.JSONDecodeError):
                continue  # undated or unreadable: not part of any week
            year, week, _ = date.isocalendar()
            weeks.setdefault(f"{year}-W{week:02d}", []).append(line)
    into.mkdir(parents=True, exist_ok=True)
    for week, rows in weeks.items():
        (into / f"{week}.jsonl").write_text("".join(rows), encoding="utf-8")
    return sorted(weeks)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--fit-weeks", type=int, default=2, help="weeks the model is fitted on")
    ap.add_argument("--weeks", type=int, default=0, help="weeks used in all (0: every week)")
    ap.add_argument("--min-articles", type=int, default=50, help="skip thinner weeks")
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--bin", default=os.environ.get("TIDINGS_BIN") or shutil.which("tidings"))
    args = ap.parse_args()
    if not args.bin:
        sys.exit("no tidings binary: give --bin or set TIDINGS_BIN")

    def tidings(*argv: str) -> None:
        subprocess.run([args.bin, *argv], check=True)

    weeks_dir = args.out / "input"
    weeks = split_by_week(args.input, weeks_dir)
    weeks = [w for w in weeks if sum(1 for _ in open(weeks_dir / f"{w}.jsonl")) >= args.min_articles]
    if args.weeks:
        weeks = weeks[: args.weeks]
    if len(weeks) <= args.fit_weeks:
        sys.exit(f"{len(weeks)} weeks of at least {args.min_articles} articles: too few to update")
    model = args.out / "themes.model"
    fit, later = weeks[: args.fit_weeks], weeks[args.fit_weeks :]
    runs = [args.out / "fit"]
    print(f"fit on {', '.join(fit)}", flush=True)
    tidings("fit", *[str(weeks_dir / f"{w}.jsonl") for w in fit], "--k", str(args.k),
            "--model", str(model), "--out", str(runs[0]), "--quiet")
    for week in later:
        runs.append(args.out / week)
        print(f"update with {week}", flush=True)
        tidings("update", "--model", str(model), str(weeks_dir / f"{week}.jsonl"),
                "--out", str(runs[-1]), "--quiet")
    tidings("timeline", *map(str, runs), "--out", str(args.out / "timeline"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
