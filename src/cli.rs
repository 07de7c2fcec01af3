//! Command line: parses arguments into a [`RunConfig`], runs the pipeline and the report, and
//! prints where things went. Everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use chrono::NaiveDate;

use crate::cluster::ClusterParams;
use crate::compare::{CompareInput, DateRange};
use crate::config::FileConfig;
use crate::corpus::ReadOptions;
use crate::dedup::DedupParams;
use crate::model::ThemeModel;
use crate::pipeline::{analyze, FitMode, Mode, ModelMode, RunConfig, Settings};
use crate::report;
use crate::text::Language;
use crate::trends::Period;
use crate::vectorize::TfidfParams;

/// The sample corpus shipped in the repository, used when no input is given.
pub const DEFAULT_INPUT: &str = "data/sample";
pub const DEFAULT_OUT: &str = "reports";

#[derive(Debug, Parser)]
#[command(
    name = "tidings",
    version,
    about = "Find the themes in a stream of news articles and track how they rise and fall",
    after_help = "Examples:\n  tidings run                                   # the bundled sample, into reports/\n  tidings run news/ --out reports/news --period day\n  tidings fit archive/ --model themes.model     # fit once...\n  tidings run this-week/ --model themes.model   # ...then keep theme ids week after week\n  tidings compare last-week/ this-week/ --out reports/compare"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cluster articles into themes; write Parquet tables, PNG charts and summary.md.
    #[command(
        after_help = "Examples:\n  tidings run                                   # the bundled sample, into reports/\n  tidings run news/ feed.jsonl.gz --out out --k 12 --period day"
    )]
    Run(RunArgs),
    /// Compare two corpora (e.g. last week and this week): themes fitted on both together,
    /// share changes per theme, rising and falling terms, charts and compare.md.
    #[command(
        after_help = "Examples:\n  tidings compare last-week/ this-week/ --out reports/compare\n  tidings compare feed.jsonl.gz --before 2025-W19 --after 2025-W20\n  tidings compare feed.jsonl.gz --before 2025-05-01..2025-05-14 --after 2025-05-15..2025-05-28"
    )]
    Compare(CompareArgs),
    /// Fit themes and save them as a model, so later runs keep the same theme ids and labels.
    #[command(
        after_help = "Example (a weekly workflow):\n  tidings fit archive/ --model themes.model\n  tidings run this-week/ --model themes.model --out reports/this-week\n  tidings compare last-week/ this-week/ --model themes.model --out reports/compare"
    )]
    Fit(FitArgs),
    /// Assign a new week to a saved model and let new themes form from what it does not cover;
    /// the model file is replaced (atomically) by the grown model.
    #[command(
        after_help = "Example (the weekly loop):\n  tidings fit weeks-1-2/ --model themes.model --out reports/fit\n  tidings update --model themes.model week-3/ --out reports/week-3\n  tidings update --model themes.model week-4/ --out reports/week-4\n  tidings timeline reports/fit reports/week-3 reports/week-4 --out reports/timeline"
    )]
    Update(UpdateArgs),
    /// Lay successive runs' outputs end to end: timeline.parquet (period × theme counts and
    /// shares, births), timeline.png (shares over the window, births marked) and timeline.md
    /// (what rose, fell, was born or faded).
    #[command(
        after_help = "Example:\n  tidings timeline reports/fit reports/week-3 reports/week-4 --out reports/timeline"
    )]
    Timeline(TimelineArgs),
    /// Show or edit a saved model: its themes' names, sizes and terms, and when each was born.
    /// Edits are written back to the model file; ids of the themes not edited never change.
    #[command(
        subcommand,
        after_help = "Examples:\n  tidings model show themes.model\n  tidings model rename themes.model 3 \"Gaza famine\"\n  tidings model merge themes.model 4 7 9\n  tidings model drop themes.model 5"
    )]
    Model(ModelCommand),
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// List the model's themes: id, name, articles when fitted, birth period, top terms.
    Show {
        model: PathBuf,
        /// One JSON object on stdout instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Name theme ID; later runs with the model show this name.
    Rename {
        model: PathBuf,
        id: usize,
        name: String,
    },
    /// Make one theme of several: it keeps the first ID and name; its centroid is theirs
    /// weighted by size. The other ids are retired.
    Merge {
        model: PathBuf,
        #[arg(required = true, num_args = 2..)]
        ids: Vec<usize>,
    },
    /// Remove theme ID: its articles go to the nearest other theme (or are unassigned).
    Drop { model: PathBuf, id: usize },
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The new week's files or folders.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The model to assign to and grow; replaced by the grown model.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Output folders of runs against one model (`fit`, `update`, `run --model`).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Where to write the timeline [default: reports/timeline].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No summary on stdout.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Files or folders to fit the themes on.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where to save the model.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// BEFORE and AFTER (files or folders); or, with --before and --after, the dated input(s)
    /// to split.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The earlier period of a dated input: 2025-W19, 2025-05-12, 2025-05 or FROM..TO.
    #[arg(long, requires = "after")]
    pub before: Option<String>,
    /// The later period of a dated input (same forms as --before).
    #[arg(long, requires = "before")]
    pub after: Option<String>,
    /// Count against the themes of a saved model (from `tidings fit`) instead of fitting.
    #[arg(long, conflicts_with = "k")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Files or folders (read recursively): .txt (scraped pages, split into articles), .jsonl
    /// (one JSON object per line), .csv or .parquet (one article per row); any may be .gz.
    #[arg(default_value = DEFAULT_INPUT)]
    pub inputs: Vec<PathBuf>,
    /// Assign articles to the themes of a saved model (from `tidings fit`) instead of fitting
    /// new ones, so theme ids and labels stay the same from run to run.
    #[arg(long, conflicts_with = "k")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunOptions,
}

/// Options shared by `run`, `compare` and `fit`. Each may also be set in `tidings.toml`
/// (see `--config`); a flag given here wins over the file.
#[derive(Debug, Args)]
pub struct RunOptions {
    /// Config file [default: ./tidings.toml when present].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output folder, created if missing [default: reports].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Number of themes [default: chosen by silhouette].
    #[arg(long)]
    pub k: Option<usize>,
    /// Largest k tried when choosing k automatically [default: 20].
    #[arg(long)]
    pub k_max: Option<usize>,
    /// Random seed: the same input and seed give byte-identical tables [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Time bucket for trend counts; weeks are ISO weeks [default: week].
    #[arg(long, value_enum)]
    pub period: Option<Period>,
    /// Ignore terms found in fewer articles than this [default: 2].
    #[arg(long)]
    pub min_df: Option<usize>,
    /// Ignore terms found in more than this share of articles [default: 0.5].
    #[arg(long)]
    pub max_df: Option<f64>,
    /// LSA dimensions before k-means; 0 clusters the TF-IDF vectors [default: 100].
    #[arg(long)]
    pub dims: Option<usize>,
    /// k-means restarts, each on its own subsample, pooled into a consensus fit and
    /// measuring each theme's stability [default: 40; 4 best-of runs for euclidean].
    #[arg(long)]
    pub restarts: Option<usize>,
    /// k-means variant: spherical (cosine, default) or euclidean (linfa-clustering).
    #[arg(long, value_enum)]
    pub algorithm: Option<crate::cluster::Algorithm>,
    /// Keep duplicate articles instead of setting copies aside.
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Word-shingle Jaccard similarity from which an article is a near-duplicate [default: 0.8].
    #[arg(long)]
    pub duplicate_threshold: Option<f64>,
    /// Field (JSON Lines) or column (CSV, Parquet) holding the article text [default: text].
    #[arg(long)]
    pub text_field: Option<String>,
    /// Field or column holding the headline [default: title].
    #[arg(long)]
    pub title_field: Option<String>,
    /// Field or column holding the publication date [default: date].
    #[arg(long)]
    pub date_field: Option<String>,
    /// Date (YYYY-MM-DD) for articles with none in their record or path.
    #[arg(long)]
    pub date: Option<String>,
    /// With --model: distance to the nearest theme's centroid beyond which an article is
    /// unassigned [default: the model's, the largest distance among the fitted articles].
    #[arg(long)]
    pub max_distance: Option<f64>,
    /// Field holding a ground-truth label: scores the themes against it (NMI, ARI, V-measure,
    /// purity) in summary.md and metrics.parquet.
    #[arg(long)]
    pub label_field: Option<String>,
    /// Unigrams only (no two-word terms).
    #[arg(long)]
    pub no_bigrams: bool,
    /// Language of the articles, for stop words and stemming [default: english].
    #[arg(long, value_enum)]
    pub language: Option<Language>,
    /// An extra stop word (repeat for several); replaces the config file's list.
    #[arg(long = "stop-word", value_name = "WORD")]
    pub stop_words: Vec<String>,
    /// A phrase to keep as one token, e.g. "gaza strip" (repeat for several); replaces the
    /// config file's list.
    #[arg(long = "phrase", value_name = "PHRASE")]
    pub phrases: Vec<String>,
    /// Declared themes: a TOML file of `[[theme]]` entries (`name`, `terms`), fitted first as
    /// themes 0, 1, ... with those names; replaces the config file's `[[theme]]` list.
    #[arg(long, value_name = "FILE")]
    pub themes: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print a machine-readable summary (JSON) on stdout instead of the text one.
    #[arg(long)]
    pub json: bool,
}

/// A saved model and the mode a run uses it in (`Mode::Assign`, `Mode::Update`).
pub type ModelRun = (Arc<ThemeModel>, fn(ModelMode) -> Mode);

impl RunOptions {
    /// The run's settings: each from the flag if given, else the config file, else the
    /// default. Also returns the output folder. With a `model`, the run is made by its mode's
    /// constructor (`Mode::Assign`, `Mode::Update`); without, it is a fit.
    pub fn resolve(
        &self,
        inputs: &[PathBuf],
        model: Option<ModelRun>,
    ) -> Result<(RunConfig, PathBuf)> {
        let (file, path) = FileConfig::find(self.config.as_deref())?;
        let names = file.theme_names().with_context(|| {
            format!(
                "{}: invalid config",
                path.as_deref()
                    .unwrap_or(std::path::Path::new("?"))
                    .display()
            )
        })?;
        let date = match self.date.as_ref().or(file.date.as_ref()) {
            Some(d) => Some(parse_date_arg(d).map_err(|e| anyhow!("--date {e}"))?),
            None => None,
        };
        let algorithm = self.algorithm.or(file.algorithm).unwrap_or_default();
        let pick_list = |flag: &Vec<String>, file: &Option<Vec<String>>| {
            if flag.is_empty() {
                file.clone().unwrap_or_default()
            } else {
                flag.clone()
            }
        };
        let keep_duplicates = self.keep_duplicates || file.keep_duplicates.unwrap_or(false);
        let defaults = Settings::default();
        let settings = Settings {
            read: ReadOptions {
                text_field: self
                    .text_field
                    .clone()
                    .or(file.text_field)
                    .unwrap_or(defaults.read.text_field),
                title_field: self
                    .title_field
                    .clone()
                    .or(file.title_field)
                    .unwrap_or(defaults.read.title_field),
                date_field: self
                    .date_field
                    .clone()
                    .or(file.date_field)
                    .unwrap_or(defaults.read.date_field),
                default_date: date,
                skip_dirs: Vec::new(),
            },
            dedup: (!keep_duplicates).then(|| DedupParams {
                threshold: self
                    .duplicate_threshold
                    .or(file.duplicate_threshold)
                    .unwrap_or(DedupParams::default().threshold),
            }),
            tfidf: TfidfParams {
                min_df: self.min_df.or(file.min_df).unwrap_or(defaults.tfidf.min_df),
                max_df: self.max_df.or(file.max_df).unwrap_or(defaults.tfidf.max_df),
                bigrams: !self.no_bigrams && file.bigrams.unwrap_or(defaults.tfidf.bigrams),
                ..defaults.tfidf
            },
            dims: self.dims.or(file.dims).unwrap_or(defaults.dims),
            cluster: ClusterParams {
                k: self.k.or(file.k),
                k_max: self.k_max.or(file.k_max).unwrap_or(defaults.cluster.k_max),
                seed: self.seed.or(file.seed).unwrap_or(defaults.cluster.seed),
                n_runs: self
                    .restarts
                    .or(file.restarts)
                    .unwrap_or(algorithm.default_restarts()),
                algorithm,
                ..defaults.cluster
            },
            period: self.period.or(file.period).unwrap_or(defaults.period),
            label_field: self.label_field.clone().or(file.label_field),
            language: self.language.or(file.language).unwrap_or(defaults.language),
            stop_words: pick_list(&self.stop_words, &file.stop_words),
            phrases: pick_list(&self.phrases, &file.phrases),
            names,
        };
        let mode = match model {
            Some((model, mode)) => mode(ModelMode {
                model,
                max_distance: self.max_distance.or(file.max_distance),
            }),
            None => Mode::Fit(FitMode {
                seeds: match &self.themes {
                    Some(path) => crate::config::load_seed_themes(path)?,
                    None => file.theme.clone(),
                },
                vocabulary: None,
            }),
        };
        let mut config = RunConfig {
            inputs: inputs.to_vec(),
            settings,
            mode,
            verbose: !self.quiet,
            cancel: INTERRUPTED.get().cloned(),
            scratch: None,
            // `compare` asks for them itself.
            keep_counts: false,
        };
        let out = self.out.clone().or(file.out).unwrap_or(DEFAULT_OUT.into());
        check_out(&out)?;
        config.scratch = Some(scratch_dir(&out));
        if let Ok(real) = std::fs::canonicalize(&out) {
            config.settings.read.skip_dirs.push(real);
        }
        Ok((config, out))
    }
}

/// Where the article texts wait between tokenizing and writing: beside the output, which
/// must have room for them anyway (`articles.parquet` holds them, compressed), rather than in
/// a temporary folder that may be small or held in memory.
fn scratch_dir(out: &std::path::Path) -> PathBuf {
    out.ancestors()
        .skip(1)
        .map(|p| {
            if p.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                p
            }
        })
        .find(|p| p.is_dir())
        .map_or_else(std::env::temp_dir, std::path::Path::to_path_buf)
}

/// An output path that cannot be a folder is refused before the analysis, not after it.
fn check_out(out: &std::path::Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        bail!("--out {}: exists and is not a folder", out.display());
    }
    Ok(())
}

fn parse_date_arg(s: &str) -> std::result::Result<NaiveDate, String> {
    use crate::corpus::{date_in_window, EARLIEST_DATE, LATEST_DATE};
    let d =
        crate::corpus::parse_date(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))?;
    if !date_in_window(d) {
        return Err(format!("{d} is outside {EARLIEST_DATE}..{LATEST_DATE}"));
    }
    Ok(d)
}

fn print_written(written: &[PathBuf]) {
    println!("wrote:");
    for p in written {
        println!("  {}", p.display());
    }
}

fn compare(args: &CompareArgs) -> Result<()> {
    let opts = &args.run;
    let input = match (&args.before, &args.after) {
        (Some(b), Some(a)) => CompareInput::Dated {
            inputs: args.inputs.clone(),
            before: DateRange::parse(b).map_err(|e| anyhow!("--before {e}"))?,
            after: DateRange::parse(a).map_err(|e| anyhow!("--after {e}"))?,
        },
        _ => {
            let [before, after] = args.inputs.as_slice() else {
                bail!(
                    "compare needs exactly two inputs, BEFORE and AFTER (got {}); or one dated \
                     input with --before and --after",
                    args.inputs.len()
                );
            };
            CompareInput::Inputs {
                before: vec![before.clone()],
                after: vec![after.clone()],
            }
        }
    };
    let model = load_model(args.model.as_deref())?.map(|m| (m, Mode::Assign as _));
    let (config, out) = opts.resolve(&args.inputs, model)?;
    let cmp = crate::compare::compare(&config, &input)?;
    let written = write_outputs(config.verbose, &cmp.analysis, Some(&cmp), &out)?;
    if opts.json {
        let mut summary = json_summary(&cmp.analysis, &written);
        summary["comparison"] = serde_json::json!({
            "before": cmp.before_name,
            "after": cmp.after_name,
            "articles_before": cmp.n_before,
            "articles_after": cmp.n_after,
            "themes": cmp.themes.iter().enumerate().map(|(t, ch)| serde_json::json!({
                "theme_id": t,
                "count_before": ch.before,
                "count_after": ch.after,
                "share_change": ch.share_after - ch.share_before,
                "z": ch.z,
                "status": ch.status(),
            })).collect::<Vec<_>>(),
        });
        println!("{summary}");
    } else if !opts.quiet {
        println!(
            "{} → {}: {} articles before, {} after",
            cmp.before_name, cmp.after_name, cmp.n_before, cmp.n_after
        );
        println!("{}", report::summary::accounting(&cmp.analysis));
        for (t, ch) in cmp.themes.iter().enumerate() {
            println!(
                "  T{:<2} {:>5} → {:<5} {:+6.1} points  {}",
                t,
                ch.before,
                ch.after,
                (ch.share_after - ch.share_before) * 100.0,
                cmp.analysis.themes.themes[t].name
            );
        }
        print_written(&written);
    }
    release_at_exit(cmp);
    Ok(())
}

fn load_model(path: Option<&std::path::Path>) -> Result<Option<Arc<ThemeModel>>> {
    Ok(path
        .map(|p| ThemeModel::load(p).map(Arc::new))
        .transpose()?)
}

fn fit(args: &FitArgs) -> Result<()> {
    let opts = &args.run;
    let (config, out) = opts.resolve(&args.inputs, None)?;
    let analysis = analyze(&config)?;
    let model = analysis.model();
    model.save(&args.model)?;
    let written = write_outputs(config.verbose, &analysis, None, &out)?;
    if opts.json {
        let mut summary = json_summary(&analysis, &written);
        summary["model"] = serde_json::json!(args.model.display().to_string());
        println!("{summary}");
    } else if !opts.quiet {
        report_run(&analysis);
        println!(
            "saved {} themes to {} (unassigned beyond distance {:.3})",
            model.k(),
            args.model.display(),
            model.max_distance
        );
        print_written(&written);
    }
    release_at_exit(analysis);
    Ok(())
}

fn update(args: &UpdateArgs) -> Result<()> {
    let opts = &args.run;
    if opts.k.is_some() {
        bail!("--k does not apply to update: the model's themes stay, new ones form as needed");
    }
    let model = Arc::new(ThemeModel::load(&args.model)?);
    let (config, out) = opts.resolve(&args.inputs, Some((model, Mode::Update as _)))?;
    let analysis = analyze(&config)?;
    let grown = analysis.model();
    let written = write_outputs(config.verbose, &analysis, None, &out)?;
    // The outputs first: a model that grew without them would count this week twice when
    // the update is run again.
    grown.save(&args.model)?;
    let born = analysis.formed();
    if opts.json {
        let mut summary = json_summary(&analysis, &written);
        summary["model"] = serde_json::json!(args.model.display().to_string());
        summary["new_themes"] = born
            .iter()
            .map(|t| serde_json::json!({"theme_id": t.id, "name": t.name, "size": t.size}))
            .collect();
        println!("{summary}");
    } else if !opts.quiet {
        report_run(&analysis);
        match born.len() {
            0 => println!("no new theme formed"),
            n => println!("{n} new theme{}:", if n > 1 { "s" } else { "" }),
        }
        for t in born {
            println!("  T{}  {} ({} articles)", t.id, t.name, t.size);
        }
        println!(
            "saved {} themes to {} (next id {})",
            grown.k(),
            args.model.display(),
            grown.next_id
        );
        print_written(&written);
    }
    release_at_exit(analysis);
    Ok(())
}

fn timeline(args: &TimelineArgs) -> Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT).join("timeline"));
    let t = crate::timeline::Timeline::read(&args.runs)?;
    let written = report::timeline::write(&t, &out, INTERRUPTED.get().map(|f| f.as_ref()))?;
    warn_in_place(&out, &written);
    if !args.quiet {
        print!("{}", report::timeline::story(&t));
        print_written(&written.files);
    }
    Ok(())
}

fn edit_model(cmd: &ModelCommand) -> Result<()> {
    match cmd {
        ModelCommand::Show { model, json } => {
            let m = ThemeModel::load(model)?;
            if *json {
                println!("{}", model_json(&m));
            } else {
                print!("{}", model_table(&m));
            }
            Ok(())
        }
        ModelCommand::Rename { model, id, name } => edit_saved(model, |m| {
            m.rename(*id, name)?;
            Ok(format!("theme {id} is now {:?}", name.trim()))
        }),
        ModelCommand::Merge { model, ids } => edit_saved(model, |m| {
            m.merge(ids)?;
            let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            Ok(format!(
                "themes {} are now theme {}",
                list.join(", "),
                ids[0]
            ))
        }),
        ModelCommand::Drop { model, id } => edit_saved(model, |m| {
            m.drop_theme(*id)?;
            Ok(format!("theme {id} removed"))
        }),
    }
}

/// Loads a model, edits it and writes it back in place (atomically); says what it did.
fn edit_saved(
    path: &std::path::Path,
    edit: impl FnOnce(&mut ThemeModel) -> Result<String>,
) -> Result<()> {
    let mut m = ThemeModel::load(path)?;
    let done = edit(&mut m).with_context(|| path.display().to_string())?;
    m.save(path)?;
    println!("{}: {done}", path.display());
    Ok(())
}

/// `tidings model show`: one line per theme.
fn model_table(m: &ThemeModel) -> String {
    use std::fmt::Write;
    let mut s = format!(
        "{} themes, {} terms, {} dimensions; the next new theme gets id {}\n\n",
        m.k(),
        m.vocabulary.len(),
        m.dims,
        m.next_id
    );
    let width = m
        .themes
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        s,
        "{:>4}  {:<width$}  {:>8}  {:<21}  top terms",
        "id", "name", "articles", "born"
    );
    for t in &m.themes {
        let terms: Vec<&str> = t.top_terms.iter().take(6).map(String::as_str).collect();
        let _ = writeln!(
            s,
            "{:>4}  {:<width$}  {:>8}  {:<21}  {}",
            t.id,
            t.name,
            t.size,
            t.born,
            terms.join(", ")
        );
    }
    s
}

fn model_json(m: &ThemeModel) -> serde_json::Value {
    serde_json::json!({
        "themes": m.themes.iter().map(|t| serde_json::json!({
            "theme_id": t.id,
            "name": t.name,
            "label": t.label,
            "size": t.size,
            "born": t.born,
            "top_terms": t.top_terms,
        })).collect::<Vec<_>>(),
        "next_id": m.next_id,
        "terms": m.vocabulary.len(),
        "dims": m.dims,
        "max_distance": m.max_distance,
    })
}

/// The run's summary for scripts: accounting, choice of k, themes, metrics, files written.
fn json_summary(a: &crate::pipeline::Analysis, written: &[PathBuf]) -> serde_json::Value {
    serde_json::json!({
        "articles_read": a.n_read,
        "clustered": a.articles.len(),
        "duplicates": a.duplicates.len(),
        "rejected": a.rejects.len(),
        "k": a.themes.themes.len(),
        "k_choice": a.clustering.choice.describe(a.clustering.k),
        "stability": a.themes.stability(),
        "themes": a.themes.themes.iter().map(|t| serde_json::json!({
            "theme_id": t.id,
            "name": t.name,
            "label": t.label,
            "size": t.size,
            "share": t.share,
            "stability": t.stability,
            "unstable": t.unstable(),
            "top_terms": t.top_terms,
            "representative_ids": t.representatives.iter().map(|&i| &a.articles[i].id).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "metrics": a.metrics.as_ref().map(|m| m.rows().iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>()),
        "timings_seconds": a.timings.iter().map(|(s, d)| (s.to_string(), d.as_secs_f64())).collect::<std::collections::BTreeMap<_, _>>(),
        "outputs": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    })
}

fn report_run(analysis: &crate::pipeline::Analysis) {
    println!("{}", report::summary::accounting(analysis));
    println!(
        "{}",
        analysis.clustering.choice.describe(analysis.clustering.k)
    );
    for t in &analysis.themes.themes {
        println!(
            "  T{:<2} {:>5} articles  {}  ({})",
            t.id, t.size, t.name, t.label
        );
    }
}

/// Writes a command's outputs, logging how long that took with the stages' times.
fn write_outputs(
    verbose: bool,
    a: &crate::pipeline::Analysis,
    cmp: Option<&crate::compare::Comparison>,
    out: &std::path::Path,
) -> Result<Vec<PathBuf>> {
    if interrupted() {
        bail!("interrupted before writing");
    }
    let start = std::time::Instant::now();
    let written = report::write(a, cmp, out, INTERRUPTED.get().map(|f| f.as_ref()))?;
    warn_in_place(out, &written);
    if verbose {
        eprintln!(
            "[{:>7.2}s] write: {} files",
            start.elapsed().as_secs_f64(),
            written.files.len()
        );
    }
    Ok(written.files)
}

/// Says when an output folder could not be swapped in as one unit, and why.
fn warn_in_place(out: &std::path::Path, written: &crate::output::Written) {
    if let Some(why) = &written.in_place {
        eprintln!(
            "warning: {}: files replaced one by one, not swapped in as one unit: {why}",
            out.display()
        );
    }
}

/// Leaves a finished command's analysis to the operating system, which takes back the whole
/// process at once: freeing its millions of small allocations one by one costs time that
/// grows with the corpus.
fn release_at_exit<T>(analysis: T) {
    std::mem::forget(analysis);
}

fn run(args: &RunArgs) -> Result<()> {
    let opts = &args.run;
    let model = load_model(args.model.as_deref())?.map(|m| (m, Mode::Assign as _));
    let (config, out) = opts.resolve(&args.inputs, model)?;
    let analysis = analyze(&config)?;
    let written = write_outputs(config.verbose, &analysis, None, &out)?;
    if opts.json {
        println!("{}", json_summary(&analysis, &written));
    } else if !opts.quiet {
        report_run(&analysis);
        print_written(&written);
    }
    release_at_exit(analysis);
    Ok(())
}

/// Set by Ctrl-C or SIGTERM (see [`stop_on_signals`]); a run checks it between stages.
static INTERRUPTED: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();

fn interrupted() -> bool {
    INTERRUPTED.get().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// Ctrl-C (SIGINT) and SIGTERM stop a run at its next stage instead of killing it mid-write:
/// the files already in place stay whole, temporary files are removed as the run unwinds, and
/// the process exits 130 or 143 with one line. A second signal ends it at once. Returns the
/// flag that says the stop was a SIGTERM.
#[cfg(unix)]
fn stop_on_signals() -> Option<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let stop = Arc::new(AtomicBool::new(false));
    let term = Arc::new(AtomicBool::new(false));
    for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        // Registered first, so it sees the flag as the previous signal left it.
        flag::register_conditional_shutdown(signal, code, stop.clone()).ok()?;
        flag::register(signal, stop.clone()).ok()?;
    }
    flag::register(SIGTERM, term.clone()).ok()?;
    INTERRUPTED.set(stop).ok()?;
    Some(term)
}

/// Input below which a run keeps mimalloc's 1 s purge delay (a gzip file counts four times
/// its size): about 50,000 full-length articles.
#[cfg(target_os = "linux")]
const SMALL_INPUT: u64 = 128 << 20;

/// Sets how memory is paged and returned for a run on `inputs`.
///
/// Transparent huge pages go off: the allocator asks for 2 MiB pages, and on virtual machines
/// that hand freed memory back to the host each one faults heavily, so a run spends much of
/// its time in page faults. On large input, freed memory is returned after 10 ms instead of
/// mimalloc's 1 s: the stages free and allocate hundreds of megabytes in bursts, and the long
/// delay lets a burst's new memory arrive before the old is returned, raising the peak.
/// Returning at once (0 ms) would make every small free a system call. Short runs keep the
/// default delay: returning at once made them a fifth slower at 10,000 articles (measured in
/// docs/quality.md).
/// `MIMALLOC_ALLOW_THP` and `MIMALLOC_PURGE_DELAY`, when set, decide instead.
#[cfg(target_os = "linux")]
fn memory_policy_for(inputs: &[PathBuf]) {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: sets a flag of this process that the kernel reads on page faults; no
        // memory of ours is touched.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
    if !input_is_small(inputs) && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mimalloc reads its options at any time; setting one touches no memory of
        // ours.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}

/// How long freed memory waits before it goes back to the system on large input.
#[cfg(target_os = "linux")]
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// `mi_option_purge_delay` in the `mi_option_t` of the mimalloc that `libmimalloc-sys`
/// builds (its Rust bindings do not name it); a unit test checks it reads that version's
/// default, 1000 ms.
#[cfg(target_os = "linux")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Whether the files `inputs` name (folders walked as reading walks them) hold less than
/// [`SMALL_INPUT`].
#[cfg(target_os = "linux")]
fn input_is_small(inputs: &[PathBuf]) -> bool {
    let total: u64 = crate::corpus::input_files(inputs)
        .iter()
        .map(|file| {
            let len = std::fs::metadata(file).map_or(0, |m| m.len());
            let gz = file.extension().is_some_and(|e| e == "gz");
            len * if gz { 4 } else { 1 }
        })
        .sum();
    total < SMALL_INPUT
}

/// Entry point for the binary: errors are printed with their whole context chain.
/// The library's message in the command line's words: each setting it names (`` `min_df` ``)
/// as the flag that sets it (`--min-df`).
fn with_flags(message: &str) -> String {
    use clap::CommandFactory;
    let cli = Cli::command();
    let flags: std::collections::BTreeSet<String> = cli
        .get_subcommands()
        .flat_map(|c| c.get_arguments())
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect();
    crate::error::Error::with_flags(message, |setting| {
        let flag = setting.replace('_', "-");
        flags.contains(&flag).then(|| format!("--{flag}"))
    })
}

pub fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away
    // (`tidings run | head -1`) instead of panicking on the failed print: Rust ignores
    // SIGPIPE by default. The outputs are written before anything is printed.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    #[cfg(unix)]
    let term = stop_on_signals();
    let cli = Cli::parse();
    #[cfg(target_os = "linux")]
    match &cli.command {
        Command::Run(RunArgs { inputs, .. })
        | Command::Compare(CompareArgs { inputs, .. })
        | Command::Fit(FitArgs { inputs, .. })
        | Command::Update(UpdateArgs { inputs, .. }) => memory_policy_for(inputs),
        Command::Timeline(_) | Command::Model(_) => {}
    }
    let result = match &cli.command {
        Command::Run(args) => run(args),
        Command::Compare(args) => compare(args),
        Command::Fit(args) => fit(args),
        Command::Update(args) => update(args),
        Command::Timeline(args) => timeline(args),
        Command::Model(cmd) => edit_model(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        #[cfg(unix)]
        Err(e) if interrupted() => {
            let by_term = term.is_some_and(|t| t.load(Ordering::Relaxed));
            eprintln!(
                "tidings: stopped by {} ({e:#}); nothing more was written",
                if by_term { "SIGTERM" } else { "Ctrl-C" }
            );
            ExitCode::from(if by_term { 143 } else { 130 })
        }
        Err(e) => {
            eprintln!("error: {}", with_flags(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Small pages only below the threshold, counting a folder's files (once, through a
    /// link loop), gzip at four times its size, and nothing for a path that is not there
    /// (the run reports it).
    #[test]
    fn small_inputs_are_told_from_large_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = |name: &str, len: u64| {
            let path = dir.path().join(name);
            // Sparse: the sizes cost no disk.
            std::fs::File::create(&path)
                .and_then(|f| f.set_len(len))
                .expect("file");
            path
        };
        let small = file("week.jsonl", 30 << 20);
        let large = file("archive.jsonl", SMALL_INPUT);
        let packed = file("archive.jsonl.gz", SMALL_INPUT / 3);
        let missing = dir.path().join("missing.jsonl");
        assert!(input_is_small(std::slice::from_ref(&small)));
        assert!(input_is_small(&[small.clone(), missing.clone()]));
        assert!(!input_is_small(std::slice::from_ref(&large)));
        assert!(!input_is_small(std::slice::from_ref(&packed)));
        assert!(!input_is_small(&[
            small.clone(),
            file("more.jsonl", SMALL_INPUT - (20 << 20))
        ]));
        assert!(!input_is_small(&[dir.path().to_path_buf()]));
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("folder");
        std::fs::rename(&small, sub.join("week.jsonl")).expect("move");
        // A link back to the folder itself is walked once.
        std::os::unix::fs::symlink(&sub, sub.join("again")).expect("link");
        assert!(input_is_small(&[sub]));
    }

    /// The option index names mimalloc's purge delay: it reads that version's default (1000
    /// ms), and setting it reads back. Another option at that index would read otherwise
    /// (the neighbours default to 0 or 1).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads and sets an option of the linked mimalloc; no memory is touched.
        unsafe {
            assert_eq!(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY), 1000);
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 25);
            assert_eq!(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY), 25);
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000);
        }
    }
}
