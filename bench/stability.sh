#!/usr/bin/env bash
# How much the seed decides the themes (issue 38's targets): seeds 1..SEEDS of tidings and of
# the scikit-learn reference on the bundled sample (k = 8), R8 (k = 8) and all of Reuters
# (k = 20). Prints a Markdown table (NMI against the labels, pairwise ARI between seeds,
# median time of a run) and keeps the raw lines in bench/results/stability-<UTC time>.jsonl.
#
#   bash bench/stability.sh [REUTERS] [SEEDS]
#
# REUTERS defaults to ../shared/data/reuters21578.jsonl.gz, SEEDS to 20 (about 20 minutes,
# most of it the reference on all of Reuters). REFERENCE=0 runs tidings alone (3 minutes), for
# a change to tidings measured against the reference's earlier lines.
set -euo pipefail
cd "$(dirname "$0")/.."
reuters="${1:-../shared/data/reuters21578.jsonl.gz}"
seeds="${2:-20}"
venv="${BENCH_VENV:-bench/.venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidings-target}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import sklearn, pyarrow" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r bench/requirements.txt pyarrow
fi
cargo build --release -q
tidings="$CARGO_TARGET_DIR/release/tidings"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" bench/r8.py "$reuters" "$work/r8.jsonl"
mkdir -p bench/results
results="bench/results/stability-$(date -u +%Y-%m-%dT%H%M).jsonl"
skip=()
[ "${REFERENCE:-1}" = 0 ] && skip=(--skip-reference)
run() { "$venv/bin/python" bench/stability.py "$@" --seeds "$seeds" --tidings "$tidings" "${skip[@]}" | tee -a "$results"; }
run data/sample/reuters-sample.jsonl 8 --name sample
run "$work/r8.jsonl" 8 --name R8
run "$reuters" 20 --name Reuters
echo
echo "| corpus | k | pipeline | NMI min / median | pairwise ARI min / median | seconds a run (median) |"
echo "|---|---:|---|---|---|---:|"
"$venv/bin/python" - "$results" <<'PY'
import json, sys
for r in map(json.loads, open(sys.argv[1])):
    nmi = f"{r['nmi_min']:.3f} / {r['nmi_median']:.3f}" if "nmi_min" in r else "–"
    print(f"| {r['corpus']} | {r['k']} | {r['tool']} | {nmi} | {r['ari_min']:.3f} / {r['ari_median']:.3f} | {r['seconds_median']:.2f} |")
PY
echo
echo "raw: $results"
