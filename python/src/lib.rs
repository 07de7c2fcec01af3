//! `tidings._native`: the library's pipeline for Python. Options arrive as the CLI's own flags
//! (parsed by the CLI's `RunOptions`, so defaults, `tidings.toml` and error messages are the
//! CLI's), tables travel both ways through the Arrow C stream interface, and long work runs on
//! a worker thread while the calling thread, without the GIL, watches for Ctrl-C.
//!
//! The typed, documented API is `python/tidings/__init__.py`; this module is its engine.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use polars::prelude::{CompatLevel, DataFrame, SchemaExt};
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::ffi::{export_iterator, ArrowArrayStream, ArrowArrayStreamReader};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyCapsuleMethods};

use tidings::cli::RunOptions;
use tidings::compare::{self as cmp, Comparison, DateRange};
use tidings::corpus::{self, Corpus};
use tidings::dedup;
use tidings::error::Kind;
use tidings::model::ThemeModel;
use tidings::pipeline::{self, Analysis, Assigner, Mode, Placed, RunConfig};
use tidings::report;

/// The CLI's allocator (see `src/main.rs`), as py-polars does in its extension: Python's own
/// objects still come from Python's allocator; only the library's Rust memory uses this.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

create_exception!(
    _native,
    TidingsError,
    PyException,
    "A run could not be done: unreadable input, bad options, a broken model file. Settings are \
     named as keywords (`min_df`)."
);
create_exception!(
    _native,
    InputError,
    TidingsError,
    "Input that cannot be clustered: nothing readable, nothing left after pruning, a table \
     without its text column."
);
create_exception!(
    _native,
    SettingsError,
    TidingsError,
    "A setting out of range, or settings that do not go together."
);
create_exception!(
    _native,
    ModelError,
    TidingsError,
    "A model file that is not one, is damaged, or does not fit the request (a theme id it \
     lacks)."
);
create_exception!(
    _native,
    FileError,
    TidingsError,
    "Reading or writing a file failed: a missing file, a full disk, a table that does not parse."
);
create_exception!(
    _native,
    CancelledError,
    TidingsError,
    "The run was stopped on request between stages."
);

const STREAM: &std::ffi::CStr = c"arrow_array_stream";

/// Flags as the CLI parses them after `tidings run`.
#[derive(Parser)]
#[command(name = "tidings", no_binary_name = true)]
struct Flags {
    #[command(flatten)]
    run: RunOptions,
}

/// The library's error as the exception of its kind; errors of the binding's own (a bad
/// table handed in) are input errors.
fn error<E: Into<anyhow::Error>>(e: E) -> PyErr {
    let e: anyhow::Error = e.into();
    let message = format!("{e:#}");
    match e.chain().find_map(tidings::error::Error::kind_of) {
        Some(Kind::Input) | None => InputError::new_err(message),
        Some(Kind::Settings) => SettingsError::new_err(message),
        Some(Kind::Model) => ModelError::new_err(message),
        Some(Kind::Io) => FileError::new_err(message),
        Some(Kind::Cancelled) => CancelledError::new_err(message),
    }
}

/// The run's settings from CLI flags, exactly as `tidings run FLAGS` resolves them; `names`
/// go over the config file's `[names]`.
fn resolve(
    flags: Vec<String>,
    verbose: bool,
    names: Option<BTreeMap<usize, String>>,
    model: Option<&Model>,
) -> PyResult<RunConfig> {
    let parsed = Flags::try_parse_from(flags).map_err(|e| {
        PyValueError::new_err(
            e.render()
                .to_string()
                .trim()
                .trim_start_matches("error: ")
                .to_string(),
        )
    })?;
    let model = model.map(|m| (m.model.clone(), Mode::Assign as _));
    let (mut config, _) = parsed.run.resolve(&[], model).map_err(error)?;
    config.verbose = verbose;
    config.settings.names.extend(names.unwrap_or_default());
    Ok(config)
}

/// The config of a run on `inputs` (as report titles name them) with a model, if any.
fn configure(
    flags: Vec<String>,
    verbose: bool,
    names: Option<BTreeMap<usize, String>>,
    model: Option<&Model>,
    inputs: Vec<PathBuf>,
) -> PyResult<RunConfig> {
    let mut config = resolve(flags, verbose, names, model)?;
    config.inputs = inputs;
    Ok(config)
}

/// Runs `work` on its own thread so that the GIL is free and Ctrl-C is seen: on
/// `KeyboardInterrupt` the run is told to stop at its next stage and the interrupt re-raised.
fn detached<T: Send + 'static>(
    py: Python<'_>,
    config: &mut RunConfig,
    work: impl FnOnce(RunConfig) -> anyhow::Result<T> + Send + 'static,
) -> PyResult<T> {
    let cancel = Arc::new(AtomicBool::new(false));
    config.cancel = Some(cancel.clone());
    let config = config.clone();
    let (tx, rx) = mpsc::channel();
    // Shared with the GIL-free waits below (a receiver alone is not `Sync`).
    let rx = Mutex::new(rx);
    let wait = |timeout: Option<Duration>| match rx.lock() {
        Ok(rx) => match timeout {
            Some(t) => rx.recv_timeout(t),
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        },
        Err(_) => Err(mpsc::RecvTimeoutError::Disconnected),
    };
    let worker = std::thread::Builder::new()
        .name("tidings".into())
        .spawn(move || {
            let _ = tx.send(work(config));
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread: {e}")))?;
    loop {
        match py.detach(|| wait(Some(Duration::from_millis(50)))) {
            Ok(result) => {
                let _ = worker.join();
                return result.map_err(error);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    cancel.store(true, Ordering::Relaxed);
                    // The run stops at its next stage boundary; wait for it so that no work
                    // is left running behind the interpreter.
                    py.detach(|| {
                        let _ = wait(None);
                    });
                    return Err(interrupt);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let reason = match worker.join() {
                    Err(panic) => panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default(),
                    Ok(()) => String::new(),
                };
                return Err(PyRuntimeError::new_err(format!(
                    "tidings stopped unexpectedly (a bug; please report it): {reason}"
                )));
            }
        }
    }
}

/// Takes the stream out of an `arrow_array_stream` capsule (the capsule is left released) and
/// reads it into a polars table.
fn import_stream(capsule: &Bound<'_, PyCapsule>) -> PyResult<DataFrame> {
    let ptr = capsule.pointer_checked(Some(STREAM))?;
    // SAFETY: the capsule is named `arrow_array_stream`, so by the Arrow PyCapsule protocol it
    // holds an `ArrowArrayStream`; replacing it with an empty one moves ownership here, and the
    // capsule's destructor then sees a released stream and does nothing.
    let stream = unsafe {
        std::ptr::replace(
            ptr.as_ptr() as *mut ArrowArrayStream,
            ArrowArrayStream::empty(),
        )
    };
    let mut stream = Box::new(stream);
    let to_py =
        |e: polars::prelude::PolarsError| PyValueError::new_err(format!("reading the table: {e}"));
    // SAFETY: a valid C stream, per the protocol.
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(&mut *stream) }.map_err(to_py)?;
    let dtype = reader.field().dtype().clone();
    let mut frame: Option<DataFrame> = None;
    // SAFETY: arrays from a valid stream.
    while let Some(array) = unsafe { reader.next() } {
        let array = array.map_err(to_py)?;
        let batch = array
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| PyValueError::new_err("the table's stream is not of records"))?
            .clone();
        let df = DataFrame::try_from(batch).map_err(to_py)?;
        match &mut frame {
            None => frame = Some(df),
            Some(f) => {
                f.vstack_mut_owned(df).map_err(to_py)?;
            }
        }
    }
    match frame {
        Some(mut f) => {
            f.rechunk_mut();
            Ok(f)
        }
        None => DataFrame::try_from(StructArray::new_empty(dtype)).map_err(to_py),
    }
}

/// A table handed to Python through the Arrow PyCapsule protocol (`pyarrow.table(obj)`).
#[pyclass(frozen)]
struct ArrowTable {
    frame: Mutex<Option<DataFrame>>,
}

#[pymethods]
impl ArrowTable {
    /// Exports the table once, as plain Arrow types (`large_string`, not `string_view`), the
    /// same types as the Parquet files tidings writes.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let mut df = self
            .frame
            .lock()
            .map_err(|_| PyRuntimeError::new_err("table lock poisoned"))?
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this table was already exported"))?;
        df.rechunk_mut();
        let schema = df.schema().to_arrow(CompatLevel::oldest());
        let fields: Vec<Field> = schema.iter_values().cloned().collect();
        let dtype = ArrowDataType::Struct(fields.clone());
        let height = df.height();
        let batches: Vec<Box<dyn Array>> = if df.width() == 0 {
            Vec::new()
        } else {
            df.iter_chunks(CompatLevel::oldest(), false)
                .map(|batch| {
                    let len = batch.height();
                    Box::new(StructArray::new(
                        dtype.clone(),
                        len,
                        batch.into_arrays(),
                        None,
                    )) as Box<dyn Array>
                })
                .collect()
        };
        let batches = if batches.is_empty() && height == 0 {
            vec![Box::new(StructArray::new_empty(dtype.clone())) as Box<dyn Array>]
        } else {
            batches
        };
        let stream = export_iterator(
            Box::new(batches.into_iter().map(Ok)),
            Field::new("".into(), dtype, false),
        );
        PyCapsule::new_with_value(py, stream, STREAM)
    }
}

fn table(frame: anyhow::Result<DataFrame>) -> PyResult<ArrowTable> {
    Ok(ArrowTable {
        frame: Mutex::new(Some(frame.map_err(error)?)),
    })
}

enum Outcome {
    Run(Analysis),
    Compare(Comparison),
}

impl Outcome {
    fn analysis(&self) -> &Analysis {
        match self {
            Outcome::Run(a) => a,
            Outcome::Compare(c) => &c.analysis,
        }
    }
}

/// What a run learned; Python's `tidings.Result` wraps it.
#[pyclass(frozen)]
struct Run {
    outcome: Arc<Outcome>,
}

#[pymethods]
impl Run {
    /// One of the tables the CLI writes, by its file's stem (`themes`, `articles`, ...); None
    /// for `metrics` without a label field, `sources` without a source field, `history`
    /// without a model, and the comparison tables of a plain run.
    fn table(&self, py: Python<'_>, name: &str) -> PyResult<Option<ArrowTable>> {
        let outcome = self.outcome.clone();
        let a = outcome.analysis();
        let name = name.to_string();
        let frame = py.detach(|| -> anyhow::Result<Option<DataFrame>> {
            use report::tables;
            Ok(match (name.as_str(), &*outcome) {
                ("articles", _) => Some(tables::articles(a)?),
                ("themes", _) => Some(tables::themes(a)?),
                ("stories", _) => Some(tables::stories(a)?),
                ("theme_counts", _) => Some(tables::theme_counts(&a.overview())?),
                ("theme_tree", _) => Some(tables::theme_tree(a)?),
                ("duplicates", _) => Some(tables::duplicates(a)?),
                ("rejects", _) => Some(tables::rejects(a)?),
                ("metrics", _) => tables::metrics(a)?,
                ("sources", _) => tables::sources(a)?,
                ("history", _) => tables::history(a)?,
                ("comparison", Outcome::Compare(c)) => {
                    Some(report::comparison::comparison_table(c)?)
                }
                ("keyword_shifts", Outcome::Compare(c)) => {
                    Some(report::comparison::shifts_table(c)?)
                }
                ("story_comparison", Outcome::Compare(c)) => {
                    Some(report::comparison::story_table(c)?)
                }
                ("comparison" | "keyword_shifts" | "story_comparison", Outcome::Run(_)) => None,
                (other, _) => anyhow::bail!("no table called {other:?}"),
            })
        });
        frame.map_err(error)?.map(|f| table(Ok(f))).transpose()
    }

    /// Writes every output the CLI would into `out`; returns the paths written and, when the
    /// folder could not be swapped in as one unit, why.
    fn write(&self, py: Python<'_>, out: PathBuf) -> PyResult<(Vec<String>, Option<String>)> {
        let outcome = self.outcome.clone();
        let written = py
            .detach(move || {
                let cmp = match &*outcome {
                    Outcome::Compare(c) => Some(c),
                    Outcome::Run(_) => None,
                };
                report::write(outcome.analysis(), cmp, &out, None)
            })
            .map_err(error)?;
        let files = written.files.iter().map(|p| p.display().to_string());
        Ok((files.collect(), written.in_place))
    }

    /// Problems that cost no article (skipped files, unreadable dates, renamed ids).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.outcome.analysis().warnings.clone()
    }

    /// `N articles read = C clustered + D duplicates + R rejected`, as the CLI prints it.
    #[getter]
    fn accounting(&self) -> String {
        report::summary::accounting(self.outcome.analysis())
    }

    /// How k was chosen, as the CLI prints it.
    #[getter]
    fn k_choice(&self) -> String {
        let c = &self.outcome.analysis().clustering;
        c.choice.describe(c.k)
    }

    /// The themes' stabilities weighted by size (None where not measured).
    #[getter]
    fn stability(&self) -> Option<f64> {
        self.outcome.analysis().themes.stability()
    }

    /// Seconds per stage, in pipeline order.
    #[getter]
    fn timings(&self) -> Vec<(String, f64)> {
        self.outcome
            .analysis()
            .timings
            .iter()
            .map(|(s, d)| (s.to_string(), d.as_secs_f64()))
            .collect()
    }

    /// `summary.md`'s text.
    #[getter]
    fn summary(&self) -> String {
        report::summary::render(self.outcome.analysis())
    }

    /// `explore.html`'s text.
    fn explore_html(&self, py: Python<'_>) -> PyResult<String> {
        let outcome = self.outcome.clone();
        py.detach(|| report::explore::render(outcome.analysis()))
            .map_err(error)
    }

    /// The themes of this run as a model that later runs assign to (a run with a model
    /// gives that model back).
    fn model(&self) -> Model {
        Model::new(self.outcome.analysis().model())
    }
}

/// Fitted themes (`tidings fit`'s model file).
#[pyclass(frozen)]
struct Model {
    model: Arc<ThemeModel>,
    /// Built on the first batch assigned, then reused: a Spark executor assigns many.
    assigner: std::sync::OnceLock<Arc<Assigner>>,
}

impl Model {
    fn new(model: ThemeModel) -> Model {
        Model {
            model: Arc::new(model),
            assigner: std::sync::OnceLock::new(),
        }
    }

    fn assigner(&self) -> anyhow::Result<Arc<Assigner>> {
        if let Some(a) = self.assigner.get() {
            return Ok(a.clone());
        }
        let built = Arc::new(Assigner::new(self.model.clone())?);
        Ok(self.assigner.get_or_init(|| built).clone())
    }
}

#[pymethods]
impl Model {
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Model> {
        let model = py.detach(|| ThemeModel::load(&path)).map_err(error)?;
        Ok(Model::new(model))
    }

    /// The model file's bytes, to ship the model (a Spark broadcast).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.model.to_bytes().map_err(error)?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[staticmethod]
    fn from_bytes(py: Python<'_>, bytes: &[u8]) -> PyResult<Model> {
        let model = py
            .detach(|| ThemeModel::from_bytes("model bytes", bytes))
            .map_err(error)?;
        Ok(Model::new(model))
    }

    /// The id the unassigned are counted under.
    #[getter]
    fn unassigned_id(&self) -> usize {
        self.model.next_id
    }

    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.model.save(&path)).map_err(error)
    }

    #[getter]
    fn k(&self) -> usize {
        self.model.k()
    }

    /// Per theme id: (name, label, top terms, articles it was fitted on).
    #[getter]
    fn themes(&self) -> Vec<(usize, String, String, Vec<String>, usize, String)> {
        self.model
            .themes
            .iter()
            .map(|t| {
                (
                    t.id,
                    t.name.clone(),
                    t.label.clone(),
                    t.top_terms.clone(),
                    t.size,
                    t.born.clone(),
                )
            })
            .collect()
    }

    #[getter]
    fn max_distance(&self) -> f64 {
        self.model.max_distance
    }
}

/// An input: paths (read as the CLI reads them) or a table with its display name.
enum Source {
    Paths(Vec<PathBuf>),
    Table(String, DataFrame),
}

impl Source {
    fn from_py(
        paths: Option<Vec<PathBuf>>,
        table: Option<Bound<'_, PyCapsule>>,
        name: String,
    ) -> PyResult<Source> {
        match (paths, table) {
            (Some(p), None) => Ok(Source::Paths(p)),
            (None, Some(t)) => Ok(Source::Table(name, import_stream(&t)?)),
            _ => Err(PyValueError::new_err("give paths or a table, not both")),
        }
    }

    /// What the reports' titles name: the paths, or the table's name.
    fn shown(&self) -> Vec<PathBuf> {
        match self {
            Source::Paths(p) => p.clone(),
            Source::Table(name, _) => vec![PathBuf::from(name)],
        }
    }

    fn read(&self, config: &RunConfig) -> anyhow::Result<(Corpus, String)> {
        Ok(match self {
            Source::Paths(p) => (
                corpus::read_inputs_with(p, &config.settings.read)?,
                cmp::names(p),
            ),
            Source::Table(name, df) => (
                corpus::read_table(name, df, &config.settings.read)?,
                name.clone(),
            ),
        })
    }
}

/// `tidings run`: the analysis of paths or a table, with the CLI's flags.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (paths, table, name, flags, verbose, model=None, names=None, document_frequencies=None))]
fn run(
    py: Python<'_>,
    paths: Option<Vec<PathBuf>>,
    table: Option<Bound<'_, PyCapsule>>,
    name: String,
    flags: Vec<String>,
    verbose: bool,
    model: Option<&Model>,
    names: Option<BTreeMap<usize, String>>,
    document_frequencies: Option<(Bound<'_, PyCapsule>, usize)>,
) -> PyResult<Run> {
    let source = Source::from_py(paths, table, name)?;
    let mut config = configure(flags, verbose, names, model, source.shown())?;
    if let Some((terms, n_docs)) = document_frequencies {
        let terms = term_counts(&import_stream(&terms)?).map_err(error)?;
        let vocabulary = py
            .detach(|| -> anyhow::Result<_> {
                Ok(config.check()?.from_document_frequencies(terms, n_docs)?)
            })
            .map_err(error)?;
        if let Mode::Fit(fit) = &mut config.mode {
            fit.vocabulary = Some(Arc::new(vocabulary));
        }
    }
    let analysis = detached(py, &mut config, move |config| {
        let timer = pipeline::StageTimer::for_run(&config);
        let (corpus, _) = source.read(&config)?;
        Ok(pipeline::analyze_corpus(&config, corpus, timer)?)
    })?;
    Ok(Run {
        outcome: Arc::new(Outcome::Run(analysis)),
    })
}

/// `tidings compare`: two sources, or one split by two date ranges (`periods`).
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (before_paths, before_table, before_name, after_paths, after_table, after_name, periods, flags, verbose, model=None, names=None))]
fn compare(
    py: Python<'_>,
    before_paths: Option<Vec<PathBuf>>,
    before_table: Option<Bound<'_, PyCapsule>>,
    before_name: String,
    after_paths: Option<Vec<PathBuf>>,
    after_table: Option<Bound<'_, PyCapsule>>,
    after_name: String,
    periods: Option<(String, String)>,
    flags: Vec<String>,
    verbose: bool,
    model: Option<&Model>,
    names: Option<BTreeMap<usize, String>>,
) -> PyResult<Run> {
    let before = Source::from_py(before_paths, before_table, before_name)?;
    let after = match periods {
        Some(_) => None,
        None => Some(Source::from_py(after_paths, after_table, after_name)?),
    };
    let periods = periods
        .map(|(b, a)| -> PyResult<(DateRange, DateRange)> {
            Ok((
                DateRange::parse(&b).map_err(|e| PyValueError::new_err(format!("before: {e}")))?,
                DateRange::parse(&a).map_err(|e| PyValueError::new_err(format!("after: {e}")))?,
            ))
        })
        .transpose()?;
    let mut shown = before.shown();
    shown.extend(after.iter().flat_map(Source::shown));
    let mut config = configure(flags, verbose, names, model, shown)?;
    let comparison = detached(py, &mut config, move |config| match (after, periods) {
        (Some(after), _) => {
            let b = before.read(&config)?;
            let a = after.read(&config)?;
            Ok(cmp::compare_corpora(&config, b, a)?)
        }
        (None, Some((b, a))) => {
            let (corpus, _) = before.read(&config)?;
            Ok(cmp::compare_dated_corpus(&config, corpus, &b, &a)?)
        }
        (None, None) => unreachable!("after is given when periods are not"),
    })?;
    Ok(Run {
        outcome: Arc::new(Outcome::Compare(comparison)),
    })
}

/// `(term, df)` rows of a document-frequency table.
fn term_counts(df: &DataFrame) -> anyhow::Result<Vec<(String, usize)>> {
    let terms = df.column("term")?.str()?;
    let dfs = df.column("df")?.cast(&polars::prelude::DataType::Int64)?;
    let dfs = dfs.i64()?;
    (0..df.height())
        .map(|i| (terms.get(i), dfs.get(i)))
        .map(
            |(t, d)| match (t, d.and_then(|d| usize::try_from(d).ok())) {
                (Some(t), Some(d)) => Ok((t.to_string(), d)),
                _ => anyhow::bail!("document frequencies: a null term or a null or negative count"),
            },
        )
        .collect()
}

/// The document frequencies a term of `n_docs` articles needs (single word, two words) and
/// may not exceed, under the options of `flags`.
#[pyfunction]
fn df_bounds(flags: Vec<String>, n_docs: usize) -> PyResult<(usize, usize, f64)> {
    let config = resolve(flags, false, None, None)?;
    Ok(config.check().map_err(error)?.df_bounds(n_docs))
}

/// Each row of a batch read as the CLI reads a table (`flags` name its fields), for the
/// functions below that work on one batch of a larger corpus.
fn read_batch(
    capsule: &Bound<'_, PyCapsule>,
    name: &str,
    flags: Vec<String>,
) -> PyResult<(Corpus, RunConfig, usize)> {
    let config = resolve(flags, false, None, None)?;
    let df = import_stream(capsule)?;
    let rows = df.height();
    let corpus = corpus::read_table(name, &df, &config.settings.read).map_err(error)?;
    Ok((corpus, config, rows))
}

/// One batch's terms with their document frequencies (unpruned, duplicates counted), and the
/// number of articles in it: Spark sums these over partitions for a fit on a sample.
#[pyfunction]
fn document_frequencies(
    py: Python<'_>,
    batch: Bound<'_, PyCapsule>,
    name: String,
    flags: Vec<String>,
) -> PyResult<(ArrowTable, usize)> {
    let (corpus, config, _) = read_batch(&batch, &name, flags)?;
    let n = corpus.articles.len();
    let frame = py.detach(move || -> anyhow::Result<DataFrame> {
        let counted = pipeline::document_frequencies(&config, &corpus.articles)?;
        let (terms, dfs): (Vec<String>, Vec<i64>) =
            counted.into_iter().map(|(t, d)| (t, d as i64)).unzip();
        Ok(DataFrame::new(
            terms.len(),
            vec![
                polars::prelude::Column::new("term".into(), terms),
                polars::prelude::Column::new("df".into(), dfs),
            ],
        )?)
    });
    Ok((table(frame)?, n))
}

/// The batch row an article was read from: the table reader numbers rows from 1, as lines.
fn batch_row(line: Option<u64>, rows: usize) -> Option<usize> {
    line.and_then(|l| usize::try_from(l).ok())
        .and_then(|l| l.checked_sub(1))
        .filter(|&r| r < rows)
}

/// One batch assigned to a model's themes, a row per input row in its order: `theme_id`
/// (the unassigned id for articles unlike every theme; null for a row that is no article),
/// `theme_name`, `distance`, `unassigned`, the date read (`article_date`) and, for a row that
/// could not be assigned, `reject_reason`.
#[pyfunction]
#[pyo3(signature = (model, batch, name, flags, max_distance=None))]
fn assign_batch(
    py: Python<'_>,
    model: &Model,
    batch: Bound<'_, PyCapsule>,
    name: String,
    flags: Vec<String>,
    max_distance: Option<f64>,
) -> PyResult<ArrowTable> {
    let (corpus, _, rows) = read_batch(&batch, &name, flags)?;
    let assigner = model.assigner().map_err(error)?;
    let frame = py.detach(move || -> anyhow::Result<DataFrame> {
        use polars::prelude::Column;
        let placed = assigner.assign(&corpus.articles, max_distance)?;
        let m = &assigner.model;
        let k = m.k();
        let mut id: Vec<Option<i64>> = vec![None; rows];
        let mut theme_name: Vec<Option<String>> = vec![None; rows];
        let mut distance: Vec<Option<f64>> = vec![None; rows];
        let mut unassigned: Vec<Option<bool>> = vec![None; rows];
        let mut date = vec![None; rows];
        let mut reason: Vec<Option<String>> = vec![None; rows];
        let row_of = |line| batch_row(line, rows);
        for r in &corpus.rejects {
            if let Some(row) = row_of(r.line) {
                reason[row] = Some(r.reason.clone());
            }
        }
        for (a, p) in corpus.articles.iter().zip(placed) {
            let Some(row) = row_of(a.line) else {
                continue;
            };
            date[row] = a.date;
            match p {
                Placed::Theme {
                    position,
                    distance: d,
                } => {
                    let (tid, tname) = match m.themes.get(position) {
                        Some(t) if position < k => (t.id, t.name.clone()),
                        _ => (m.next_id, pipeline::UNASSIGNED.to_string()),
                    };
                    id[row] = Some(tid as i64);
                    theme_name[row] = Some(tname);
                    distance[row] = Some(d);
                    unassigned[row] = Some(position >= k);
                }
                Placed::NoTerms => reason[row] = Some(pipeline::no_terms_reason(&a.id)),
            }
        }
        Ok(DataFrame::new(
            rows,
            vec![
                Column::new("theme_id".into(), id),
                Column::new("theme_name".into(), theme_name),
                Column::new("distance".into(), distance),
                Column::new("unassigned".into(), unassigned),
                report::tables::date_column("article_date", &date)?,
                Column::new("reject_reason".into(), reason),
            ],
        )?)
    });
    table(frame)
}

/// One batch's fingerprints, for finding copies across partitions: `row` (the batch row of
/// each article read; a row that is no article has none), `exact`, `band0` … `band19` (the
/// band keys, as signed 64-bit integers) and `print` (the fingerprint, for
/// [`duplicates_among`]).
#[pyfunction]
fn fingerprint_batch(
    py: Python<'_>,
    batch: Bound<'_, PyCapsule>,
    name: String,
    flags: Vec<String>,
) -> PyResult<ArrowTable> {
    let (corpus, _, rows) = read_batch(&batch, &name, flags)?;
    let frame = py.detach(move || -> anyhow::Result<DataFrame> {
        use polars::prelude::Column;
        let mut row = Vec::new();
        let mut exact = Vec::new();
        let mut bands: Vec<Vec<i64>> = vec![Vec::new(); dedup::BANDS];
        let mut print: Vec<Vec<u8>> = Vec::new();
        for a in &corpus.articles {
            let Some(r) = batch_row(a.line, rows) else {
                continue;
            };
            let fp = dedup::fingerprint(&a.text);
            row.push(r as i64);
            exact.push(fp.exact() as i64);
            bands
                .iter_mut()
                .zip(fp.bands())
                .for_each(|(b, &k)| b.push(k as i64));
            print.push(fp.to_bytes());
        }
        let n = row.len();
        let mut columns = vec![
            Column::new("row".into(), row),
            Column::new("exact".into(), exact),
        ];
        for (b, keys) in bands.into_iter().enumerate() {
            columns.push(Column::new(format!("band{b}").into(), keys));
        }
        let print: Vec<&[u8]> = print.iter().map(Vec::as_slice).collect();
        columns.push(Column::new("print".into(), print));
        Ok(DataFrame::new(n, columns)?)
    });
    table(frame)
}

/// Copies found: their indices, those of the articles they repeat, similarities, exact or not.
type Copies = (Vec<usize>, Vec<usize>, Vec<f64>, Vec<bool>);

/// The copies among articles known by their fingerprints (bytes from [`fingerprint_batch`]),
/// in input order, as `tidings run` finds them: `(index, duplicate_of, similarity, exact)`,
/// indices into `prints`.
#[pyfunction]
fn duplicates_among(py: Python<'_>, prints: Vec<Vec<u8>>, threshold: f64) -> PyResult<Copies> {
    let params = dedup::DedupParams { threshold };
    params
        .check()
        .map_err(|e| SettingsError::new_err(e.to_string()))?;
    let prints = prints
        .iter()
        .enumerate()
        .map(|(i, b)| {
            dedup::Fingerprint::from_bytes(b)
                .ok_or_else(|| PyValueError::new_err(format!("print {i} is not a fingerprint")))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let found = py.detach(move || dedup::duplicates_among(&prints, &params));
    let d = &found.duplicates;
    Ok((
        d.iter().map(|d| d.index).collect(),
        d.iter().map(|d| d.duplicate_of).collect(),
        d.iter().map(|d| d.similarity).collect(),
        d.iter().map(|d| d.exact).collect(),
    ))
}

/// The overview report (themes and counts tables, charts, summary, index.html) of counts
/// aggregated elsewhere: `counts` has `period_start`, `theme_id` and `count`.
#[pyfunction]
fn report_counts(
    py: Python<'_>,
    model: &Model,
    counts: Bound<'_, PyCapsule>,
    period: String,
    source: String,
    out: PathBuf,
) -> PyResult<(Vec<String>, Option<String>)> {
    let df = import_stream(&counts)?;
    let period: tidings::trends::Period = period
        .parse()
        .map_err(|e| PyValueError::new_err(format!("period: {e}")))?;
    let m = model.model.clone();
    let written = py
        .detach(move || {
            let rows = report::aggregate::count_rows(&df)?;
            report::aggregate::write(&m, &rows, period, &source, &out, None)
        })
        .map_err(error)?;
    let files = written.files.iter().map(|p| p.display().to_string());
    Ok((files.collect(), written.in_place))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(document_frequencies, m)?)?;
    m.add_function(wrap_pyfunction!(df_bounds, m)?)?;
    m.add_function(wrap_pyfunction!(assign_batch, m)?)?;
    m.add_function(wrap_pyfunction!(report_counts, m)?)?;
    m.add_function(wrap_pyfunction!(fingerprint_batch, m)?)?;
    m.add_function(wrap_pyfunction!(duplicates_among, m)?)?;
    m.add_class::<Run>()?;
    m.add_class::<Model>()?;
    m.add_class::<ArrowTable>()?;
    m.add("TidingsError", m.py().get_type::<TidingsError>())?;
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add("SettingsError", m.py().get_type::<SettingsError>())?;
    m.add("ModelError", m.py().get_type::<ModelError>())?;
    m.add("FileError", m.py().get_type::<FileError>())?;
    m.add("CancelledError", m.py().get_type::<CancelledError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DUPLICATE_BANDS", dedup::BANDS)?;
    Ok(())
}
