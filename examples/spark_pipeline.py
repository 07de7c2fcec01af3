"""tidings on Apache Spark, end to end: fit themes (document frequencies over the whole
corpus, LSA and k-means on a sample), assign every article per partition, count themes per
period, and write the report and Parquet tables.

    python examples/spark_pipeline.py                         # data/sample -> reports/spark
    python examples/spark_pipeline.py archive/ out/ --k 20 --sample 200000 --master local[8]
    python examples/spark_pipeline.py --copies --stories 1987-03-02 1987-03-08

Input: Parquet or JSON Lines files (or folders of them) with a ``text`` column and optionally
``title``, ``date`` and ``id``. Output in OUT:

    model.tidings            the fitted model (usable with `tidings run --model`)
    articles/period=.../     each article with theme_id, theme_name, distance, unassigned
                             (Parquet, partitioned by period)
    theme_counts.parquet     articles per theme per period, as the CLI writes it
    report/                  themes.parquet, theme_counts.parquet, charts, summary.md,
                             index.html
    stories.parquet          with --stories FROM TO: that window's stories, found on the
                             driver as `tidings run --model` finds them

With --copies, copies are marked across all partitions first (duplicate_of, similarity,
kind, times_seen in articles/) and left out of the counts, as `tidings run` sets them aside;
without, every row counts, as with `--keep-duplicates`.

On a cluster, run it with spark-submit and the tidings wheel installed on every executor
(see docs/python-and-spark.md, "On Apache Spark").
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def read(spark, paths):
    """Parquet or JSON Lines, by the files' extension."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in sorted(names)]
        else:
            files.append(p)
    parquet = [f for f in files if f.endswith(".parquet")]
    jsonl = [f for f in files if f.endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz"))]
    if parquet and jsonl:
        sys.exit("give Parquet or JSON Lines input, not both")
    if parquet:
        return spark.read.parquet(*parquet)
    if jsonl:
        # The schema from a sample of rows, not a pass over all of them.
        return spark.read.option("samplingRatio", 0.001).json(jsonl)
    sys.exit(f"no .parquet or .jsonl files in {', '.join(paths)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", default=["data/sample"])
    ap.add_argument("--out", default="reports/spark")
    ap.add_argument("--k", type=int, default=None, help="themes [chosen by silhouette]")
    ap.add_argument("--sample", type=int, default=200_000, help="rows the fit sees")
    ap.add_argument("--period", default="week", choices=["day", "week", "month"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--master", default=os.environ.get("SPARK_MASTER", "local[2]"))
    ap.add_argument("--partitions", type=int, default=None,
                    help="repartition the input into this many partitions first")
    ap.add_argument("--model", default=None, help="assign to this saved model, do not fit")
    ap.add_argument("--copies", action="store_true",
                    help="mark copies across partitions and leave them out of the counts")
    ap.add_argument("--stories", nargs=2, metavar=("FROM", "TO"), default=None,
                    help="write the stories of the articles dated FROM to TO (YYYY-MM-DD)")
    args = ap.parse_args()

    # Python workers must import tidings: use this interpreter (its venv) for them too.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    import tidings
    import tidings.spark as ts

    spark = (
        SparkSession.builder.master(args.master)
        .appName("tidings")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # The fit's sample is collected to the driver (about 2.5 KB an article).
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "4g"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    os.makedirs(args.out, exist_ok=True)
    df = read(spark, args.inputs)
    if args.partitions:
        df = df.repartition(args.partitions)

    t0 = time.perf_counter()
    if args.model:
        model = tidings.Model.load(args.model)
    else:
        model = ts.fit(df, k=args.k, sample=args.sample, seed=args.seed)
        model.save(os.path.join(args.out, "model.tidings"))
    t_fit = time.perf_counter() - t0

    t0 = time.perf_counter()
    if args.copies:
        df = ts.duplicates(df)
    assigned = ts.with_period(ts.assign(df, model), args.period)
    articles = os.path.join(args.out, "articles")
    assigned.drop("period_start").write.mode("overwrite").partitionBy("period").parquet(articles)
    t_assign = time.perf_counter() - t0

    t0 = time.perf_counter()
    back = spark.read.parquet(articles)
    counts = ts.theme_counts(back, args.period, model=model).toArrow()
    import pyarrow.parquet as pq

    pq.write_table(counts, os.path.join(args.out, "theme_counts.parquet"))
    ts.report(counts, model, os.path.join(args.out, "report"), period=args.period,
              source=", ".join(args.inputs))
    t_count = time.perf_counter() - t0

    if args.stories:
        t0 = time.perf_counter()
        window = ts.stories(back, model, start=args.stories[0], end=args.stories[1])
        pq.write_table(window.stories, os.path.join(args.out, "stories.parquet"))
        multi = sum(1 for n in window.stories.column("articles").to_pylist() if n > 1)
        print(f"stories {args.stories[0]} to {args.stories[1]}: {window.stories.num_rows} "
              f"({multi} of more than one article) in {time.perf_counter() - t0:.1f} s")

    n = back.count()
    cores = spark.sparkContext.defaultParallelism
    if model.timings:
        print("fit: " + ", ".join(f"{k.replace('_', ' ')} {v:.1f} s"
                                  for k, v in model.timings.items()))
    print(f"{n} articles, {model.k} themes, {cores} cores ({args.master}): "
          f"fit {t_fit:.1f} s, assign and write {t_assign:.1f} s "
          f"({n / t_assign / cores:,.0f} articles/s per core), counts and report {t_count:.1f} s")
    print(f"wrote {args.out}/model.tidings, articles/, theme_counts.parquet, report/")
    spark.stop()


if __name__ == "__main__":
    main()
