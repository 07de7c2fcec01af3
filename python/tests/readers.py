"""Every Parquet table of a run, read as analysts read it: pandas (pyarrow), polars, DuckDB.

usage: python python/tests/readers.py REPORTS_DIR  (run by .ci/run on a fresh run's output)

A folder `articles/` of Parquet files partitioned by period (the Spark example's output) is
read as a dataset by all three, with `period` from the folder names.

Catches what a Rust-side reader cannot: a type the current Python readers refuse (pandas 3
could not convert a list of polars' `string_view` strings), and a table the three readers
see differently.
"""
import glob
import os
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq


def main():
    out = sys.argv[1]
    files = sorted(glob.glob(os.path.join(out, "*.parquet")))
    partitioned = os.path.join(out, "articles")
    if os.path.isdir(partitioned):
        read_partitioned(partitioned)
        if not files:
            return
    assert files, f"no Parquet tables in {out}"
    for path in files:
        schema = pq.read_schema(path)
        views = [f.name for f in schema if "view" in str(f.type)]
        assert not views, f"{path}: view types {views} (older readers cannot read them)"
        frame = pd.read_parquet(path)
        lazy = pl.read_parquet(path)
        rows = duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]
        assert len(frame) == lazy.height == rows, f"{path}: {len(frame)}, {lazy.height}, {rows} rows"
        assert list(frame.columns) == lazy.columns, path
        print(f"{os.path.basename(path)}: {rows} rows, {len(frame.columns)} columns, read by "
              f"pandas {pd.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__}")
    if not os.path.exists(os.path.join(out, "themes.parquet")):
        return  # a timeline's folder: its table was read above
    themes = pd.read_parquet(os.path.join(out, "themes.parquet"))
    assert {"name", "label", "top_terms"} <= set(themes.columns), themes.columns
    assert themes["name"].map(lambda n: isinstance(n, str) and n != "").all(), themes["name"]
    assert themes["top_terms"].map(lambda t: all(isinstance(x, str) for x in t)).all()
    if not os.path.exists(os.path.join(out, "articles.parquet")):
        return  # a report from aggregated counts (tidings.spark.report): no articles table
    articles = pd.read_parquet(os.path.join(out, "articles.parquet"))
    named = articles.merge(themes[["theme_id", "name"]], on="theme_id")
    assert (named["theme_label"] == named["name"]).all(), "theme_label is the theme's name"
    joined = duckdb.sql(
        f"select t.name, count(*) as n from read_parquet('{out}/articles.parquet') a "
        f"join read_parquet('{out}/themes.parquet') t using (theme_id) group by t.name"
    ).fetchall()
    assert sum(n for _, n in joined) == len(articles)
    # Every article is in one story, and each story's size is its articles.
    stories = pl.read_parquet(os.path.join(out, "stories.parquet"))
    assert stories["story_id"].n_unique() == stories.height, "one row per story"
    sizes = duckdb.sql(
        f"select s.story_id, s.articles, count(*) as n from read_parquet('{out}/articles.parquet') a "
        f"join read_parquet('{out}/stories.parquet') s using (story_id) "
        f"group by s.story_id, s.articles"
    ).fetchall()
    assert sum(n for _, _, n in sizes) == len(articles)
    assert all(size == n for _, size, n in sizes), "stories.articles counts its articles"
    per_day = stories.with_columns(pl.col("per_day").list.sum().alias("dated"))
    assert (per_day["dated"] <= per_day["articles"]).all()
    # An update's history: each story row is a story of this run, with its articles.
    history = os.path.join(out, "history.parquet")
    if os.path.exists(history):
        mismatched = duckdb.sql(
            f"select h.id from read_parquet('{history}') h "
            f"left join read_parquet('{out}/stories.parquet') s on h.id = s.story_id "
            f"where h.level = 'story' and (s.story_id is null or s.articles <> h.articles)"
        ).fetchall()
        assert not mismatched, f"history rows without their story: {mismatched[:5]}"


def read_partitioned(folder):
    """A dataset partitioned by period (`period=1987-W10/part-*.parquet`)."""
    pattern = os.path.join(folder, "*", "*.parquet")
    frame = pd.read_parquet(folder)
    lazy = pl.read_parquet(pattern, hive_partitioning=True)
    periods = duckdb.sql(
        f"select period, count(*) from read_parquet('{pattern}', hive_partitioning = true) "
        "group by period order by period"
    ).fetchall()
    rows = sum(n for _, n in periods)
    assert len(frame) == lazy.height == rows, f"{folder}: {len(frame)}, {lazy.height}, {rows}"
    assert {"theme_id", "theme_name", "period"} <= set(frame.columns), frame.columns
    assert sorted(map(str, frame["period"].unique())) == [p for p, _ in periods]
    print(f"articles/: {rows} rows in {len(periods)} period partitions, read by pandas, polars "
          "and duckdb")


if __name__ == "__main__":
    main()
