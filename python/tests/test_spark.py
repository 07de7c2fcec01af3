"""tidings.spark on a real local Spark (two executor threads, real shuffles) against the CLI
on the same articles: same model, same articles, same theme ids and counts.

Needs pyspark (pinned in notebooks/requirements.txt) and Java 17.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tidings
import tidings.spark as ts
from test_api import ROOT, SAMPLE_FILE, cli_binary

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
# PySpark 4.3 warns about pandas 3 on import; nothing here goes through its pandas path.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("tidings-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def sample_df(spark):
    # Three partitions, so that counting and assigning really happen in parts.
    return spark.read.json(str(SAMPLE_FILE)).repartition(3)


@pytest.fixture(scope="module")
def fitted(sample_df):
    return ts.fit(sample_df, k=6, seed=7)


def test_spark_assigns_and_counts_as_the_cli(spark, sample_df, fitted, tmp_path):
    model_path = tmp_path / "m.tidings"
    fitted.save(model_path)
    out = tmp_path / "cli"
    subprocess.run(
        [cli_binary(), "run", str(SAMPLE_FILE), "--model", str(model_path), "--keep-duplicates",
         "--max-distance", "0.8", "--out", str(out), "--quiet"],
        check=True, cwd=ROOT,
    )
    assigned = ts.assign(sample_df, tidings.Model.load(model_path), max_distance=0.8)
    got = {r["id"]: (r["theme_id"], r["theme_name"], r["unassigned"])
           for r in assigned.select("id", "theme_id", "theme_name", "unassigned").collect()}
    cli = pq.read_table(out / "articles.parquet").to_pylist()
    assert len(got) == len(cli) == 599
    unassigned_id = fitted.unassigned_id
    for row in cli:
        theme_id, name, unassigned = got[row["article_id"]]
        assert theme_id == row["theme_id"], row["article_id"]
        assert name == row["theme_label"]
        assert unassigned == (theme_id == unassigned_id)
    assert 0 < sum(u for _, _, u in got.values()) < 599  # both kinds are checked
    # Assigned again with the model's own threshold: the columns are replaced, not doubled.
    again = ts.assign(assigned, fitted)
    assert again.columns.count("theme_id") == 1
    assert again.count() == 599

    counts = ts.theme_counts(assigned, "week", model=fitted).toArrow()
    expected = pq.read_table(out / "theme_counts.parquet")
    cols = ["period", "period_start", "theme_id", "theme_label", "count"]
    assert counts.select(cols).to_pylist() == expected.select(cols).to_pylist()
    assert counts.column("share").to_pylist() == pytest.approx(
        expected.column("share").to_pylist())


def test_the_report_from_spark_counts(sample_df, fitted, tmp_path):
    import pandas as pd

    counts = ts.theme_counts(ts.assign(sample_df, fitted), "month")
    files = ts.report(counts, fitted, tmp_path / "report", source="sample")
    names = sorted(Path(f).name for f in files)
    assert names == ["index.html", "summary.md", "theme_counts.parquet", "theme_frequency.png",
                     "theme_trends.png", "themes.parquet"]
    themes = pd.read_parquet(tmp_path / "report" / "themes.parquet")
    assert themes["size"].sum() == 599
    assert list(themes["name"][:6]) == fitted.names
    assert pd.read_parquet(tmp_path / "report" / "theme_counts.parquet")["period"].iloc[0] == "1987-03"
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert "599 articles assigned" in summary and "per month" in summary


def test_a_sample_fit_sees_the_whole_corpus_vocabulary(sample_df, fitted):
    small = ts.fit(sample_df, k=6, sample=300, seed=7)
    # LSA and k-means saw about half the rows ...
    fit_rows = int(small.result.accounting.split()[0])
    assert 200 < fit_rows < 400, small.result.accounting
    # ... and every row is assigned to its themes.
    ids = [r["theme_id"] for r in ts.assign(sample_df, small).select("theme_id").collect()]
    assert len(ids) == 599 and None not in ids


def test_rows_that_are_no_article_are_rejected_with_a_reason(spark, fitted):
    df = spark.createDataFrame(
        [("a", "Coffee export quotas were discussed by the ICO executive board in London.",
          "1987-03-02"),
         ("b", "", "1987-03-02"),
         ("c", "the and of", None),
         ("d", "Sugar tender: the EC granted export rebates on white sugar.", "not a date")],
        "id string, body string, date string",
    )
    rows = {r["id"]: r for r in ts.assign(df, fitted, text_field="body").collect()}
    assert rows["a"]["theme_id"] is not None and rows["a"]["reject_reason"] is None
    assert str(rows["a"]["article_date"]) == "1987-03-02"
    assert rows["b"]["theme_id"] is None and "empty" in rows["b"]["reject_reason"]
    assert rows["c"]["theme_id"] is None and "vocabulary" in rows["c"]["reject_reason"]
    assert rows["d"]["theme_id"] is not None and rows["d"]["article_date"] is None
    counts = ts.theme_counts(ts.assign(df, fitted, text_field="body")).toArrow()
    assert sum(counts.column("count").to_pylist()) == 2
    assert "undated" in counts.column("period").to_pylist()


def test_a_missing_text_column_is_named(sample_df, fitted):
    with pytest.raises(tidings.TidingsError, match="no text column 'body'"):
        ts.assign(sample_df, fitted, text_field="body")


def _with_copies(path: Path) -> Path:
    """The sample with near-copies (a word changed) and exact copies of some articles placed
    further on, and a line number per row: copies that Spark's partitions split apart."""
    import json

    rows = [json.loads(line) for line in SAMPLE_FILE.read_text().splitlines() if line.strip()]
    out = list(rows)
    for n, i in enumerate(range(0, len(rows), 37)):
        copy = dict(rows[i], id=f"copy-{n}")
        words = copy["text"].split(" ")
        if n % 3:  # a near-copy: one word changed in a long text
            words[len(words) // 2] = "amended"
        copy["text"] = " ".join(words)
        out.insert(min(len(out), i + 200 + n), copy)
    with path.open("w") as f:
        for line, row in enumerate(out, start=1):
            f.write(json.dumps(dict(row, line=line)) + "\n")
    return path


def test_spark_finds_the_copies_the_cli_sets_aside_across_partitions(spark, fitted, tmp_path):
    corpus = _with_copies(tmp_path / "copies.jsonl")
    out = tmp_path / "cli"
    model_path = tmp_path / "m.tidings"
    fitted.save(model_path)
    subprocess.run([cli_binary(), "run", str(corpus), "--model", str(model_path),
                    "--max-distance", "0.8", "--out", str(out), "--quiet"],
                   check=True, cwd=ROOT)
    cli = {r["article_id"]: r for r in pq.read_table(out / "duplicates.parquet").to_pylist()}
    assert len(cli) > 20 and {r["kind"] for r in cli.values()} == {"exact", "near"}

    df = spark.read.json(str(corpus)).repartition(4)
    marked = ts.duplicates(df, order="line")
    rows = {r["id"]: r for r in marked.collect()}
    assert len(rows) == marked.count() == 599 + 17
    copies = {i: r for i, r in rows.items() if r["duplicate_of"] is not None}
    assert set(copies) == set(cli)
    for i, r in copies.items():
        assert r["duplicate_of"] == cli[i]["duplicate_of"], i
        assert r["kind"] == cli[i]["kind"]
        assert r["similarity"] == pytest.approx(cli[i]["similarity"])
        assert r["times_seen"] == 0
    seen = {r["article_id"]: r["times_seen"]
            for r in pq.read_table(out / "articles.parquet").to_pylist()}
    assert {i: r["times_seen"] for i, r in rows.items() if i not in copies} == seen

    # Without an order column, the order Spark reads one file in: the file's.
    unordered = ts.duplicates(spark.read.json(str(corpus)).coalesce(1))
    assert {r["id"]: r["duplicate_of"] for r in unordered.collect() if r["kind"]} == \
        {i: r["duplicate_of"] for i, r in cli.items()}

    # Counted as the CLI counts: copies left out.
    counts = ts.theme_counts(ts.assign(marked, fitted, max_distance=0.8), "week",
                             model=fitted).toArrow()
    expected = pq.read_table(out / "theme_counts.parquet")
    cols = ["period", "period_start", "theme_id", "count"]
    assert counts.select(cols).to_pylist() == expected.select(cols).to_pylist()


def test_a_bad_duplicate_threshold_order_or_option_is_refused(sample_df):
    with pytest.raises(tidings.SettingsError, match="duplicate_threshold"):
        ts.duplicates(sample_df, threshold=1.5)
    with pytest.raises(tidings.TidingsError, match="no order column 'line'"):
        ts.duplicates(sample_df, order="line")
    with pytest.raises(tidings.SettingsError, match="no option k"):
        ts.duplicates(sample_df, k=5)


def test_a_copy_of_an_article_without_id_is_marked_and_not_counted(spark, fitted):
    text = ("Coffee export quotas were discussed by the ICO executive board in London on "
            "Monday, and producers said they would meet again in April to set new quotas.")
    df = spark.createDataFrame(
        [(None, text, 1), ("b", text, 2), ("c", "Sugar rebates were granted by the EC.", 3)],
        "id string, text string, line long")
    rows = {r["line"]: r for r in ts.duplicates(df, order="line").collect()}
    assert rows[2]["kind"] == "exact" and rows[2]["duplicate_of"] is not None
    assert [rows[i]["times_seen"] for i in (1, 2, 3)] == [2, 0, 1]
    counts = ts.theme_counts(ts.assign(ts.duplicates(df, order="line"), fitted)).toArrow()
    assert sum(counts.column("count").to_pylist()) == 2


def test_the_stories_of_a_window_are_the_cli_stories_of_its_rows(spark, fitted, tmp_path):
    corpus = _with_copies(tmp_path / "copies.jsonl")
    model_path = tmp_path / "m.tidings"
    fitted.save(model_path)
    out = tmp_path / "cli"
    subprocess.run([cli_binary(), "run", str(corpus), "--model", str(model_path),
                    "--out", str(out), "--quiet"], check=True, cwd=ROOT)
    assigned = ts.assign(spark.read.json(str(corpus)).repartition(3), fitted)
    result = ts.stories(assigned, fitted, order="line")

    def grouped(articles):
        groups = {}
        for r in articles.select(["article_id", "story_id"]).to_pylist():
            groups.setdefault(r["story_id"], set()).add(r["article_id"])
        return sorted(sorted(g) for g in groups.values())

    assert grouped(result.articles) == grouped(pq.read_table(out / "articles.parquet"))
    cli = pq.read_table(out / "stories.parquet")
    cols = ["name", "articles", "copies", "first_date", "last_date"]
    key = lambda r: (r["first_date"], r["name"])  # noqa: E731
    assert sorted(result.stories.select(cols).to_pylist(), key=key) == \
        sorted(cli.select(cols).to_pylist(), key=key)
    assert any(r["articles"] > 1 for r in cli.select(["articles"]).to_pylist())

    # One week: only its dated rows reach the driver.
    week = ts.stories(assigned, fitted, start="1987-03-02", end="1987-03-08", order="line")
    dates = week.articles.column("date").to_pylist()
    assert dates and all(str(d) >= "1987-03-02" and str(d) <= "1987-03-08" for d in dates)
    with pytest.raises(tidings.TidingsError, match="more than max_rows=10"):
        ts.stories(assigned, fitted, max_rows=10)
