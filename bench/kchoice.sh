#!/usr/bin/env bash
# The automatic choice of k over seeds, and after a small change of vocabulary (seven stop
# words more): the chosen k per seed on the sample, all of Reuters and R8, for this build and,
# with TIDINGS_BASE=<an earlier build>, for that one too. Raw lines go to
# bench/results/kchoice-<UTC time>.txt; the table is in docs/stability.md.
#
#   TIDINGS_BASE=/path/to/old/tidings bash bench/kchoice.sh [REUTERS]
set -euo pipefail
cd "$(dirname "$0")/.."
reuters="${1:-../shared/data/reuters21578.jsonl.gz}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidings-target}"
cargo build --release -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/r8.py "$reuters" "$work/r8.jsonl" 2>/dev/null || bench/.venv/bin/python bench/r8.py "$reuters" "$work/r8.jsonl"
sw=(--stop-word said --stop-word would --stop-word also --stop-word year --stop-word pct --stop-word mln --stop-word dlrs)
mkdir -p bench/results
results="bench/results/kchoice-$(date -u +%Y-%m-%dT%H%M).txt"
ks() {  # BIN SEEDS CORPUS [ARGS...]: the chosen k of each seed
  local bin=$1 seeds=$2 corpus=$3; shift 3
  for s in $(seq 1 "$seeds"); do
    "$bin" run "$corpus" --seed "$s" --json --quiet --out "$work/out" "$@" \
      | python3 -c "import json,sys; print(json.load(sys.stdin)['k'], end=' ')"
  done
  echo
}
for bin in "$CARGO_TARGET_DIR/release/tidings" ${TIDINGS_BASE:+"$TIDINGS_BASE"}; do
  {
    echo "# $bin"
    echo -n "sample: "; ks "$bin" 10 data/sample
    echo -n "sample + 7 stop words: "; ks "$bin" 10 data/sample "${sw[@]}"
    echo -n "Reuters: "; ks "$bin" 6 "$reuters"
    echo -n "Reuters + 7 stop words: "; ks "$bin" 6 "$reuters" "${sw[@]}"
    echo -n "R8: "; ks "$bin" 6 "$work/r8.jsonl"
  } | tee -a "$results"
done
echo "raw: $results"
