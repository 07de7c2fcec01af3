"""The Python package against the CLI it wraps: same tables, same files, same models.

Run from anywhere with the wheel installed; the CLI binary is $TIDINGS_BIN (`.ci/run` sets it)
or the debug build in $CARGO_TARGET_DIR.
"""

from __future__ import annotations

import _thread
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import warnings

import pytest

import tidings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "data/sample"
SAMPLE_FILE = ROOT / "data/sample/reuters-sample.jsonl"
TABLES = ["articles", "themes", "stories", "theme_counts", "theme_tree", "duplicates", "rejects"]


def cli_binary() -> str:
    explicit = os.environ.get("TIDINGS_BIN")
    if explicit:
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "debug" / "tidings"
    if not binary.exists():
        pytest.fail(f"no tidings binary at {binary}: build it or set TIDINGS_BIN")
    return str(binary)


def cli(*args: str) -> None:
    subprocess.run([cli_binary(), *args, "--quiet"], check=True, cwd=ROOT)


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    # Paths are recorded as given (the `file` column, ids): run both sides from the same place.
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def sample_run():
    return tidings.run(SAMPLE, k=8, seed=42)


def records() -> list:
    with open(SAMPLE_FILE, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def large_corpus(folder: Path) -> Path:
    """Thirty copies of the sample, ids made unique (run with copies kept): a run long enough
    to interrupt, from what a clone of the repository has."""
    path = folder / "large.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for copy in range(30):
            for r in records():
                f.write(json.dumps({**r, "id": f"{copy}-{r['id']}"}) + "\n")
    return path


def without_run_costs(summary: bytes) -> bytes:
    lines = summary.decode().splitlines()
    return "\n".join(l for l in lines if not l.startswith(("- **Time:**", "- **Peak memory:**"))).encode()


def assert_same_table(got: pa.Table, want: pa.Table, name: str) -> None:
    assert got.schema.remove_metadata() == want.schema.remove_metadata(), name
    assert got.equals(want), name


def test_tables_and_files_match_the_cli(sample_run, tmp_path):
    cli("run", SAMPLE, "--k", "8", "--seed", "42", "--out", str(tmp_path / "cli"))
    for name in TABLES:
        want = pq.read_table(tmp_path / "cli" / f"{name}.parquet")
        assert_same_table(sample_run.table(name), want, name)
    assert sample_run.metrics is None and sample_run.comparison is None
    written = sample_run.write(tmp_path / "py")
    assert {Path(p).name for p in written} == {p.name for p in (tmp_path / "cli").iterdir()}
    for path in written:
        name = Path(path).name
        want, got = (tmp_path / "cli" / name).read_bytes(), Path(path).read_bytes()
        if name == "summary.md":  # the stage times and memory of this very run
            want, got = without_run_costs(want), without_run_costs(got)
        assert got == want, name


def test_explore_writes_the_clis_page_and_shows_inline(sample_run, tmp_path):
    cli("run", SAMPLE, "--k", "8", "--seed", "42", "--out", str(tmp_path / "cli"))
    path = sample_run.explore(tmp_path / "e.html")
    assert Path(path).read_bytes() == (tmp_path / "cli" / "explore.html").read_bytes()
    inline = sample_run.explore()._repr_html_()
    assert inline.startswith("<iframe") and 'sandbox="allow-scripts"' in inline
    assert "&lt;svg" in inline and "<svg" not in inline, "the page is the frame's, escaped"


def test_write_replaces_the_folder_as_one_unit(sample_run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "comparison.parquet").write_text("an older compare's")
    (out / "notes.txt").write_text("mine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sample_run.write(out)
    assert not (out / "comparison.parquet").exists()
    assert (out / "notes.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    (out / "mine").mkdir()
    with pytest.warns(tidings.TidingsWarning, match="mine"):
        sample_run.write(out)
    assert (out / "themes.parquet").exists()


def test_declared_themes_as_a_mapping_match_the_cli(tmp_path):
    file = tmp_path / "themes.toml"
    file.write_text('[[theme]]\nname = "Coffee \\"talks\\""\nterms = ["coffee", "ico"]\n')
    cli("run", SAMPLE, "--k", "6", "--themes", str(file), "--out", str(tmp_path / "cli"))
    got = tidings.run(SAMPLE, k=6, themes={'Coffee "talks"': ["coffee", "ico"]})
    assert got.names[0] == 'Coffee "talks"'
    for name in TABLES:
        assert_same_table(got.table(name), pq.read_table(tmp_path / "cli" / f"{name}.parquet"), name)
    with pytest.raises(tidings.TidingsError, match="fewer than the 2 declared"):
        tidings.run(SAMPLE, k=1, themes={"A": ["x"], "B": ["y"]})


def test_tables_are_plain_arrow_that_pandas_and_polars_take(sample_run):
    themes = sample_run.themes
    assert themes.schema.field("name").type == pa.large_string()
    assert themes.schema.field("top_terms").type == pa.large_list(pa.large_string())
    assert len(sample_run.names) == 8 and all(sample_run.names)
    pd = pytest.importorskip("pandas")
    frame = themes.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame["name"]) == sample_run.names
    pl = pytest.importorskip("polars")
    assert pl.from_arrow(sample_run.articles).height == sample_run.articles.num_rows
    counts = sample_run.accounting.split(" = ")[1].split(" + ")
    clustered = int(counts[0].split()[0])
    assert clustered == sample_run.articles.num_rows


def test_stability_is_reported_per_theme_and_overall(sample_run):
    themes = sample_run.themes
    stability = themes.column("stability").to_pylist()
    sizes = themes.column("size").to_pylist()
    assert all(0.0 <= s <= 1.0 for s in stability)
    overall = sum(s * n for s, n in zip(stability, sizes)) / sum(sizes)
    assert abs(sample_run.stability - overall) < 1e-9
    flagged = [n for n, s in zip(sample_run.names, stability) if s < 0.6]
    assert sample_run.unstable == flagged
    assert "**Stability:**" in sample_run.summary


def test_in_memory_tables_give_the_path_run_themes(sample_run):
    recs = records()
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    want = sample_run.themes.drop_columns([])
    inputs = {
        "pyarrow": pa.Table.from_pylist(recs),
        "pandas": pd.DataFrame(recs),
        "polars": pl.DataFrame(recs),
        "dict": {key: [r.get(key) for r in recs] for key in recs[0]},
    }
    for kind, data in inputs.items():
        got = tidings.run(data, k=8, seed=42)
        assert got.names == sample_run.names, kind
        assert_same_table(got.themes, want, kind)
        cols = ["article_id", "theme_id", "date", "title"]
        assert got.articles.select(cols).equals(sample_run.articles.select(cols)), kind


def test_pandas_datetimes_and_categoricals_read_as_dates_and_text(sample_run):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(records())
    frame["date"] = pd.to_datetime(frame["date"]).dt.tz_localize("Asia/Riyadh")
    frame["label"] = frame["label"].astype("category")
    frame["tags"] = [[r, "x"] for r in frame["id"]]
    got = tidings.run(frame, k=8, seed=42)
    assert got.names == sample_run.names
    for col in ["date", "label"]:
        assert got.articles.column(col).equals(sample_run.articles.column(col)), col
    assert got.articles.column("tags")[0].as_py() == '["reuters-273","x"]'



def test_a_list_of_texts(sample_run):
    texts = [r["text"] for r in records()]
    got = tidings.run(texts, k=5, seed=1)
    assert got.themes.num_rows == 5
    read = int(got.accounting.split()[0])
    assert read == len(texts)
    ids = got.articles.column("article_id").to_pylist()
    assert ids[0] == "table#1"


def test_each_kind_of_failure_raises_its_own_error(tmp_path):
    """The message names the file or setting (as a keyword); the class says what kind of
    failure it is, and every one is a TidingsError."""
    with pytest.raises(tidings.FileError, match="no-such-dir: no such file or directory"):
        tidings.run("no-such-dir")
    with pytest.raises(tidings.FileError, match="no such file"):
        tidings.run(["data/sample", "data/smaple"])
    with pytest.raises(tidings.InputError, match="no `text` column"):
        tidings.run(pa.table({"body": ["a b c", "d e f"]}))
    with pytest.raises(tidings.SettingsError, match=r"use `k` \d+ or less"):
        tidings.run(SAMPLE, k=100000)
    with pytest.raises(tidings.SettingsError, match="`restarts` must be at least 1"):
        tidings.run(SAMPLE, restarts=0)
    with pytest.raises(tidings.SettingsError, match="`duplicate_threshold` must be above 0"):
        tidings.run(SAMPLE, duplicate_threshold=0)
    with pytest.raises(TypeError, match="k must be an int"):
        tidings.run(SAMPLE, k="five")
    with pytest.raises(ValueError, match="period"):
        tidings.run(SAMPLE, period="fortnight")
    with pytest.raises(tidings.InputError):
        tidings.run([])
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        tidings.fit(SAMPLE, kk=3)
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"not a model")
    with pytest.raises(tidings.ModelError, match="not a tidings model file"):
        tidings.Model.load(bad)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(tidings.InputError):
        tidings.run(empty)
    for kind in (tidings.InputError, tidings.SettingsError, tidings.ModelError,
                 tidings.FileError, tidings.CancelledError):
        assert issubclass(kind, tidings.TidingsError)


def test_rejects_and_warnings_are_kept():
    table = pa.table(
        {
            "text": [r["text"] for r in records()] + ["", None, "Oil prices rose in thin trade."],
            "date": [r["date"] for r in records()] + ["1987-03-02", "1987-03-02", "yesterday"],
        }
    )
    with pytest.warns(tidings.TidingsWarning, match="unreadable date"):
        got = tidings.run(table, k=4)
    assert got.rejects.num_rows == 2
    rejects = got.rejects.to_pylist()
    assert {(r["source"], r["line"]) for r in rejects} == {("table", 600), ("table", 601)}
    assert any("unreadable date" in w for w in got.warnings)


def test_models_go_both_ways_between_python_and_the_cli(tmp_path):
    # Python fit -> CLI run --model
    model = tidings.fit(SAMPLE, k=6, seed=3, names={2: "Desk two"})
    assert model.k == 6 and model.names[2] == "Desk two"
    assert model.result is not None and model.result.names == model.names
    model.save(tmp_path / "py.model")
    cli("run", SAMPLE, "--model", str(tmp_path / "py.model"), "--out", str(tmp_path / "a"))
    got = model.assign(SAMPLE)
    for name in TABLES:
        assert_same_table(got.table(name), pq.read_table(tmp_path / "a" / f"{name}.parquet"), name)
    assert got.names[2] == "Desk two"
    # Against the model's history: every theme, then the stories, as the CLI wrote them.
    assert_same_table(got.history, pq.read_table(tmp_path / "a" / "history.parquet"), "history")
    levels = got.history.column("level").to_pylist()
    assert levels.count("theme") == 6 and levels[:6] == ["theme"] * 6
    assert tidings.run(SAMPLE, k=6, seed=3).history is None
    # CLI fit -> Python load and assign
    cli("fit", SAMPLE, "--k", "5", "--model", str(tmp_path / "cli.model"), "--out", str(tmp_path / "f"))
    cli("run", SAMPLE, "--model", str(tmp_path / "cli.model"), "--out", str(tmp_path / "b"))
    loaded = tidings.Model.load(tmp_path / "cli.model")
    assert loaded.k == 5
    assert loaded.themes.column("name").to_pylist() == loaded.names
    assert set(loaded.themes.column("born").to_pylist()) == {"1987-W10..1987-W15"}
    # CLI edits -> Python sees the same ids and names
    for edit in (["merge", "1", "3"], ["rename", "4", "Desk four"]):
        subprocess.run([cli_binary(), "model", edit[0], str(tmp_path / "cli.model"), *edit[1:]], check=True)
    edited = tidings.Model.load(tmp_path / "cli.model")
    assert edited.themes.column("theme_id").to_pylist() == [0, 1, 2, 4]
    assert edited.names[3] == "Desk four" and edited.names[:3] == [loaded.names[i] for i in (0, 1, 2)]
    got = loaded.assign(SAMPLE)
    for name in TABLES:
        assert_same_table(got.table(name), pq.read_table(tmp_path / "b" / f"{name}.parquet"), name)
    with pytest.raises(tidings.TidingsError, match="k cannot be given with model"):
        tidings.run(SAMPLE, model=loaded, k=3)
    # A run with a model gives that model back, not one with an "(unassigned)" theme.
    again = got.model()
    assert again.names == loaded.names and again.k == loaded.k


def test_compare_matches_the_cli(tmp_path):
    cli("compare", SAMPLE, "--before", "1987-W12", "--after", "1987-W13", "--k", "6",
        "--out", str(tmp_path / "cli"))
    got = tidings.compare(SAMPLE, periods=("1987-W12", "1987-W13"), k=6)
    for name in TABLES + ["comparison", "keyword_shifts"]:
        want = pq.read_table(tmp_path / "cli" / f"{name}.parquet")
        assert_same_table(got.table(name), want, name)
    written = got.write(tmp_path / "py")
    assert "compare.md" in {Path(p).name for p in written}
    # Two in-memory sides.
    recs = records()
    before = pa.Table.from_pylist([r for r in recs if r["date"] < "1987-03-16"])
    after = pa.Table.from_pylist([r for r in recs if r["date"] >= "1987-03-16"])
    two = tidings.compare(before, after, k=6)
    sides = two.comparison
    assert sides.num_rows == 6
    with pytest.raises(TypeError):
        tidings.compare(before)


def test_keyboard_interrupt_stops_a_run(tmp_path):
    large = large_corpus(tmp_path)
    started = time.monotonic()
    full = tidings.run(large, k=10, seed=1, keep_duplicates=True)
    full_time = time.monotonic() - started
    assert full.themes.num_rows == 10
    timer = threading.Timer(min(0.3, full_time / 4), _thread.interrupt_main)
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        tidings.run(large, k=10, seed=1, keep_duplicates=True)
    stopped = time.monotonic() - started
    timer.join()
    assert stopped < full_time, (stopped, full_time)
    # The interpreter and the library are fine afterwards.
    assert tidings.run(SAMPLE, k=3).themes.num_rows == 3


def test_help_reads_like_the_cli():
    doc = tidings.run.__doc__
    for option in ["k\n", "seed", "period", "min_df", "text_field", "model", "names"]:
        assert option in doc
    assert tidings.Result.write.__doc__ and tidings.Model.assign.__doc__


def test_a_run_leaves_the_gil_to_other_threads(tmp_path):
    done = threading.Event()
    ticks = 0
    large = large_corpus(tmp_path)

    def work():
        tidings.run(large, k=10, seed=1, keep_duplicates=True)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    while not done.is_set():  # pure Python: runs only while the run holds no GIL
        ticks += 1
        time.sleep(0.001)
    worker.join()
    assert ticks > 50, ticks
