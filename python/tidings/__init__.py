"""tidings: the themes in a stream of news articles, and how they rise and fall.

The same engine as the ``tidings`` command line, with its tables as ``pyarrow.Table`` objects::

    import tidings
    result = tidings.run("data/sample", k=8, seed=42)
    result.themes.to_pandas()            # or polars.from_arrow(result.themes)
    result.write("reports/")             # the CLI's Parquet tables, charts and summary
    model = tidings.fit("archive/", k=20); model.save("themes.model")
    tidings.Model.load("themes.model").assign(this_week_df)
    tidings.compare("last-week/", "this-week/", model=model).comparison

Data can be given as paths (files or folders, read exactly as the CLI reads them) or in memory:
a list of article texts, a ``pyarrow.Table``/``RecordBatch``, a pandas or polars DataFrame,
a dict of columns, or anything with ``__arrow_c_stream__``. Tables need a ``text`` column
(see ``text_field``) and may have ``title``, ``date`` and ``id``; every other column is carried
through to ``articles``.

Options are the CLI's flags as keyword arguments (``--min-df 3`` is ``min_df=3``); as with the
CLI, a ``tidings.toml`` in the working directory (or ``config=``) supplies defaults, and the
same input with the same ``seed`` gives identical tables. Errors raise a subclass of
:class:`TidingsError` by kind (:class:`InputError`, :class:`SettingsError`, :class:`ModelError`,
:class:`FileError`, :class:`CancelledError`), settings named as keywords (``min_df``); Ctrl-C
(``KeyboardInterrupt``) stops a run at its next stage.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings as _warnings
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa
import pyarrow.compute as pc

from . import _native
from ._native import (
    CancelledError,
    FileError,
    InputError,
    ModelError,
    SettingsError,
    TidingsError,
)

__all__ = [
    "run",
    "fit",
    "compare",
    "Result",
    "Model",
    "TidingsError",
    "InputError",
    "SettingsError",
    "ModelError",
    "FileError",
    "CancelledError",
    "TidingsWarning",
    "__version__",
]
__version__: str = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]
#: Paths, a list of texts, or a table (pyarrow, pandas, polars, a dict of columns, or any
#: object with ``__arrow_c_stream__``).
Data = Any

_TABLES = (
    "articles",
    "themes",
    "stories",
    "theme_counts",
    "theme_tree",
    "duplicates",
    "rejects",
    "metrics",
    "sources",
    "history",
    "comparison",
    "keyword_shifts",
    "story_comparison",
)
_SHOWN_WARNINGS = 10


class TidingsWarning(UserWarning):
    """Something in the input cost no article but deserves a look (an unreadable date, a
    skipped file, a renamed duplicate id). All of them are in :attr:`Result.warnings`."""


def _looks_like_path(s: str) -> bool:
    return not any(c.isspace() for c in s) and (
        os.sep in s or "/" in s or os.path.splitext(s)[1] != ""
    )


def _as_source(data: Data, what: str) -> Tuple[Optional[List[str]], Optional[pa.Table]]:
    """(paths, None) or (None, table) for the native layer."""
    if isinstance(data, (str, os.PathLike)):
        return [os.fspath(data)], None
    if isinstance(data, (list, tuple)):
        if not data:
            raise InputError(f"{what}: no input given (an empty list)")
        if all(isinstance(x, os.PathLike) for x in data):
            return [os.fspath(x) for x in data], None
        if all(isinstance(x, str) for x in data):
            exist = [os.path.exists(x) for x in data]
            if all(exist):
                return list(data), None
            missing = [x for x, e in zip(data, exist) if not e]
            if any(exist) or all(_looks_like_path(x) for x in data):
                raise FileError(
                    f"{missing[0]}: no such file or directory (a list of strings is read as "
                    "paths when they name files or folders, else as article texts)"
                )
            return None, pa.table({"text": pa.array(list(data), pa.large_string())})
        raise TypeError(
            f"{what}: a list must hold paths or article texts (str), "
            f"not {type(next(x for x in data if not isinstance(x, (str, os.PathLike)))).__name__}"
        )
    return None, _as_table(data, what)


def _as_table(data: Any, what: str) -> pa.Table:
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif isinstance(data, pa.RecordBatchReader):
        table = data.read_all()
    elif type(data).__module__.split(".")[0] == "pandas":
        table = pa.Table.from_pandas(data, preserve_index=False)
    elif isinstance(data, Mapping):
        table = pa.table(dict(data))
    elif hasattr(data, "__arrow_c_stream__"):
        table = pa.RecordBatchReader.from_stream(data).read_all()
    elif hasattr(data, "to_arrow"):
        table = data.to_arrow()
    else:
        raise TypeError(
            f"{what}: expected paths, a list of texts or a table "
            f"(pyarrow, pandas, polars, dict), not {type(data).__name__}"
        )
    return _plain_columns(table)


def _plain_columns(table: pa.Table) -> pa.Table:
    """Columns in the types the reader takes, as the Parquet reader would see them: dates and
    timestamps as ISO text (a timestamp keeps the calendar date of its own time zone),
    categoricals decoded; a column of any other type becomes text where Arrow can cast it and
    is otherwise left out with a warning."""
    columns, names = [], []
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.cast(t.value_type)
            t = col.type
        if pa.types.is_timestamp(t):
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
        elif pa.types.is_date(t):
            col = col.cast(pa.string())
        elif not (
            pa.types.is_boolean(t)
            or pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or getattr(pa.types, "is_string_view", lambda _: False)(t)
            or pa.types.is_null(t)
        ):
            try:
                if pa.types.is_nested(t):
                    # As JSON text, the way the JSON Lines reader keeps a nested field.
                    col = pa.array(
                        [
                            None if v is None
                            else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
                            for v in col.to_pylist()
                        ],
                        pa.large_string(),
                    )
                else:
                    col = col.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
                _warnings.warn(
                    f"column {name!r} ({t}) left out: tidings reads text, numbers, booleans "
                    "and dates",
                    TidingsWarning,
                    stacklevel=4,
                )
                continue
        columns.append(col)
        names.append(name)
    return pa.Table.from_arrays(columns, names=names)


@contextlib.contextmanager
def _declared_themes(options: Dict[str, Any]):
    """``themes={"Gulf shipping": ["iran", "gulf"]}`` as the ``--themes`` file the CLI reads,
    removed after the run; a path is passed through."""
    themes = options.get("themes")
    if not isinstance(themes, Mapping):
        yield options
        return
    lines = []
    for name, terms in themes.items():
        if isinstance(terms, str):
            terms = [terms]
        # JSON strings are TOML basic strings.
        lines += ["[[theme]]", f"name = {json.dumps(str(name))}",
                  f"terms = [{', '.join(json.dumps(str(t)) for t in terms)}]", ""]
    with tempfile.TemporaryDirectory(prefix="tidings-themes-") as tmp:
        path = os.path.join(tmp, "themes.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        yield {**options, "themes": path}


def _flags(options: Dict[str, Any]) -> Tuple[List[str], Dict[int, str]]:
    """The CLI flags for keyword options, and theme names to apply on top of the config."""
    flags: List[str] = []
    names: Dict[int, str] = {}
    for key, value in options.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        if key == "names":
            if not isinstance(value, Mapping):
                raise TypeError("names must be a mapping of theme id to name")
            names = {int(k): str(v) for k, v in value.items()}
        elif key == "bigrams":
            if not value:
                flags.append("--no-bigrams")
        elif key == "keep_duplicates":
            if value:
                flags.append(flag)
        elif key in ("stop_words", "phrases"):
            if isinstance(value, str):
                value = [value]
            single = "--stop-word" if key == "stop_words" else "--phrase"
            for v in value:
                flags += [single, str(v)]
        elif key in ("k", "k_max", "seed", "min_df", "dims", "restarts", "story_window",
                     "story_rejoin", "story_age"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{key} must be an int, not {type(value).__name__}")
            flags += [flag, str(value)]
        elif key in ("max_df", "duplicate_threshold", "max_distance", "story_threshold"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{key} must be a number, not {type(value).__name__}")
            flags += [flag, repr(float(value))]
        elif key in ("config", "themes"):
            flags += [flag, os.fspath(value)]
        elif key == "date":
            flags += [flag, str(value)]
        elif key in ("period", "algorithm", "language", "text_field", "title_field",
                     "date_field", "label_field"):
            if not isinstance(value, str):
                raise TypeError(f"{key} must be a str, not {type(value).__name__}")
            flags += [flag, value]
        else:
            raise TypeError(f"unexpected option {key!r}")
    return flags, names


def _warn(native: Any) -> None:
    found = native.warnings
    for w in found[:_SHOWN_WARNINGS]:
        _warnings.warn(w, TidingsWarning, stacklevel=3)
    if len(found) > _SHOWN_WARNINGS:
        _warnings.warn(
            f"... and {len(found) - _SHOWN_WARNINGS} more warnings: see Result.warnings",
            TidingsWarning,
            stacklevel=3,
        )


class _Page:
    """A page a notebook shows inline (in a sandboxed frame, as a browser would open the
    file); ``str()`` is its HTML."""

    def __init__(self, html: str) -> None:
        self.html = html

    def __str__(self) -> str:
        return self.html

    def _repr_html_(self) -> str:
        import html as _html

        return (
            '<iframe style="width:100%;height:760px;border:1px solid #ddd" '
            f'sandbox="allow-scripts" srcdoc="{_html.escape(self.html, quote=True)}"></iframe>'
        )


class _OptionalTable:
    """A table of a :class:`Result`, read by the name it is given in the class (the stem of
    its file name), or None when the run has none."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, result: Any, owner: Optional[type] = None) -> Optional[pa.Table]:
        if result is None:
            return self  # type: ignore[return-value]
        return result._table(self.name)


class _Table(_OptionalTable):
    """A table every run has."""

    def __get__(self, result: Any, owner: Optional[type] = None) -> pa.Table:
        return super().__get__(result, owner)  # type: ignore[return-value]


class Result:
    """What a run (or a comparison) found. Each table is the one the CLI writes to Parquet
    (``themes`` is ``themes.parquet``), as a ``pyarrow.Table`` with the same columns and
    types; ``.to_pandas()`` and ``polars.from_arrow()`` read it directly."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self._tables: Dict[str, Optional[pa.Table]] = {}

    def _table(self, name: str) -> Optional[pa.Table]:
        if name not in self._tables:
            stream = self._native.table(name)
            self._tables[name] = (
                None if stream is None else pa.RecordBatchReader.from_stream(stream).read_all()
            )
        return self._tables[name]

    def table(self, name: str) -> Optional[pa.Table]:
        """A table by the stem of its file name, e.g. ``"theme_counts"``."""
        if name not in _TABLES:
            raise KeyError(f"no table {name!r}; tables: {', '.join(_TABLES)}")
        return self._table(name)

    articles = _Table(
        "One row per clustered article: its theme, distance, date and every input column."
    )
    themes = _Table(
        "One row per theme: ``name``, ``label``, ``top_terms``, size, share, ``stability`` "
        "(0 to 1; how often its articles come back together on a refit), ``unstable``, examples."
    )
    stories = _Table(
        "One row per story (an event under the themes): ``name``, its ``theme_id``, "
        "``articles``, ``copies``, ``sources``, first and last date, ``per_day`` counts and "
        "its most central headline. ``articles.story_id`` says each article's."
    )
    theme_counts = _Table("Articles per theme per period (``period=``): the trend lines.")
    theme_tree = _Table(
        "The themes grouped by closeness: one row per edge (child, parent, distance)."
    )
    duplicates = _Table("Copies set aside, each with the clustered article it repeats.")
    rejects = _Table("Inputs that could not become articles, with file, line and reason.")
    metrics = _OptionalTable("Scores against ``label_field`` (NMI, ARI, ...); None without one.")
    sources = _OptionalTable(
        "Per source and theme: articles, copies and the share of the source's coverage; None "
        "when the input has no ``source`` field."
    )
    history = _OptionalTable(
        "With a saved model: each theme (``level`` ``theme``), then each story of more than "
        "one report or carried on (``story``), its share of this run against all the model "
        "absorbed before, z, p and q (Benjamini-Hochberg within the level) and ``status`` "
        "(themes ``new``, ``rose``, ``fell``, ``steady``; stories ``new``, ``growing``, "
        "``fading``, ``continuing``)."
    )
    comparison = _OptionalTable(
        "Per theme, counts and shares before and after (:func:`compare` only)."
    )
    keyword_shifts = _OptionalTable(
        "The most rising and falling terms, overall and per theme (:func:`compare` only)."
    )
    story_comparison = _OptionalTable(
        "Per story of more than one report: its articles before and after, z, p and q "
        "(Benjamini-Hochberg over the stories) and ``status`` (``new``, ``over``, "
        "``growing``, ``fading``, ``continuing``) (:func:`compare` only)."
    )

    @property
    def names(self) -> List[str]:
        """Theme names by theme id."""
        return self.themes.column("name").to_pylist()

    @property
    def warnings(self) -> List[str]:
        """Problems that cost no article: skipped files, unreadable dates, renamed ids."""
        return list(self._native.warnings)

    @property
    def accounting(self) -> str:
        """``N articles read = C clustered + D duplicates + R rejected``."""
        return self._native.accounting

    @property
    def k_choice(self) -> str:
        """How the number of themes was chosen."""
        return self._native.k_choice

    @property
    def stability(self) -> Optional[float]:
        """How reproducible the themes are, 0 to 1: the share of articles whose theme comes
        back together on a refit, on average (the per-theme figures are the ``stability`` and
        ``unstable`` columns of ``themes``). None for themes assigned from a saved model."""
        return self._native.stability

    @property
    def unstable(self) -> List[str]:
        """Names of the themes below the stability threshold: they may split or merge on a
        refit."""
        t = self.themes
        names, flags = t.column("name").to_pylist(), t.column("unstable").to_pylist()
        return [n for n, unstable in zip(names, flags) if unstable]

    @property
    def timings(self) -> Dict[str, float]:
        """Seconds per pipeline stage; ``themes`` and ``story pass`` run side by side, so
        their times overlap."""
        return dict(self._native.timings)

    @property
    def summary(self) -> str:
        """The text of ``summary.md``."""
        return self._native.summary

    def explore(self, path: Optional[PathLike] = None, open_browser: bool = False) -> Any:
        """The run to explore in a browser (``explore.html``): written to ``path`` when given
        (and opened in the default browser with ``open_browser``), returning the path; without
        a path, an object a notebook shows inline."""
        page = self._native.explore_html()
        if path is None:
            return _Page(page)
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        if open_browser:
            import webbrowser

            webbrowser.open("file://" + os.path.abspath(path))
        return path

    def write(self, out: PathLike = "reports") -> List[str]:
        """Writes the CLI's outputs (Parquet tables, PNG charts, ``summary.md``,
        ``index.html``; for a comparison also its tables, charts and ``compare.md``) into
        ``out``, byte for byte what the CLI writes for the same run, as one unit: the folder
        holds the previous outputs or these, never a mix. Returns the paths."""
        files, in_place = self._native.write(os.fspath(out))
        if in_place is not None:
            _warnings.warn(
                f"{out}: files replaced one by one, not swapped in as one unit: {in_place}",
                TidingsWarning,
                stacklevel=2,
            )
        return files

    def model(self) -> "Model":
        """These themes as a :class:`Model`, as ``tidings fit`` would save them."""
        return Model(self._native.model(), result=self)

    def _repr_names(self) -> str:
        names = self.names
        shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        return f"{len(names)} themes: {shown}"

    def __repr__(self) -> str:
        return f"<tidings.Result {self.accounting}; {self._repr_names()}>"


class Model:
    """Fitted themes: assign new articles to them so theme ids and names stay the same week
    after week. The file format is the CLI's (``tidings fit --model``), either way round."""

    def __init__(self, native: Any, result: Optional[Result] = None) -> None:
        self._native = native
        #: The run the model was fitted on (None for a loaded model).
        self.result = result
        #: Seconds per step of a fit that reports them (``tidings.spark.fit``).
        self.timings: Dict[str, float] = {}

    @staticmethod
    def load(path: PathLike) -> "Model":
        """Reads a model file written by :meth:`save` or ``tidings fit``."""
        return Model(_native.Model.load(os.fspath(path)))

    def save(self, path: PathLike) -> None:
        """Writes the model file (atomically: a reader never sees half of it)."""
        self._native.save(os.fspath(path))

    @property
    def k(self) -> int:
        """Number of themes."""
        return self._native.k

    @property
    def unassigned_id(self) -> int:
        """The theme id articles unlike every theme are counted under (``(unassigned)``)."""
        return self._native.unassigned_id

    @property
    def names(self) -> List[str]:
        """Theme names by theme id (kept through save and load)."""
        return [t[1] for t in self._native.themes]

    @property
    def themes(self) -> pa.Table:
        """The saved themes: id (kept through edits, never reused), name, label, top terms,
        the articles fitted and the periods the theme was born in."""
        rows = self._native.themes
        return pa.table(
            {
                "theme_id": pa.array([r[0] for r in rows], pa.uint32()),
                "name": [r[1] for r in rows],
                "label": [r[2] for r in rows],
                "top_terms": [r[3] for r in rows],
                "size": pa.array([r[4] for r in rows], pa.uint32()),
                "born": [r[5] for r in rows],
            }
        )

    def assign(self, data: Data, **options: Any) -> Result:
        """Assigns the articles in ``data`` to these themes (``tidings run --model``); takes
        :func:`run`'s options except ``k``."""
        return run(data, model=self, **options)

    def __repr__(self) -> str:
        names = self.names
        return f"<tidings.Model {self.k} themes: {', '.join(names[:6])}{', ...' if len(names) > 6 else ''}>"


def run(
    data: Data = "data/sample",
    *,
    k: Optional[int] = None,
    k_max: Optional[int] = None,
    seed: Optional[int] = None,
    period: Optional[str] = None,
    min_df: Optional[int] = None,
    max_df: Optional[float] = None,
    dims: Optional[int] = None,
    restarts: Optional[int] = None,
    algorithm: Optional[str] = None,
    keep_duplicates: bool = False,
    duplicate_threshold: Optional[float] = None,
    story_threshold: Optional[float] = None,
    story_window: Optional[int] = None,
    story_rejoin: Optional[int] = None,
    story_age: Optional[int] = None,
    text_field: Optional[str] = None,
    title_field: Optional[str] = None,
    date_field: Optional[str] = None,
    date: Optional[str] = None,
    max_distance: Optional[float] = None,
    label_field: Optional[str] = None,
    bigrams: bool = True,
    language: Optional[str] = None,
    stop_words: Sequence[str] = (),
    phrases: Sequence[str] = (),
    names: Optional[Mapping[int, str]] = None,
    themes: Optional[Union[PathLike, Mapping[str, Sequence[str]]]] = None,
    config: Optional[PathLike] = None,
    model: Optional[Model] = None,
    name: str = "table",
    verbose: bool = False,
) -> Result:
    """Clusters articles into themes (``tidings run``).

    data
        Files or folders (``.txt`` scraped pages, ``.jsonl``, ``.csv``, ``.parquet``, any of
        them ``.gz``; folders read recursively), or in-memory data: a list of texts, a
        pyarrow/pandas/polars table or a dict of columns with a ``text`` column.
    k
        Number of themes [default: chosen by silhouette, up to ``k_max`` (20)].
    seed
        Random seed: the same input and seed give identical tables [default: 42].
    period
        Time bucket of ``theme_counts``: ``day``, ``week`` (ISO) or ``month`` [default: week].
    min_df, max_df
        Ignore terms in fewer than ``min_df`` articles [2] or more than a ``max_df`` share [0.5].
    dims
        LSA dimensions before k-means; 0 clusters the TF-IDF vectors [default: 100].
    restarts
        k-means restarts, each on its own subsample, pooled into a consensus fit and
        measuring each theme's stability [default: 40; 4 best-of runs for euclidean].
    algorithm
        ``spherical`` (cosine, default) or ``euclidean`` (linfa-clustering).
    keep_duplicates, duplicate_threshold
        Keep copies instead of setting them aside; the word-shingle Jaccard similarity from
        which an article is a near-duplicate [default: 0.8].
    story_threshold, story_window, story_rejoin, story_age
        Cosine similarity of an article's terms to a story's from which it joins the story
        [default: 0.18]; days without an article after which a story is over [default: 7];
        days within which a story that went quiet is rejoined by a later one told in the
        same rare words, 0 never [default: 45]; days from a story's first article after
        which it grows harder to join, by half its threshold every as many days more, 0
        never [default: 10].
    text_field, title_field, date_field
        Columns holding the text, headline and date [text, title, date].
    date
        Date (``YYYY-MM-DD``) for articles with none.
    max_distance
        With ``model``: distance beyond which an article is unassigned [the model's].
    label_field
        Column with a ground-truth label: ``metrics`` scores the themes against it.
    bigrams
        False for unigrams only.
    language
        Stop words and stemming: ``english`` (default), ``french``, ``german``, ...
    stop_words, phrases
        Extra stop words; phrases kept as one token (e.g. ``"gaza strip"``).
    names
        Theme names by id, over those of ``tidings.toml``'s ``[names]``.
    themes
        Themes to declare before fitting, ``{"Gulf shipping": ["iran", "gulf", "tanker"]}``
        (or a TOML file of ``[[theme]]`` entries): fitted first as themes 0, 1, ... with
        those names, the others clustered freely.
    config
        A ``tidings.toml`` [default: ./tidings.toml when present].
    model
        Assign to a :class:`Model`'s themes instead of fitting new ones.
    name
        What an in-memory table is called in ids (``table#3``), rejects and warnings.
    verbose
        Progress lines on stderr, as the CLI prints them.

    Returns a :class:`Result`. Raises :class:`TidingsError` when the run cannot be done
    (missing input, no readable article, k larger than the articles, a bad model file).
    """
    options = dict(locals())
    for key in ("data", "model", "name", "verbose"):
        del options[key]
    if model is not None and k is not None:
        raise SettingsError("k cannot be given with model: the model's themes are used")
    paths, table = _as_source(data, "data")
    with _declared_themes(options) as options:
        flags, theme_names = _flags(options)
        native = _native.run(
            paths,
            None if table is None else table.__arrow_c_stream__(),
            name,
            flags,
            verbose,
            None if model is None else model._native,
            theme_names,
        )
    _warn(native)
    return Result(native)


def fit(data: Data = "data/sample", **options: Any) -> Model:
    """Fits themes and returns them as a :class:`Model` (``tidings fit``); takes :func:`run`'s
    options. The fitting run's tables are in ``model.result``."""
    if "model" in options:
        raise TypeError("fit() does not take model=")
    return run(data, **options).model()


def compare(
    before: Data,
    after: Optional[Data] = None,
    *,
    periods: Optional[Tuple[str, str]] = None,
    model: Optional[Model] = None,
    before_name: str = "before",
    after_name: str = "after",
    **options: Any,
) -> Result:
    """Compares two corpora, e.g. last week and this week (``tidings compare``): themes fitted
    on both together (or a ``model``'s), share changes per theme, rising and falling terms.

    ``compare(last_week, this_week)`` takes two inputs (paths or tables, as :func:`run`);
    ``compare(data, periods=("2025-W19", "2025-W20"))`` splits one dated input, each period
    a week, a day, a month or ``FROM..TO``. Other options are :func:`run`'s. The result's
    ``comparison`` and ``keyword_shifts`` are the CLI's ``comparison.parquet`` and
    ``keyword_shifts.parquet``; ``write`` writes those and ``compare.md`` too.
    """
    if (after is None) == (periods is None):
        raise TypeError("compare() takes `after`, or `periods` to split one input by date")
    if model is not None and options.get("k") is not None:
        raise SettingsError("k cannot be given with model: the model's themes are used")
    verbose = bool(options.pop("verbose", False))
    b_paths, b_table = _as_source(before, "before")
    a_paths, a_table = (None, None) if after is None else _as_source(after, "after")
    with _declared_themes(options) as options:
        flags, theme_names = _flags(options)
        native = _native.compare(
            b_paths,
            None if b_table is None else b_table.__arrow_c_stream__(),
            before_name,
            a_paths,
            None if a_table is None else a_table.__arrow_c_stream__(),
            after_name,
            None if periods is None else (str(periods[0]), str(periods[1])),
            flags,
            verbose,
            None if model is None else model._native,
            theme_names,
        )
    _warn(native)
    return Result(native)
