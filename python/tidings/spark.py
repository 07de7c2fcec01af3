"""tidings on Apache Spark, for corpora no one machine holds::

    import tidings.spark as ts
    df = spark.read.parquet("archive/")        # a text column; title, date, id optional
    model = ts.fit(df, k=20, sample=200_000)   # document frequencies over all of df,
                                               # LSA and k-means on a uniform sample
    assigned = ts.assign(df, model)            # df + theme_id, theme_name, distance, ...
    counts = ts.theme_counts(assigned, period="week")
    ts.report(counts, model, "reports/spark")  # the run's charts, summary.md, index.html

Every article is assigned by the same code as ``tidings run --model`` (the wheel's engine,
called on each Arrow batch through ``mapInArrow``; the model is broadcast once and loaded once
per Python worker), so the same model and the same articles give the same theme ids on Spark
and on one machine. What runs where:

- ``fit``: each executor counts the terms of its partitions (Rust, per Arrow batch) and Spark
  sums them, so document frequencies and IDF weights are the whole corpus's; the driver then
  fits LSA and k-means on a uniform sample collected to it (``sample`` rows; at the default
  200,000 a fit takes about a minute on one core and a few GiB, and on Reuters a model fitted
  on a quarter of the corpus assigns like a full fit, see docs/python-and-spark.md). Near-duplicates are
  set aside within the sample only.
- ``duplicates``: the copies ``tidings run`` would set aside, found across partitions (band
  keys grouped by Spark); :func:`theme_counts` then leaves them out.
- ``assign``: per partition, no shuffle; every row gets a theme (as ``tidings run --model
  --keep-duplicates`` gives it), copies too: mark them first with :func:`duplicates`.
- ``theme_counts``: a Spark aggregation; the result is small (periods x themes).
- ``stories``: one window of assigned rows collected to the driver and run there (the single
  pass reads a window's articles one after another).
- ``report``: on the driver, from the counts and the model.

Options are ``tidings.run``'s (``text_field=``, ``min_df=``, ``seed=``, ...).
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any, Dict, Iterator, List, Optional

import pyarrow as pa

from . import (InputError, Model, Result, SettingsError, TidingsWarning, _declared_themes,
               _flags, _native, _plain_columns, _warn)

__all__ = ["fit", "assign", "duplicates", "stories", "theme_counts", "report", "with_period",
           "ASSIGNED_COLUMNS", "DUPLICATE_COLUMNS"]

#: The columns :func:`assign` adds, with their Spark types.
ASSIGNED_COLUMNS = (
    ("theme_id", "long"),
    ("theme_name", "string"),
    ("distance", "double"),
    ("unassigned", "boolean"),
    ("article_date", "date"),
    ("reject_reason", "string"),
)

_PERIODS = ("day", "week", "month")


#: The options that say how a row is read, for the executors.
_READING = ("text_field", "title_field", "date_field", "date", "config", "language",
            "stop_words", "phrases", "bigrams", "min_df", "max_df")


def _reading_flags(options: Dict[str, Any]) -> List[str]:
    """The flags that say how a row is read (its text, title and date fields, a default date),
    for the executors."""
    flags, _ = _flags({k: v for k, v in options.items() if k in _READING})
    return flags


def _fields(df: Any, options: Dict[str, Any]) -> List[str]:
    """The columns of ``df`` the engine reads: only these are sent through Arrow."""
    wanted = [options.get("text_field") or "text", options.get("title_field") or "title",
              options.get("date_field") or "date", "id", options.get("label_field")]
    present = [c for c in wanted if c and c in df.columns]
    text = wanted[0]
    if text not in df.columns:
        raise InputError(
            f"the DataFrame has no text column {text!r} (columns: {', '.join(df.columns)}); "
            "name it with text_field="
        )
    return list(dict.fromkeys(present))


def _batch_stream(batch: pa.RecordBatch) -> Any:
    """A batch as the engine reads a table (dates and timestamps as ISO text, as
    :func:`tidings.run` passes them)."""
    return _plain_columns(pa.Table.from_batches([batch])).__arrow_c_stream__()


def document_frequencies(df: Any, **options: Any) -> "tuple[pa.Table, int]":
    """The vocabulary of ``df`` with each term's document frequency, counted by the executors
    (the analyzer and pruning of a fit with ``options``), and the number of articles: what
    :func:`fit` weights the sample's vocabulary with."""
    from pyspark.sql import functions as F

    flags = _reading_flags(options)
    cols = _fields(df, options)

    def count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        # The whole partition in one call: each term once per partition, not once per
        # Arrow batch, is what Spark then shuffles and sums.
        part = pa.Table.from_batches(list(batches))
        if part.num_rows == 0:
            return
        terms, n = _native.document_frequencies(
            _plain_columns(part).__arrow_c_stream__(), "spark", flags
        )
        t = pa.table(terms)
        yield pa.RecordBatch.from_arrays(
            [t.column("term").cast(pa.string()).combine_chunks(),
             t.column("df").combine_chunks()],
            names=["term", "df"],
        )
        # The partition's article count, as the row without a term.
        yield pa.RecordBatch.from_arrays(
            [pa.array([None], pa.string()), pa.array([n], pa.int64())], names=["term", "df"]
        )

    summed = (
        df.select(*cols)
        .mapInArrow(count, "term string, df long")
        .groupBy("term")
        .agg(F.sum("df").alias("df"))
        .cache()
    )
    try:
        total = summed.filter(F.col("term").isNull()).collect()
        n_docs = int(total[0]["df"]) if total else 0
        # Only the vocabulary goes to the driver: the engine's own bounds for this many
        # articles (at 100M articles a two-word term needs 5,000 of them).
        unigram_min, bigram_min, max_df = _native.df_bounds(flags, max(n_docs, 1))
        two_words = F.col("term").contains(" ")
        kept = summed.filter(
            F.col("term").isNotNull()
            & (F.col("df") >= F.when(two_words, bigram_min).otherwise(unigram_min))
            & (F.col("df") <= max_df)
        )
        terms = kept.toArrow().sort_by("term")
    finally:
        summed.unpersist()
    terms = terms.set_column(0, "term", terms.column("term").cast(pa.string()))
    return terms, n_docs


def fit(df: Any, k: Optional[int] = None, sample: int = 200_000, seed: int = 42,
        **options: Any) -> Model:
    """Fits themes on a Spark DataFrame: document frequencies over all of it (Spark), LSA and
    k-means on a uniform sample of about ``sample`` rows collected to the driver. Returns a
    :class:`tidings.Model` (its ``result`` is the sample's run, its ``timings`` the seconds
    of counting, sampling and fitting) to pass to :func:`assign`, save, or use with the CLI."""
    if sample < 1:
        raise SettingsError(f"sample must be at least 1, not {sample}")
    started = time.perf_counter()
    terms, n_docs = document_frequencies(df, **options)
    counted = time.perf_counter()
    if n_docs == 0:
        raise InputError("no readable articles in the DataFrame")
    fraction = min(1.0, sample / n_docs)
    cols = _fields(df, options)
    rows = df.select(*cols)
    if fraction < 1.0:
        rows = rows.sample(withReplacement=False, fraction=fraction, seed=seed)
    table = rows.toArrow()
    sampled = time.perf_counter()
    verbose = bool(options.pop("verbose", False))
    with _declared_themes({**options, "k": k, "seed": seed}) as opts:
        flags, names = _flags(opts)
        native = _native.run(
            None, _plain_columns(table).__arrow_c_stream__(), "spark sample", flags, verbose, None,
            names, (terms.__arrow_c_stream__(), n_docs),
        )
    _warn(native)
    model = Result(native).model()
    model.timings = {
        "document_frequencies": counted - started,
        "sample": sampled - counted,
        "fit": time.perf_counter() - sampled,
    }
    return model


_MODELS: Dict[str, Model] = {}


def _model_on_worker(key: str, payload: Any) -> Model:
    """The model, loaded once per Python worker (Spark reuses workers across tasks)."""
    model = _MODELS.get(key)
    if model is None:
        data = payload.value if hasattr(payload, "value") else payload
        model = Model(_native.Model.from_bytes(data))
        _MODELS.clear()
        _MODELS[key] = model
    return model


def assign(df: Any, model: Model, max_distance: Optional[float] = None,
           **options: Any) -> Any:
    """``df`` with each row's theme: ``theme_id`` and ``theme_name`` (the model's; its
    ``unassigned_id`` and ``(unassigned)`` for an article unlike every theme), ``distance`` to
    the theme's centroid, ``unassigned``, ``article_date`` (the date tidings read, for
    :func:`theme_counts`) and ``reject_reason`` (set, with a null theme, for a row that is
    no article: no text, or no term the model knows). Computed per partition; no shuffle."""
    from pyspark.sql.types import StructType

    flags = _reading_flags(options)
    cols = _fields(df, options)
    names = [name for name, _ in ASSIGNED_COLUMNS]
    # Assigning again (another model, another threshold) replaces the columns of the last.
    df = df.drop(*[n for n in names if n in df.columns])
    data = model._native.to_bytes()
    key = hashlib.sha256(data).hexdigest()[:16]
    try:
        payload: Any = df.sparkSession.sparkContext.broadcast(data)
    except Exception:  # Spark Connect has no SparkContext: the closure carries the model.
        payload = data
    added = ", ".join(f"{name} {kind}" for name, kind in ASSIGNED_COLUMNS)
    schema = StructType.fromDDL(added)
    out_schema = StructType(df.schema.fields + schema.fields)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        m = _model_on_worker(key, payload)
        for batch in batches:
            placed = pa.table(
                _native.assign_batch(m._native, _batch_stream(batch.select(cols)), "spark",
                                     flags, max_distance)
            )
            columns = [
                placed.column(n).combine_chunks().cast(pa.string())
                if pa.types.is_large_string(placed.column(n).type)
                else placed.column(n).combine_chunks()
                for n in names
            ]
            yield pa.RecordBatch.from_arrays(list(batch.columns) + columns,
                                             names=batch.schema.names + names)

    return df.mapInArrow(run, out_schema)


#: The columns :func:`duplicates` adds, with their Spark types.
DUPLICATE_COLUMNS = (
    ("duplicate_of", "string"),
    ("similarity", "double"),
    ("kind", "string"),
    ("times_seen", "long"),
)

_BANDS = [f"band{b}" for b in range(_native.DUPLICATE_BANDS)]


def _check_order(df: Any, order: Optional[str]) -> None:
    """Refuses an ``order`` column ``df`` does not have, before any work."""
    if order is not None and order not in df.columns:
        raise InputError(f"the DataFrame has no order column {order!r} "
                         f"(columns: {', '.join(df.columns)})")


def _only(options: Dict[str, Any], allowed: "tuple[str, ...]", what: str) -> None:
    """Refuses an option ``what`` does not use, rather than ignoring it."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise SettingsError(f"{what} takes no option {', '.join(unknown)} "
                            f"(it reads: {', '.join(allowed)})")


def duplicates(df: Any, threshold: float = 0.8, order: Optional[str] = None,
               **options: Any) -> Any:
    """``df`` with its copies marked as ``tidings run`` sets them aside, found across all
    partitions: ``duplicate_of`` (for a copy, the ``id`` of the article it repeats, or that
    article's row number when it has no ``id``), ``similarity`` (1.0 for an exact copy, else
    the estimated Jaccard similarity of word shingles), ``kind`` (``exact`` or ``near``), as
    in the CLI's ``duplicates.parquet``, and ``times_seen`` (1 plus its copies for a kept
    article, 0 for a copy, null for a row that is no article). The first copy in the input
    order is kept: ``order`` names a column to sort the rows by (a line number; ties and
    nulls, last, in the order Spark reads the rows); without it, the order Spark reads them.

    The executors fingerprint the texts (the same MinHash and band keys as the CLI) and
    Spark groups the band keys and exact hashes over every partition; only the articles that
    share one with another reach the driver (a fingerprint of 648 bytes each), which matches
    them in order exactly as the CLI does, so the same articles in the same order give the
    same copies as ``tidings run``. :func:`theme_counts` leaves the copies (a ``kind``) out,
    as the CLI counts."""
    from pyspark.sql import functions as F

    _only(options, (*_READING, "label_field"), "duplicates()")
    _native.duplicates_among([], float(threshold))  # a bad threshold fails before any work
    _check_order(df, order)
    flags = _reading_flags(options)
    cols = _fields(df, options)
    df = df.drop(*[n for n, _ in DUPLICATE_COLUMNS if n in df.columns])
    row = "_tidings_row"
    # Each row's number, fixed once: recomputed, monotonically_increasing_id could number
    # the rows otherwise (a lost executor, a shuffle upstream).
    indexed = df.withColumn(row, F.monotonically_increasing_id()).localCheckpoint()
    names = ["row", "exact", *_BANDS, "print"]
    schema = ", ".join(["row long", "exact long", *(f"{b} long" for b in _BANDS),
                        "print binary"])

    def prints(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            t = pa.table(_native.fingerprint_batch(_batch_stream(batch.select(cols)), "spark",
                                                   flags))
            at = batch.column(batch.schema.get_field_index(row)).take(
                t.column("row").combine_chunks())
            yield pa.RecordBatch.from_arrays(
                [at.cast(pa.int64())]
                + [t.column(n).combine_chunks() for n in ["exact", *_BANDS]]
                + [t.column("print").combine_chunks().cast(pa.binary())],
                names=names,
            )

    fp = indexed.select(*cols, row).mapInArrow(prints, schema).localCheckpoint()
    keys = fp.select("row", F.posexplode(F.array("exact", *_BANDS)).alias("b", "key"))
    shared = keys.groupBy("b", "key").count().filter(F.col("count") > 1).select("b", "key")
    members = keys.join(shared, ["b", "key"], "left_semi").select("row").distinct()
    candidates = fp.join(members, "row", "left_semi")
    if order:  # in input order, ties (and nulls, last) in Spark's reading order
        by = indexed.select(F.col(row).alias("row"), F.col(order).alias("_order"))
        candidates = candidates.join(by, "row").orderBy(F.col("_order").asc_nulls_last(), "row")
    else:
        candidates = candidates.orderBy("row")
    candidates = candidates.select("row", "print").toArrow()
    rows = candidates.column("row").to_pylist()
    index, of, similarity, exact = _native.duplicates_among(
        candidates.column("print").to_pylist(), float(threshold))
    found = df.sparkSession.createDataFrame(
        [(rows[i], rows[o], s, "exact" if e else "near")
         for i, o, s, e in zip(index, of, similarity, exact)],
        f"{row} long, _of long, similarity double, kind string")
    seen = found.groupBy(F.col("_of").alias(row)).agg(F.count(F.lit(1)).alias("_copies"))
    named = F.col("_of").cast("string")
    if "id" in df.columns:
        blank = F.trim(F.col("id").cast("string")) == ""
        named = F.when(F.col("id").isNull() | blank, named).otherwise(F.col("id").cast("string"))
    ids = indexed.select(F.col(row).alias("_of"), named.alias("duplicate_of"))
    found = found.join(ids, "_of", "left")
    articles = fp.select(F.col("row").alias(row), F.lit(True).alias("_article"))
    out = (indexed.join(articles, row, "left").join(found, row, "left")
           .join(seen, row, "left"))
    times_seen = (F.when(F.col("_article").isNull(), F.lit(None))
                  .when(F.col("_of").isNotNull(), F.lit(0))
                  .otherwise(F.lit(1) + F.coalesce("_copies", F.lit(0))))
    return (out.withColumn("times_seen", times_seen.cast("long"))
            .select(*df.columns, *(n for n, _ in DUPLICATE_COLUMNS)))


#: Rows :func:`stories` collects to the driver at most, unless told otherwise: a week of a
#: busy feed (its text, about 2.5 KB an article, and the run's own memory, about 5 GiB at a
#: million articles).
STORY_ROWS = 1_000_000


def stories(assigned: Any, model: Model, start: Optional[str] = None,
            end: Optional[str] = None, order: Optional[str] = None,
            max_rows: int = STORY_ROWS, **options: Any) -> Result:
    """The stories of one window of :func:`assign`'s output (``article_date`` from ``start``
    to ``end``, ISO dates, both included; every row without either), found on the
    driver: the single pass reads a window's articles one after another in date order, so it
    cannot be split across partitions as assigning is. The window's rows are collected (the
    columns the engine reads, and ``source``) and run through :func:`tidings.run` with
    ``model``, so its stories, their names and the window's tables are those of ``tidings run
    --model`` on the same rows (copies set aside within the window). ``order`` names a column
    giving the input order (the CLI's file order: which copy is kept, and the order of the
    articles of one day); without it, ``id`` then the text. Returns the run's
    :class:`tidings.Result` (``.stories``, ``.articles`` with ``story_id``, ...)."""
    import datetime

    from pyspark.sql import functions as F

    from . import run as _run

    bounds = {}
    for what, value in (("start", start), ("end", end)):
        if value is not None:
            try:
                bounds[what] = datetime.date.fromisoformat(value)
            except (TypeError, ValueError):
                raise SettingsError(f"{what} must be a date (YYYY-MM-DD), not {value!r}") from None
    if len(bounds) == 2 and bounds["start"] > bounds["end"]:
        raise SettingsError(f"start {start} is after end {end}")
    if "article_date" not in assigned.columns:
        raise InputError("stories() reads assign()'s output: the DataFrame has no "
                         "article_date column; pass ts.assign(df, model)")
    if max_rows < 1:
        raise SettingsError(f"max_rows must be at least 1, not {max_rows}")
    when = F.col("article_date")
    rows = assigned
    if "start" in bounds:
        rows = rows.filter(when >= F.lit(bounds["start"]))
    if "end" in bounds:
        rows = rows.filter(when <= F.lit(bounds["end"]))
    cols = _fields(assigned, options)
    if "source" in assigned.columns and "source" not in cols:
        cols.append("source")
    _check_order(assigned, order)
    ties = [order] if order else [c for c in ("id", cols[0]) if c in assigned.columns]
    n = rows.count()
    if n > max_rows:
        raise InputError(f"the window holds {n:,} rows, more than max_rows={max_rows:,} to "
                         "collect to the driver; give a shorter window (start=, end=) or a "
                         "larger max_rows")
    # In input order, as the CLI reads a file: the engine itself reads stories in date order.
    table = rows.orderBy(*ties).select(*cols).toArrow()
    return _run(table, model=model, name="a Spark window", **options)


def with_period(assigned: Any, period: str = "week") -> Any:
    """``assigned`` with ``period`` (``2025-W19``, ``2025-05-12``, ``2025-05`` or
    ``undated``, as tidings labels periods) and ``period_start`` (its first day)."""
    from pyspark.sql import functions as F

    if period not in _PERIODS:
        raise SettingsError(f"period must be one of {', '.join(_PERIODS)}, not {period!r}")
    d = F.col("article_date")
    if period == "day":
        start = d
        label = F.date_format(start, "yyyy-MM-dd")
    elif period == "month":
        start = F.trunc(d, "month")
        label = F.date_format(start, "yyyy-MM")
    else:
        start = F.to_date(F.date_trunc("week", d))  # Monday
        # The ISO year is the year of the week's Thursday.
        label = F.format_string("%d-W%02d", F.year(F.date_add(start, 3)), F.weekofyear(start))
    return assigned.withColumn("period_start", start).withColumn(
        "period", F.when(d.isNull(), F.lit("undated")).otherwise(label)
    )


def theme_counts(assigned: Any, period: str = "week", model: Optional[Model] = None) -> Any:
    """Articles per theme per period from :func:`assign`'s output, shaped as the CLI's
    ``theme_counts.parquet``: ``period``, ``period_start``, ``theme_id``, ``theme_label``,
    ``count``, ``share`` of the period, every period from the first to the last (zeros
    included), ``undated`` last. With ``model``, every theme of it and the unassigned, as
    ``tidings run --model`` writes them (the same rows); without, the themes seen. Rows that
    are no article (a ``reject_reason``) are not counted, nor the copies :func:`duplicates`
    marked."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    counted_rows = F.col("theme_id").isNotNull()
    if "kind" in assigned.columns and "duplicate_of" in assigned.columns:
        counted_rows = counted_rows & F.col("kind").isNull()  # copies duplicates() marked
    rows = with_period(assigned.filter(counted_rows), period)
    counted = rows.groupBy("period_start", "theme_id").agg(F.count(F.lit(1)).alias("count"))
    if model is None:
        themes = rows.groupBy("theme_id").agg(F.first("theme_name").alias("theme_label"))
    else:
        table = model.themes
        listed = list(zip(table.column("theme_id").to_pylist(), table.column("name").to_pylist()))
        listed.append((model.unassigned_id, "(unassigned)"))
        themes = assigned.sparkSession.createDataFrame(listed, "theme_id long, theme_label string")
    step = {"day": "interval 1 day", "week": "interval 1 week", "month": "interval 1 month"}
    span = rows.filter(F.col("period_start").isNotNull()).agg(
        F.min("period_start").alias("lo"), F.max("period_start").alias("hi"))
    dated = span.select(F.explode(F.sequence("lo", "hi", F.expr(step[period])))
                        .alias("period_start"))
    undated = rows.filter(F.col("period_start").isNull()).select("period_start").distinct()
    periods = dated.unionByName(undated)
    # Null-safe: the undated period's start is null, which a plain join matches to nothing.
    cells = periods.crossJoin(themes).alias("g")
    c = counted.alias("c")
    grid = cells.join(
        c,
        F.col("g.period_start").eqNullSafe(F.col("c.period_start"))
        & (F.col("g.theme_id") == F.col("c.theme_id")),
        "left",
    ).select("g.period_start", "g.theme_id", "g.theme_label", F.coalesce("c.count", F.lit(0)).alias("count"))
    labelled = with_period(grid.withColumn("article_date", F.col("period_start")), period)
    total = F.sum("count").over(Window.partitionBy("period_start"))
    return (
        labelled.withColumn("share", F.when(total > 0, F.col("count") / total))
        .select("period", "period_start", "theme_id", "theme_label",
                F.col("count").cast("long").alias("count"), "share")
        .orderBy(F.col("period_start").asc_nulls_last(), "theme_id")
    )


def report(counts: Any, model: Model, out: os.PathLike | str = "reports/spark",
           period: Optional[str] = None, source: str = "a Spark DataFrame") -> List[str]:
    """Writes the overview a run writes — ``themes.parquet``, ``theme_counts.parquet``,
    ``theme_frequency.png``, ``theme_trends.png``, ``summary.md``, ``index.html`` — from
    :func:`theme_counts`'s table (a Spark or pyarrow table) and the model, on the driver, as
    one unit. ``period`` is read from the counts' labels when not given. Returns the paths."""
    table = counts.toArrow() if hasattr(counts, "toArrow") else pa.table(counts)
    if period is None:
        labels = [p for p in table.column("period").to_pylist() if p != "undated"]
        period = ("week" if labels and "-W" in labels[0]
                  else "month" if labels and len(labels[0]) == 7 else "day")
    slim = table.select(["period_start", "theme_id", "count"])
    files, in_place = _native.report_counts(model._native, slim.__arrow_c_stream__(), period,
                                            source, os.fspath(out))
    if in_place is not None:
        import warnings

        warnings.warn(f"{out}: files replaced one by one: {in_place}", TidingsWarning,
                      stacklevel=2)
    return files
