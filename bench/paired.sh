# Sourced by compare.sh and scale.sh: times tidings and the scikit-learn reference on one
# corpus, taking turns, so that both sides sample the same moments of a shared machine,
# whose speed drifts by 10-30% over minutes (measured one after the other, the ratio moved
# by 1x between identical runs).
#
#   paired ROUNDS CORPUS K   ->   "tidings_s tidings_MiB reference_s reference_MiB"
#
# Runs tidings, then ROUNDS times the reference followed by tidings again (t r t ... r t), so
# every reference run sits between two of tidings'; each side's time and memory is the
# median of its runs (with an even count, the mean of the middle two). Needs $work, $tidings
# and $venv.
paired() {
  local rounds=$1 corpus=$2 k=$3 i
  : > "$work/paired-t"
  : > "$work/paired-r"
  one() { # side, command...: appends "seconds KiB" of one run to that side's list
    local side=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" \
      || { cat "$work/err" >&2; exit 1; }
    cat "$work/time" >> "$work/paired-$side"
  }
  one t "$tidings" run "$corpus" --k "$k" --out "$work/t" --quiet
  for ((i = 0; i < rounds; i++)); do
    one r "$venv/bin/python" bench/reference.py "$corpus" --k "$k"
    one t "$tidings" run "$corpus" --k "$k" --out "$work/t" --quiet
  done
  median() { # column of a side's list
    cut -d' ' -f"$2" "$work/paired-$1" | sort -n |
      awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
  }
  awk -v ts="$(median t 1)" -v tm="$(median t 2)" -v rs="$(median r 1)" -v rm="$(median r 2)" \
    'BEGIN { printf "%.2f %.0f %.2f %.0f\n", ts, tm / 1024, rs, rm / 1024 }'
}
