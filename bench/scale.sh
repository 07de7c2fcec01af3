#!/usr/bin/env bash
# Scale table on full-length articles (issue 14): tidings against the scikit-learn reference
# (bench/reference.py) at each size, in the same run on the same machine, k = 20.
#
#   bash bench/scale.sh [SIZE...]        # default: 10000 100000 200000 1000000
#   SYNDICATION=1 bash bench/scale.sh    # the same sizes with heavy syndication (every story
#                                        # reworded again and again, Zipf copies up to 1,000)
#
# Corpora come from `bench/gen_corpus.py --chars 2200` (about 2,200 characters and 380 words
# an article, 20% rewritten near-copies) and are kept in $SCALE_DIR (default
# /tmp/tidings-scale; 1M rows take 2.4 GB and 6 minutes to make). The reference runs up to
# $REF_MAX articles (default 200000; it takes minutes per 100k). The two take turns
# (bench/paired.sh): from 50,000 up tidings runs before and after one reference run (its
# time the mean of the two), below that t r t r t r t, each side's median.
# Prints a Markdown table: wall seconds and peak memory of each, and their ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 200000 1000000)
dir="${SCALE_DIR:-/tmp/tidings-scale}"
ref_max="${REF_MAX:-200000}"
venv="${BENCH_VENV:-bench/.venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidings-target}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r bench/requirements.txt
fi
cargo build --release -q
tidings="$CARGO_TARGET_DIR/release/tidings"
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. bench/paired.sh

echo "| articles | tidings (s, peak MiB) | reference (s, peak MiB) | speed ratio | memory ratio |"
echo "|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  if [ -n "${SYNDICATION:-}" ]; then
    corpus="$dir/synd-$n.jsonl"
    [ -s "$corpus" ] || python3 bench/gen_corpus.py -n "$n" --chars 2200 --syndication -o "$corpus"
  else
    corpus="$dir/long-$n.jsonl"
    [ -s "$corpus" ] || python3 bench/gen_corpus.py -n "$n" --chars 2200 -o "$corpus"
  fi
  rounds=1; [ "$n" -lt 50000 ] && rounds=3
  if [ "$n" -le "$ref_max" ]; then
    read -r ts tm rs rm < <(paired "$rounds" "$corpus" 20)
    awk -v n="$n" -v ts="$ts" -v tm="$tm" -v rs="$rs" -v rm="$rm" 'BEGIN {
      printf "| %d | %s s, %s | %s s, %s | %.1fx | %.2fx |\n", n, ts, tm, rs, rm, rs / ts, tm / rm }'
  else
    /usr/bin/time -f "%e %M" -o "$work/time" "$tidings" run "$corpus" --k 20 --out "$work/t" --quiet
    read -r ts tm < "$work/time"
    echo "| $n | $ts s, $((tm / 1024)) | (not run) | | |"
  fi
done
