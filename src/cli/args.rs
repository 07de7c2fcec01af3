//! The arguments: every subcommand's flags, and how they resolve (flag, then `tidings.toml`,
//! then the default in [`Settings`]) into a [`RunConfig`].

use super::*;

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
        #[command(flatten)]
        wait: Wait,
    },
    /// Make one theme of several: it keeps the first ID and name; its centroid is theirs
    /// weighted by size. The other ids are retired.
    Merge {
        model: PathBuf,
        #[arg(required = true, num_args = 2..)]
        ids: Vec<usize>,
        #[command(flatten)]
        wait: Wait,
    },
    /// Remove theme ID: its articles go to the nearest other theme (or are unassigned).
    Drop {
        model: PathBuf,
        id: usize,
        #[command(flatten)]
        wait: Wait,
    },
}

/// What a writer of a model does when another holds it.
#[derive(Debug, Args)]
pub struct Wait {
    /// Fail at once if another tidings is updating or editing the model, instead of
    /// waiting for it to finish.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The new week's files or folders.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The model to assign to and grow; replaced by the grown model.
    #[arg(long)]
    pub model: PathBuf,
    /// Re-do the model's last update (the same week again, corrected or completed): the
    /// model is updated from its state before that update, so nothing is counted twice.
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub wait: Wait,
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
    /// Cosine similarity of an article's terms to a story's from which it joins the story
    /// [default: 0.18].
    #[arg(long)]
    pub story_threshold: Option<f64>,
    /// Days without an article after which a story is over [default: 7].
    #[arg(long, value_name = "DAYS")]
    pub story_window: Option<u32>,
    /// Days within which a story that went quiet is rejoined by a later one told in the same
    /// rare words; 0: never [default: 45].
    #[arg(long, value_name = "DAYS")]
    pub story_rejoin: Option<u32>,
    /// Days from a story's first article after which it grows harder to join: its threshold
    /// rises by half of itself for every as many days more; 0: never [default: 10].
    #[arg(long, value_name = "DAYS")]
    pub story_age: Option<u32>,
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
    /// The flags as a layer of settings, named as `tidings.toml` names them: what was given
    /// on the command line, and nothing else.
    fn as_layer(&self) -> FileConfig {
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        FileConfig {
            out: self.out.clone(),
            k: self.k,
            k_max: self.k_max,
            seed: self.seed,
            period: self.period,
            min_df: self.min_df,
            max_df: self.max_df,
            dims: self.dims,
            restarts: self.restarts,
            algorithm: self.algorithm,
            keep_duplicates: self.keep_duplicates.then_some(true),
            duplicate_threshold: self.duplicate_threshold,
            story_threshold: self.story_threshold,
            story_window: self.story_window,
            story_rejoin: self.story_rejoin,
            story_age: self.story_age,
            text_field: self.text_field.clone(),
            title_field: self.title_field.clone(),
            date_field: self.date_field.clone(),
            date: self.date.clone(),
            max_distance: self.max_distance,
            label_field: self.label_field.clone(),
            bigrams: self.no_bigrams.then_some(false),
            language: self.language,
            stop_words: list(&self.stop_words),
            phrases: list(&self.phrases),
            names: None,
            theme: Vec::new(),
        }
    }

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
        let flags = self.as_layer();
        let mut settings = Settings::layered(&[&flags, &file])?;
        settings.names = names;
        let mut notes = Vec::new();
        if model.is_some() {
            let mut given = crate::settings::fixed_by_model(&flags);
            if self.themes.is_some() {
                given.push("themes");
            }
            if !given.is_empty() {
                let named: Vec<String> = given.iter().map(|s| format!("`{s}`")).collect();
                return Err(crate::error::Error::Settings(format!(
                    "{} cannot be given with `model`: the model fixed its vocabulary, \
                     projection and themes when it was fitted",
                    named.join(", ")
                ))
                .into());
            }
            let from_file = crate::settings::fixed_by_model(&file);
            if !from_file.is_empty() {
                notes.push(format!(
                    "{} sets {}, which a model fixes: the model's are used",
                    path.as_deref()
                        .unwrap_or(std::path::Path::new(crate::config::DEFAULT_FILE))
                        .display(),
                    from_file.join(", ")
                ));
            }
        }
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
            notes,
            verbose: !self.quiet,
            cancel: INTERRUPTED.get().cloned(),
            scratch: None,
            scratch_from: SCRATCH_FROM,
            spans_below: SPANS_BELOW,
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

/// Article texts, in bytes, from which a run sets them aside in a scratch file: about 30,000
/// full-length articles. All of Reuters (16 MB of text) stays in memory, which spares it
/// writing the file and reading every text back: 1.02 s against 1.05 s at k 20, medians of 11
/// alternating runs, for about 7 MB more at the peak.
const SCRATCH_FROM: u64 = 64 << 20;

/// Texts under this many bytes in all keep their tokens' spans for naming
/// ([`RunConfig::spans_below`]): those the scratch file does not take, so a kept span's text
/// is always in memory. On all of Reuters naming the stories then analyses no text
/// a second time: the stories stage went from 0.13 to 0.08 s and the run 5% faster (paired
/// median of 20), for 11 MB of spans (1.4 million tokens). A larger corpus would hold them
/// at its peak (at a million full-length articles, more than a gigabyte): the scratch file
/// keeps them instead, as notes of two bytes a token beside the texts.
const SPANS_BELOW: u64 = SCRATCH_FROM;

/// Where the article texts wait between tokenizing and writing: beside the output, which
/// must have room for them anyway (`articles.parquet` holds them, compressed), rather than in
/// a temporary folder that may be small or held in memory.
pub(super) fn scratch_dir(out: &std::path::Path) -> PathBuf {
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
pub(super) fn check_out(out: &std::path::Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        bail!("--out {}: exists and is not a folder", out.display());
    }
    Ok(())
}
