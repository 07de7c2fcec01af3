#!/usr/bin/env bash
# tidings on Spark against tidings on one machine (issue 15), same articles, same model:
#
#   bash bench/spark.sh [CORPUS.jsonl] [K]     # default: the 1M full-length corpus, k = 20
#
# 1. examples/spark_pipeline.py on local[2]: fit (document frequencies over the corpus by
#    Spark, LSA and k-means on a 200,000-row sample), assign every article per partition,
#    write them partitioned by period, count, report. It prints its own stage times.
# 2. `tidings run --model` (the model Spark fitted, --keep-duplicates as Spark assigns every
#    row) on the same file, timed.
# 3. Both theme_counts tables compared cell by cell, and articles per second per core.
# With COPIES=1 the example marks copies across partitions first (--copies) and the CLI runs
# without --keep-duplicates: both count without the copies.
# Needs a Python with pyspark and the tidings wheel ($PYTHON, default python3) and Java 17;
# $TIDINGS_BIN picks the CLI (default: a release build). CI runs it on the sample.
# The corpus comes from `bench/gen_corpus.py --chars 2200` (see bench/scale.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-${SCALE_DIR:-/tmp/tidings-scale}/long-1000000.jsonl}"
k="${2:-20}"
py="${PYTHON:-python3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidings-target}"
[ -s "$corpus" ] || { echo "no corpus $corpus: make it with bench/gen_corpus.py -n 1000000 --chars 2200 -o $corpus" >&2; exit 1; }
if [ -n "${TIDINGS_BIN:-}" ]; then
  tidings="$TIDINGS_BIN"
else
  cargo build --release -q
  tidings="$CARGO_TARGET_DIR/release/tidings"
fi
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"

spark_copies=(); cli_copies=(--keep-duplicates)
if [ "${COPIES:-0}" = 1 ]; then spark_copies=(--copies); cli_copies=(); fi
/usr/bin/time -f "%e %M" -o "$work/spark.time" \
  "$py" examples/spark_pipeline.py "$corpus" --out "$work/spark" --k "$k" --sample 200000 \
  --master local[2] "${spark_copies[@]}" 2> "$work/spark.err" | tee "$work/spark.out"
/usr/bin/time -f "%e %M" -o "$work/cli.time" \
  "$tidings" run "$corpus" --model "$work/spark/model.tidings" "${cli_copies[@]}" \
  --out "$work/cli" > "$work/cli.out" 2> "$work/cli.err"
grep -E "^\[ *[0-9.]+s\] " "$work/cli.err" || true

"$py" - "$work" <<'PY'
import sys
import pyarrow.parquet as pq
work = sys.argv[1]
spark = pq.read_table(f"{work}/spark/theme_counts.parquet").select(["period", "theme_id", "count"])
cli = pq.read_table(f"{work}/cli/theme_counts.parquet").select(["period", "theme_id", "count"])
same = spark.to_pylist() == cli.to_pylist()
n = sum(cli.column("count").to_pylist())
secs, kib = open(f"{work}/cli.time").read().split()
ssecs, skib = open(f"{work}/spark.time").read().split()
print(f"theme_counts: Spark and CLI {'identical' if same else 'DIFFER'} ({cli.num_rows} cells, {n} articles)")
print(f"tidings run --model: {float(secs):.1f} s, peak {int(kib) // 1024} MiB, "
      f"{n / float(secs) / 2:,.0f} articles/s per core (2 cores)")
print(f"Spark example, whole process: {float(ssecs):.1f} s (driver Python peak {int(skib) // 1024} MiB)")
sys.exit(0 if same else 1)
PY
