#!/usr/bin/env bash
# Side-by-side benchmark: tidings against the scikit-learn reference pipeline
# (bench/reference.py), in the same run on the same machine.
#
#   bash bench/compare.sh [CORPUS] [SEEDS]
#
# CORPUS defaults to ../shared/data/reuters21578.jsonl.gz. Prints, for the full corpus (k=8
# and k=20):
# wall time and peak memory of each and their ratio; then for R8 (the eight largest
# single-topic classes, k=8): NMI and ARI of each over SEEDS seeds (default 5).
# With TIDINGS_BASE=/path/to/an/older/tidings, it first times that binary against this one on
# the full corpus at k=20, interleaved, median of 5 each: what a change costs end to end
# (naming, issue 11: at most 10%). Build the older one in its own target directory, e.g.
#   git worktree add /tmp/base COMMIT && CARGO_TARGET_DIR=/tmp/base-target cargo build
#   --release --manifest-path /tmp/base/Cargo.toml
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-../shared/data/reuters21578.jsonl.gz}"
seeds="${2:-5}"
venv="${BENCH_VENV:-bench/.venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidings-target}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r bench/requirements.txt
fi
cargo build --release -q
tidings="$CARGO_TARGET_DIR/release/tidings"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# R8: single-topic articles of the eight largest classes.
"$venv/bin/python" bench/r8.py "$corpus" "$work/r8.jsonl"

. bench/paired.sh

if [ -n "${TIDINGS_BASE:-}" ]; then
  echo "## This build against $TIDINGS_BASE: $corpus, k=20, interleaved, median of 5 each"
  for run in 1 2 3 4 5; do
    for side in base this; do
      bin=$tidings; [ "$side" = base ] && bin=$TIDINGS_BASE
      /usr/bin/time -f "$side %e" -a -o "$work/versus" "$bin" run "$corpus" --k 20 --out "$work/v" --quiet
    done
  done
  awk '{ t[$1] = t[$1] " " $2 } END { for (s in t) print s, t[s] }' "$work/versus" |
    while read -r side times; do
      echo "$side $(echo "$times" | tr ' ' '\n' | sort -n | sed -n 3p)"
    done | sort > "$work/medians"
  cat "$work/medians"
  awk '{ m[$1] = $2 } END { printf "this build takes %.3fx the base time\n\n", m["this"] / m["base"] }' "$work/medians"
fi

for k in 8 20; do
  echo "## Speed: $corpus, k=$k, taking turns (t r t r t r t), median of each side's runs (both end to end: read, vectorize, reduce, cluster; tidings also de-duplicates and writes its tables and charts)"
  read -r ts tm rs rm < <(paired 3 "$corpus" "$k")
  echo "| pipeline | wall (s) | peak memory (MiB) |"
  echo "|---|---:|---:|"
  echo "| tidings run --k $k | $ts | $tm |"
  echo "| scikit-learn reference | $rs | $rm |"
  awk -v t="$ts" -v r="$rs" -v tm="$tm" -v rm="$rm" -v k="$k" \
    'BEGIN { printf "\nk=%s: tidings is %.2fx the speed of the reference, with %.2fx its memory\n\n", k, r / t, tm / rm }'
done

echo
echo "## Quality: R8 ($(wc -l < "$work/r8.jsonl") articles), k=8, seeds 1..$seeds"
echo "| seed | tidings NMI | tidings ARI | reference NMI | reference ARI |"
echo "|---:|---:|---:|---:|---:|"
for seed in $(seq 1 "$seeds"); do
  "$tidings" run "$work/r8.jsonl" --k 8 --seed "$seed" --label-field label --keep-duplicates \
    --out "$work/r8-$seed" --quiet
  tn=$(grep -A4 "Against the labels" "$work/r8-$seed/summary.md" | tail -1 | awk -F'|' '{print $2, $3}')
  rn=$("$venv/bin/python" bench/reference.py "$work/r8.jsonl" --k 8 --seed "$seed" --label-field label \
    | "$venv/bin/python" -c "import json,sys; d=json.load(sys.stdin); print(f\"{d['nmi']:.3f} {d['ari']:.3f}\")")
  read -r tnmi tari <<< "$tn"
  read -r rnmi rari <<< "$rn"
  echo "| $seed | $tnmi | $tari | $rnmi | $rari |"
  echo "$tnmi $rnmi" >> "$work/nmi"
done
awk '{t += $1; r += $2; tt += $1*$1; rr += $2*$2; n++}
  END { printf "\nmean NMI: tidings %.3f (sd %.3f), reference %.3f (sd %.3f)\n",
        t/n, sqrt(tt/n - (t/n)^2), r/n, sqrt(rr/n - (r/n)^2) }' "$work/nmi"
