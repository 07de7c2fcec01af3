#!/usr/bin/env bash
# Label coherence of tidings' top terms on R8 (k=8) against the scikit-learn recipe and
# BERTopic's c-TF-IDF: NPMI (gensim c_npmi, window 10, top 10 terms) and topic diversity.
#
#   bash bench/label_quality.sh [CORPUS] [SEEDS]
#
# Prints, for SEEDS tidings runs (default 4, seeds 1..SEEDS), the three labellings on
# tidings' own clusters (bench/label_quality.py), then ../shared/tools/label_quality.py's
# comparison, where the references label scikit-learn's clusters and tidings its own.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-../shared/data/reuters21578.jsonl.gz}"
seeds="${2:-4}"
venv="${LABELS_VENV:-bench/.venv-labels}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidings-target}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r bench/requirements-labels.txt
fi
cargo build --release -q
tidings="$CARGO_TARGET_DIR/release/tidings"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$venv/bin/python" bench/r8.py "$corpus" "$work/r8.jsonl"
runs=()
for seed in $(seq 1 "$seeds"); do
  "$tidings" run "$work/r8.jsonl" --k 8 --seed "$seed" --keep-duplicates --out "$work/seed-$seed" --quiet
  runs+=("$work/seed-$seed")
done
echo "## Same clusters (tidings', seeds 1..$seeds)"
"$venv/bin/python" bench/label_quality.py "$work/r8.jsonl" 8 "${runs[@]}" 2>/dev/null
echo
echo "## ../shared/tools/label_quality.py (references on scikit-learn's clusters)"
"$venv/bin/python" ../shared/tools/label_quality.py "$work/r8.jsonl" 8 "${runs[@]}" 2>/dev/null
