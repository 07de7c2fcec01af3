"""tidings.spark.duplicates against `tidings run` on the same corpus: the same copies, and
how long Spark takes (local[N]) beside the CLI's de-duplication stage.

    python bench/spark_duplicates.py CORPUS.jsonl CLI_OUT [--master local[2]]

CLI_OUT is the folder of `tidings run CORPUS` (its duplicates.parquet). The corpus is read
with a `line` column (its line number), the input order both use.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import pyarrow.parquet as pq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("cli_out")
    ap.add_argument("--master", default="local[2]")
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    import tidings.spark as ts

    spark = (SparkSession.builder.master(args.master).appName("tidings-duplicates")
             .config("spark.driver.memory", "4g").config("spark.ui.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        lined = os.path.join(tmp, "lined.jsonl")
        with open(args.corpus) as f, open(lined, "w") as out:
            for n, line in enumerate(f, start=1):
                if line.strip():
                    out.write(json.dumps(dict(json.loads(line), line=n)) + "\n")
        df = spark.read.json(lined)
        rows = df.count()
        started = time.perf_counter()
        marked = ts.duplicates(df, order="line")
        found = {r["id"]: (r["duplicate_of"], r["kind"]) for r in
                 marked.filter("duplicate_of IS NOT NULL").select("id", "duplicate_of", "kind")
                 .collect()}
        seconds = time.perf_counter() - started
    cli = {r["article_id"]: (r["duplicate_of"], r["kind"])
           for r in pq.read_table(os.path.join(args.cli_out, "duplicates.parquet"),
                                  columns=["article_id", "duplicate_of", "kind"]).to_pylist()}
    same = sum(1 for i, v in found.items() if cli.get(i) == v)
    print(f"{rows} rows, {args.master}: Spark found {len(found)} copies in {seconds:.1f} s; "
          f"the CLI {len(cli)}; the same copy of the same article: {same}; "
          f"only Spark: {len(set(found) - set(cli))}, only the CLI: {len(set(cli) - set(found))}")
    spark.stop()


if __name__ == "__main__":
    main()
