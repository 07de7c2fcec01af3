#!/usr/bin/env bash
# What stories add to a run: this checkout built as it is and with its story pass skipped
# (bench/no-stories.patch: no story is found, named, written or charted, and no article's
# lead columns are kept for it), run on one corpus taking turns in both orders (with,
# without, without, with, ...), since this machine charges a run for pages the run before it
# has just returned.
#
#   bash bench/stories_cost.sh CORPUS [PAIRS] [TIDINGS FLAGS...]
#
# PAIRS defaults to 2, the flags to `--k 20`. Prints each run (wall seconds, peak KiB and the
# stage log's themes, story pass, stories and write lines), then the medians of each side and
# what the stories add. The second build is made in a temporary git worktree, so the checkout
# is not touched, into a target directory of its own beside the usual one.
set -euo pipefail
usage="usage: stories_cost.sh CORPUS [PAIRS] [FLAGS...]"
corpus=$(realpath -- "${1:?$usage}")
pairs=${2:-2}
[[ $pairs =~ ^[1-9][0-9]*$ ]] || { echo "PAIRS must be a whole number above 0; $usage" >&2; exit 2; }
cd "$(dirname "$0")/.."
shift $(($# < 2 ? $# : 2))
flags=("$@")
[ ${#flags[@]} -gt 0 ] || flags=(--k 20)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidings-target}"

work=$(mktemp -d)
cleanup() {
  git worktree remove --force "$work/tree" > /dev/null 2>&1 || true
  rm -rf "$work"
  git worktree prune
}
trap cleanup EXIT

cargo build --release -q
cp "$CARGO_TARGET_DIR/release/tidings" "$work/with"
git worktree add -q --detach "$work/tree" HEAD
# Uncommitted changes to tracked files count as the checkout's: carry them into the worktree
# first (new files are not carried; commit or add them).
if [ -n "$(git ls-files --others --exclude-standard src)" ]; then
  echo "warning: untracked files under src/ are not in the build without stories" >&2
fi
git diff --binary --no-color --no-ext-diff --no-textconv --src-prefix=a/ --dst-prefix=b/ HEAD |
  git -C "$work/tree" apply --allow-empty
git -C "$work/tree" apply "$PWD/bench/no-stories.patch"
# A target directory of its own: cargo names a package's artifacts without its path, so the
# two checkouts would overwrite each other's in one (and the checkout's binary would be left
# without stories). The first run compiles every dependency there once.
without_target="$CARGO_TARGET_DIR-no-stories"
CARGO_TARGET_DIR="$without_target" cargo build --release -q --manifest-path "$work/tree/Cargo.toml"
cp "$without_target/release/tidings" "$work/without"

one() { # side: appends "seconds KiB" to the side's list and prints the run
  local side=$1
  rm -rf "$work/out"
  /usr/bin/time -f "%e %M" -o "$work/time" "$work/$side" run "$corpus" "${flags[@]}" \
    --out "$work/out" 2> "$work/err" > /dev/null || { cat "$work/err" >&2; exit 1; }
  cat "$work/time" >> "$work/$side.runs"
  printf '%-8s %s s %s KiB  %s\n' "$side" $(cat "$work/time") \
    "$(grep -E '\] (themes|story pass|stories|write):' "$work/err" |
      sed -E 's/^\[ *([0-9.]+s)\] ([a-z ]+):.*/\2 \1,/' | tr '\n' ' ')"
}
for ((i = 0; i < pairs; i++)); do
  if ((i % 2 == 0)); then one with; one without; else one without; one with; fi
done
median() { # side, column
  cut -d' ' -f"$2" "$work/$1.runs" | LC_ALL=C sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
awk -v w="$(median with 1)" -v o="$(median without 1)" \
  -v wm="$(median with 2)" -v om="$(median without 2)" 'BEGIN {
  printf "medians: with stories %.2f s, %.0f MiB; without %.2f s, %.0f MiB\n", w, wm / 1024, o, om / 1024
  printf "stories add %.2f s (%.0f%%) and %.0f MiB (%.1f%%)\n", w - o, 100 * (w - o) / o, (wm - om) / 1024, 100 * (wm - om) / om
}'
