//! Command line: parses arguments into a [`RunConfig`], runs the pipeline and the report, and
//! prints where things went. Everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Parser, Subcommand};

use chrono::NaiveDate;

use crate::cluster::ClusterParams;
use crate::compare::{CompareInput, DateRange};
use crate::corpus::ReadOptions;
use crate::dedup::DedupParams;
use crate::model::ThemeModel;
use crate::pipeline::{analyze, RunConfig};
use crate::report;
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
    after_help = "Example:\n  tidings run data/sample --out reports --period week"
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

/// Options shared by `run` and `compare`.
#[derive(Debug, Args)]
pub struct RunOptions {
    /// Output folder, created if missing.
    #[arg(long, short, default_value = DEFAULT_OUT)]
    pub out: PathBuf,
    /// Number of themes; chosen by silhouette when omitted.
    #[arg(long)]
    pub k: Option<usize>,
    /// Largest k tried when choosing k automatically.
    #[arg(long, default_value_t = 20)]
    pub k_max: usize,
    /// Random seed: the same input and seed give byte-identical tables.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Time bucket for trend counts (weeks are ISO weeks).
    #[arg(long, value_enum, default_value_t = Period::Week)]
    pub period: Period,
    /// Ignore terms found in fewer articles than this.
    #[arg(long, default_value_t = 2)]
    pub min_df: usize,
    /// Ignore terms found in more than this share of articles.
    #[arg(long, default_value_t = 0.5)]
    pub max_df: f64,
    /// LSA dimensions before k-means; 0 clusters the raw TF-IDF vectors.
    #[arg(long, default_value_t = 100)]
    pub dims: usize,
    /// k-means restarts; the lowest-inertia run wins.
    #[arg(long, default_value_t = 10)]
    pub restarts: usize,
    /// Keep duplicate articles instead of setting copies aside.
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Estimated word-shingle Jaccard similarity from which an article is a near-duplicate.
    #[arg(long, default_value_t = 0.8)]
    pub duplicate_threshold: f64,
    /// Field (JSON Lines) or column (CSV, Parquet) holding the article text.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Field or column holding the headline.
    #[arg(long, default_value = "title")]
    pub title_field: String,
    /// Field or column holding the publication date.
    #[arg(long, default_value = "date")]
    pub date_field: String,
    /// Date (YYYY-MM-DD) for articles with none in their record or path.
    #[arg(long, value_parser = parse_date_arg)]
    pub date: Option<NaiveDate>,
    /// With --model: distance to the nearest theme's centroid beyond which an article is
    /// unassigned (default: the model's, the largest distance among the fitted articles).
    #[arg(long)]
    pub max_distance: Option<f64>,
    /// Field holding a ground-truth label: scores the themes against it (NMI, ARI, V-measure,
    /// purity) in summary.md and metrics.parquet.
    #[arg(long)]
    pub label_field: Option<String>,
    /// Unigrams only (no two-word terms).
    #[arg(long)]
    pub no_bigrams: bool,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print a machine-readable summary (JSON) on stdout instead of the text one.
    #[arg(long)]
    pub json: bool,
}

impl RunOptions {
    pub fn config(&self, inputs: &[PathBuf]) -> RunConfig {
        RunConfig {
            inputs: inputs.to_vec(),
            read: ReadOptions {
                text_field: self.text_field.clone(),
                title_field: self.title_field.clone(),
                date_field: self.date_field.clone(),
                default_date: self.date,
            },
            dedup: (!self.keep_duplicates).then_some(DedupParams {
                threshold: self.duplicate_threshold,
            }),
            tfidf: TfidfParams {
                min_df: self.min_df,
                max_df: self.max_df,
                sublinear_tf: true,
                bigrams: !self.no_bigrams,
            },
            dims: self.dims,
            cluster: ClusterParams {
                k: self.k,
                k_max: self.k_max,
                seed: self.seed,
                n_runs: self.restarts.max(1),
                ..ClusterParams::default()
            },
            period: self.period,
            model: None,
            max_distance: self.max_distance,
            label_field: self.label_field.clone(),
            verbose: !self.quiet,
        }
    }
}

fn parse_date_arg(s: &str) -> Result<NaiveDate, String> {
    crate::corpus::parse_date(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
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
    let mut config = opts.config(&args.inputs);
    config.model = load_model(args.model.as_deref())?;
    let cmp = crate::compare::compare(&config, &input)?;
    let mut written = report::write_all(&cmp.analysis, &opts.out)?;
    written.extend(report::comparison::write(&cmp, &opts.out)?);
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
                cmp.analysis.themes.themes[t].label
            );
        }
        print_written(&written);
    }
    Ok(())
}

fn load_model(path: Option<&std::path::Path>) -> Result<Option<Arc<ThemeModel>>> {
    path.map(|p| ThemeModel::load(p).map(Arc::new)).transpose()
}

fn fit(args: &FitArgs) -> Result<()> {
    let opts = &args.run;
    let analysis = analyze(&opts.config(&args.inputs))?;
    let model = ThemeModel::from_analysis(&analysis);
    model.save(&args.model)?;
    let written = report::write_all(&analysis, &opts.out)?;
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
    Ok(())
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
        "themes": a.themes.themes.iter().map(|t| serde_json::json!({
            "theme_id": t.id,
            "label": t.label,
            "size": t.size,
            "share": t.share,
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
        println!("  T{:<2} {:>5} articles  {}", t.id, t.size, t.label);
    }
}

fn run(args: &RunArgs) -> Result<()> {
    let opts = &args.run;
    let mut config = opts.config(&args.inputs);
    config.model = load_model(args.model.as_deref())?;
    let analysis = analyze(&config)?;
    let written = report::write_all(&analysis, &opts.out)?;
    if opts.json {
        println!("{}", json_summary(&analysis, &written));
    } else if !opts.quiet {
        report_run(&analysis);
        print_written(&written);
    }
    Ok(())
}

/// Entry point for the binary: errors are printed with their whole context chain.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => run(args),
        Command::Compare(args) => compare(args),
        Command::Fit(args) => fit(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
