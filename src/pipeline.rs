//! The pipeline: corpus → text → vectorize → reduce → cluster → themes → trends, each stage
//! owned by its module; this one only wires them in order and times them.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{Context, Result};
use crate::fail;
use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::cluster::Clustering;
use crate::config::SeedTheme;
use crate::corpus::{self, day_number, Article, Corpus, Reject, Scratch, TextStore};
use crate::dedup::{find_duplicates, DedupParams};
use crate::evaluate::{evaluate, Metrics};
use crate::model::{Absorbed, Joined, Ledger, SavedTheme, ThemeModel, Undo};
use crate::reduce::Lsa;
pub use crate::settings::Settings;
use crate::stories::{Grouping, Stories, StoryInput};
use crate::text::{Analyzer, SurfaceForms, TokenCache};
use crate::themes::{build_themes, Texts, Theme, ThemeSet};
use crate::tree::ThemeTree;
use crate::trends::Trends;
use crate::vectorize::{
    select_rows, stem_names, Doc, Leads, Sparse, StemNames, TfidfModel, ValidTfidfParams, Weighted,
};

/// What a run does with the articles it reads. Each mode carries what only it uses, so a run
/// cannot be asked to grow a model it does not have, or to declare themes a model fixes.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Fit new themes (`tidings run`, `tidings fit`).
    Fit(FitMode),
    /// Assign the articles to a saved model's themes (`run --model`): ids and names stay
    /// those of the model; articles far from every theme are unassigned.
    Assign(ModelMode),
    /// Assign, and let new themes form from the articles the model does not cover
    /// (`tidings update`; see [`ThemeModel::grow`]).
    Update(ModelMode),
}

impl Default for Mode {
    fn default() -> Self {
        Mode::Fit(FitMode::default())
    }
}

#[derive(Debug, Clone, Default)]
pub struct FitMode {
    /// Themes declared with seed terms (`[[theme]]`), fitted first as themes 0, 1, ...
    pub seeds: Vec<SeedTheme>,
    /// A vocabulary whose document frequencies were counted over a whole corpus (by Spark,
    /// see [`document_frequencies`]) for a fit on a sample of it: used instead of the
    /// articles' own counts.
    pub vocabulary: Option<Arc<TfidfModel>>,
}

#[derive(Debug, Clone)]
pub struct ModelMode {
    pub model: Arc<ThemeModel>,
    /// Distance beyond which an article is unassigned; the model's own threshold when `None`.
    pub max_distance: Option<f64>,
}

impl Mode {
    /// The saved model a run assigns to or updates.
    pub fn model(&self) -> Option<&Arc<ThemeModel>> {
        self.model_mode().map(|m| &m.model)
    }

    /// The distance beyond which an article is unassigned, in a run with a model.
    pub fn max_distance(&self) -> Option<f64> {
        self.model_mode()
            .map(|m| m.max_distance.unwrap_or(m.model.max_distance))
    }

    fn model_mode(&self) -> Option<&ModelMode> {
        match self {
            Mode::Fit(_) => None,
            Mode::Assign(m) | Mode::Update(m) => Some(m),
        }
    }

    /// The themes declared for a fit (none with a model: its themes are fixed).
    pub fn seeds(&self) -> &[SeedTheme] {
        match self {
            Mode::Fit(f) => &f.seeds,
            _ => &[],
        }
    }
}

/// A run: its inputs, the user's settings, its mode, and how it is carried out (none of
/// which changes a table).
#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    pub inputs: Vec<PathBuf>,
    pub settings: Settings,
    pub mode: Mode,
    /// Warnings about the settings, found before the run (a config file's values a model
    /// overrides); reported with the run's own.
    pub notes: Vec<String>,
    /// Progress lines on stderr.
    pub verbose: bool,
    /// Set from another thread (a Python `KeyboardInterrupt`) to stop the run at the next
    /// stage boundary with an error.
    pub cancel: Option<Arc<AtomicBool>>,
    /// A folder for a scratch file that holds the article texts from tokenizing until they
    /// are written, and beside them where their tokens are (see [`TextStore`]; about 2 bytes
    /// a token: 340 MB at a million full-length articles); `None` keeps them in memory, in
    /// [`Analysis::articles`].
    pub scratch: Option<PathBuf>,
    /// Texts of fewer bytes than this in all stay in memory even with a `scratch` folder:
    /// writing them out and reading each back costs more than the memory they take.
    pub scratch_from: u64,
    /// Texts of fewer bytes than this in all keep where each token was written (8 bytes a
    /// token, about two thirds of the texts' own size), for naming to read how terms are
    /// written without analysing the texts again; 0 never keeps them. Larger texts set
    /// aside in a scratch file have them noted there instead (2 bytes a token). Changes no
    /// table. Meant to be at most `scratch_from`: naming reads a spilled text back for every
    /// batch of terms it looks up in it.
    pub spans_below: u64,
    /// Count every term and keep the counts in [`Analysis::counts`] (a comparison reads
    /// them). A run counts only the single words clustering and the stories read, and drops
    /// them after the story pass.
    pub keep_counts: bool,
}

impl RunConfig {
    /// The settings that can be refused before anything is read, so that a bad flag does not
    /// wait for a large corpus to be read first. Returns the checked TF-IDF parameters the
    /// vectorizing stage takes.
    pub fn check(&self) -> Result<ValidTfidfParams> {
        let s = &self.settings;
        let tfidf = s.tfidf.check()?;
        if let Some(dedup) = &s.dedup {
            dedup.check()?;
        }
        s.stories.check()?;
        if let Mode::Update(_) = &self.mode {
            // New themes are clustered with them.
            s.cluster.check_options()?;
        }
        if let Mode::Fit(fit) = &self.mode {
            s.cluster.check_options()?;
            crate::config::check_seed_themes(&fit.seeds)?;
            if let Some(k) = s.cluster.k.filter(|&k| k < fit.seeds.len()) {
                return Err(crate::cluster::ClusterError::FewerThanSeeds {
                    k,
                    seeds: fit.seeds.len(),
                }
                .into());
            }
        }
        Ok(tfidf)
    }

    /// The analyzer the run's articles are read with: a saved model's vocabulary only makes
    /// sense with the analyzer it was fitted with.
    pub fn analyzer(&self) -> Analyzer {
        match self.mode.model() {
            Some(m) => m.analyzer(),
            None => self.settings.analyzer(),
        }
    }
}

/// The result of a run: the clustered articles and all the pipeline learned about them.
#[derive(Debug)]
pub struct Analysis {
    pub config: RunConfig,
    /// Articles that were clustered, in input order; their `text` is empty when
    /// `config.scratch` set it aside in `texts` (read it with [`Analysis::text`]).
    pub articles: Vec<Article>,
    pub texts: TextStore,
    /// How many times each clustered article was seen (1 + its dropped copies).
    pub times_seen: Vec<usize>,
    /// Copies set aside, each pointing at the clustered article it repeats.
    pub duplicates: Vec<DuplicateRecord>,
    /// Per copy, the position in `articles` of the article it repeats (`None` if that one was
    /// rejected).
    pub copy_of: Vec<Option<usize>>,
    /// Inputs that could not be clustered, with their reasons.
    pub rejects: Vec<Reject>,
    pub warnings: Vec<String>,
    /// Articles read in total: clustered + duplicates + rejected.
    pub n_read: usize,
    pub model: TfidfModel,
    /// Raw term counts of the clustered articles (articles × vocabulary), when
    /// [`RunConfig::keep_counts`] asked for them.
    pub counts: Option<Sparse>,
    /// Per clustered article: share of its TF-IDF mass on vocabulary terms.
    pub coverage: Vec<f64>,
    pub surfaces: SurfaceForms,
    pub lsa: Option<Lsa>,
    pub clustering: Clustering,
    pub themes: ThemeSet,
    /// The events under the themes: every clustered article is in one story.
    pub stories: Stories,
    /// The periods each theme was born in (`1987-W10..1987-W11`): this run's span for a
    /// fitted or newly formed theme, the model's record for a saved one, empty for the
    /// unassigned.
    pub born: Vec<String>,
    /// Themes formed by this run from articles the model did not cover (an update): the
    /// positions just after the model's own (see [`Analysis::formed`]).
    pub new_themes: usize,
    /// In an update, what the articles that joined the saved themes add to them.
    pub joined: Option<Joined>,
    /// The themes grouped by closeness (not the unassigned of a model run).
    pub tree: ThemeTree,
    pub trends: Trends,
    /// Scores against `config.label_field`, when given and present.
    pub metrics: Option<Metrics>,
    /// Wall time per stage, in pipeline order.
    pub timings: Vec<(&'static str, Duration)>,
    /// A hash of the clustered articles' ids and titles, in order: the same input gives the
    /// same one (a model's ledger records it; a fit's identity is made from it).
    pub fingerprint: u64,
}

/// Per copy set aside, the clustered article it repeats (the first of that id); `None` when
/// that article was rejected later (no vocabulary term).
fn originals(articles: &[Article], duplicates: &[DuplicateRecord]) -> Vec<Option<usize>> {
    let index: std::collections::HashMap<&str, usize> = articles
        .iter()
        .enumerate()
        .rev()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    duplicates
        .iter()
        .map(|d| index.get(d.duplicate_of.as_str()).copied())
        .collect()
}

/// Per clustered article (of `n`), the sources of the copies of it that were set aside.
fn copy_sources<'a>(
    n: usize,
    duplicates: &'a [DuplicateRecord],
    copy_of: &[Option<usize>],
) -> Vec<Vec<&'a str>> {
    let mut out = vec![Vec::new(); n];
    for (d, &i) in duplicates.iter().zip(copy_of) {
        if let Some(i) = i {
            out[i].push(d.source.as_str());
        }
    }
    out
}

impl Analysis {
    /// Per clustered article, the sources of the copies of it that were set aside.
    pub fn copy_sources(&self) -> Vec<Vec<&str>> {
        copy_sources(self.articles.len(), &self.duplicates, &self.copy_of)
    }

    /// Clustered article `i`'s text, wherever it is held.
    pub fn text(&self, i: usize) -> std::io::Result<std::borrow::Cow<'_, str>> {
        self.texts.text(&self.articles, i)
    }

    /// What a reader is shown to recognise article `i`: its title, or for an untitled one the
    /// start of its text (its id if that cannot be read back).
    pub fn headline(&self, i: usize, chars: usize) -> String {
        let a = &self.articles[i];
        if !a.title.is_empty() {
            return a.title.clone();
        }
        match self.text(i) {
            Ok(t) => t.chars().take(chars).collect(),
            Err(_) => a.id.clone(),
        }
    }

    /// What this run learned, to assign later articles to its themes (`tidings fit`). A run
    /// with a model gives that model back (grown, for an update): its themes are the model's,
    /// and the unassigned are no theme to save.
    pub fn model(&self) -> ThemeModel {
        match &self.config.mode {
            Mode::Fit(_) => self.fitted_model(),
            Mode::Assign(m) => m.model.as_ref().clone(),
            Mode::Update(m) => self.updated_model(&m.model),
        }
    }

    /// The model of a fit: the fitted parts of each stage, centroids in theme-id order.
    fn fitted_model(&self) -> ThemeModel {
        let a = self;
        let c = &a.clustering;
        let dims = c.centroids.ncols();
        let centroids = a
            .themes
            .cluster_of
            .iter()
            .flat_map(|&cl| c.centroids.row(cl).to_vec())
            .collect();
        let (lsa_columns, lsa_components, lsa_dims, singular_values) = match &a.lsa {
            Some(l) => (
                l.columns.clone(),
                l.components.iter().copied().collect(),
                l.dims(),
                l.singular_values.clone(),
            ),
            None => (Vec::new(), Vec::new(), 0, Vec::new()),
        };
        let spreads = self.spreads();
        ThemeModel {
            language: a.config.settings.language,
            stop_words: a.config.settings.stop_words.clone(),
            phrases: a.config.settings.phrases.clone(),
            vocabulary: a.model.vocabulary.clone(),
            idf: a.model.idf.clone(),
            df: a.model.df.clone(),
            n_docs: a.model.n_docs,
            sublinear_tf: a.model.sublinear_tf(),
            bigrams: a.model.bigrams(),
            lsa_columns,
            lsa_components,
            lsa_dims,
            singular_values,
            centroids,
            dims,
            themes: (0..a.themes.themes.len())
                .map(|p| self.saved_theme(p, spreads[p]))
                .collect(),
            next_id: a.themes.themes.iter().map(|t| t.id + 1).max().unwrap_or(0),
            max_distance: c.distances.iter().copied().fold(0.0, f64::max),
            min_coverage: a.coverage.iter().copied().fold(1.0, f64::min),
            seed: a.config.settings.cluster.seed,
            ledger: Ledger {
                id: self.fit_id(),
                entries: vec![self.absorbed("fit")],
                undo: None,
            },
            threads: self.stories.threads.clone(),
        }
    }

    /// The identity of the model this run fitted or used (see [`Ledger::id`]); `None` for a
    /// model saved before models had one.
    pub fn model_id(&self) -> Option<u64> {
        match self.config.mode.model() {
            None => Some(self.fit_id()),
            Some(m) => (m.ledger.id != 0).then_some(m.ledger.id),
        }
    }

    /// A fit's identity: its articles, vocabulary, themes and seed.
    fn fit_id(&self) -> u64 {
        use std::hash::Hasher;
        let mut h = rustc_hash::FxHasher::default();
        h.write_u64(self.fingerprint);
        h.write_usize(self.model.n_terms());
        h.write_usize(self.themes.themes.len());
        h.write_u64(self.config.settings.cluster.seed);
        self.clustering
            .centroids
            .iter()
            .for_each(|c| h.write_u64(c.to_bits()));
        h.finish().max(1)
    }

    /// The days this run's dated articles fall on (days since 1970-01-01), distinct.
    pub fn absorbed_days(&self) -> Vec<i32> {
        days_of(&self.articles)
    }

    /// This run's entry in a model's ledger.
    fn absorbed(&self, kind: &str) -> Absorbed {
        Absorbed {
            kind: kind.to_string(),
            periods: self.trends.span(),
            days: days_of(&self.articles),
            articles: self.articles.len(),
            fingerprint: self.fingerprint,
            inputs: input_names(&self.config),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// Each theme's mean and 95th-percentile distance of its articles to its centroid.
    fn spreads(&self) -> Vec<(f64, f64)> {
        let mut by_theme: Vec<Vec<f64>> = vec![Vec::new(); self.themes.themes.len()];
        for (&t, &d) in self
            .themes
            .assignments
            .iter()
            .zip(&self.clustering.distances)
        {
            by_theme[t].push(d);
        }
        by_theme
            .into_iter()
            .map(|mut d| {
                if d.is_empty() {
                    return (0.0, 0.0);
                }
                d.sort_by(f64::total_cmp);
                let mean = d.iter().sum::<f64>() / d.len() as f64;
                (mean, d[((d.len() - 1) as f64 * 0.95).round() as usize])
            })
            .collect()
    }

    /// The theme at position `p` as a model keeps it.
    fn saved_theme(&self, p: usize, (spread, radius): (f64, f64)) -> SavedTheme {
        let t = &self.themes.themes[p];
        SavedTheme {
            id: t.id,
            name: t.name.clone(),
            label: t.label.clone(),
            top_terms: t.top_terms.clone(),
            size: t.size,
            born: self.born[p].clone(),
            spread,
            radius,
        }
    }

    /// The themes this run formed from articles its model did not cover (an update).
    pub fn formed(&self) -> &[Theme] {
        let k = self.config.mode.model().map_or(0, |m| m.k());
        &self.themes.themes[k..k + self.new_themes]
    }

    /// The model `saved` grown by this run (`tidings update`, a run with `grow`): each saved
    /// theme keeps its id and name and absorbs the articles that joined it
    /// ([`ThemeModel::absorb`]); the themes formed here are added with the next ids and this
    /// run's periods as their birth.
    pub fn updated_model(&self, saved: &ThemeModel) -> ThemeModel {
        let mut m = saved.clone();
        m.ledger.undo = Some(Undo {
            centroids: saved.centroids.clone(),
            themes: saved.themes.clone(),
            next_id: saved.next_id,
            threads: saved.threads.clone(),
        });
        m.ledger.entries.push(self.absorbed("update"));
        m.threads = self.stories.threads.clone();
        if let Some(joined) = &self.joined {
            m.absorb(joined);
        }
        let formed = self.spreads().into_iter().enumerate().skip(saved.k());
        for (p, spread) in formed.take(self.new_themes) {
            let centroid = self.clustering.centroids.row(self.themes.cluster_of[p]);
            let id = m.add_theme(self.saved_theme(p, spread), &centroid.to_vec());
            debug_assert_eq!(id, self.themes.themes[p].id);
        }
        m
    }

    /// The readable form of vocabulary term `t` ("food security", not "food secur").
    pub fn term_name(&self, t: usize) -> String {
        self.surfaces.surface(&self.model.vocabulary[t])
    }
}

/// A dropped copy, with enough to find it in the input and the article it repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateRecord {
    pub article_id: String,
    pub file: String,
    pub line: Option<u64>,
    pub title: String,
    pub duplicate_of: String,
    pub similarity: f64,
    pub exact: bool,
    /// Where the copy came from: its input `source` field, else its file.
    pub source: String,
    /// Whether the input gave a `source` field.
    pub has_source: bool,
}

/// Times the stages and tells the user where the run is: a spinner naming the current stage
/// when stderr is a terminal, one plain line per finished stage either way (unless quiet).
pub struct StageTimer {
    start: Instant,
    timings: Vec<(&'static str, Duration)>,
    verbose: bool,
    bar: Option<ProgressBar>,
    cancel: Option<Arc<AtomicBool>>,
}

impl StageTimer {
    /// Starts timing; the first stage is reading.
    pub fn new(verbose: bool) -> StageTimer {
        let bar = (verbose && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message("reading");
            bar
        });
        StageTimer {
            start: Instant::now(),
            timings: Vec::new(),
            verbose,
            bar,
            cancel: None,
        }
    }

    /// The timer of a run with `config`'s verbosity, which stops the run between stages once
    /// `config.cancel` is set.
    pub fn for_run(config: &RunConfig) -> StageTimer {
        let mut timer = StageTimer::new(config.verbose);
        timer.cancel = config.cancel.clone();
        timer
    }

    /// Ends `stage` (logging its time and `note`) and names the one that starts now.
    fn lap(
        &mut self,
        stage: &'static str,
        note: impl FnOnce() -> String,
        next: &str,
    ) -> Result<()> {
        let elapsed = self.start.elapsed();
        self.end(stage, elapsed, note, next)?;
        self.start = Instant::now();
        Ok(())
    }

    /// Ends stages that ran side by side, each with its own time and note (their times
    /// overlap), and names the one that starts now.
    fn beside<const N: usize>(
        &mut self,
        stages: [(&'static str, Duration, String); N],
        next: &str,
    ) -> Result<()> {
        for (stage, took, note) in stages {
            self.end(stage, took, || note, next)?;
        }
        self.start = Instant::now();
        Ok(())
    }

    /// Records `stage`'s time, logs it with `note` and memory, names the next stage; stops
    /// a cancelled run.
    fn end(
        &mut self,
        stage: &'static str,
        elapsed: Duration,
        note: impl FnOnce() -> String,
        next: &str,
    ) -> Result<()> {
        if let Some(cancel) = &self.cancel {
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                fail!(Cancelled, "interrupted during {stage}");
            }
        }
        if self.verbose {
            let memory = memory_mib()
                .map(|(now, peak)| format!(" [{now} MiB, peak {peak} MiB]"))
                .unwrap_or_default();
            let line = format!(
                "[{:>7.2}s] {stage}: {}{memory}",
                elapsed.as_secs_f64(),
                note()
            );
            match &self.bar {
                Some(bar) => {
                    bar.println(line);
                    bar.set_message(next.to_string());
                }
                None => eprintln!("{line}"),
            }
        }
        self.timings.push((stage, elapsed));
        Ok(())
    }

    fn finish(&mut self) -> Vec<(&'static str, Duration)> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        std::mem::take(&mut self.timings)
    }
}

/// Resident memory now and at its peak so far, in MiB, where the OS tells (Linux): with the
/// stage times, it says which stage sets the memory limit of a large run.
pub fn memory_mib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some((
        proc_kib(&status, "VmRSS:")? / 1024,
        proc_kib(&status, "VmHWM:")? / 1024,
    ))
}

/// The value of a `Name:   1234 kB` line of a Linux /proc file.
fn proc_kib(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Drop for StageTimer {
    /// A failed run must not leave a spinner on the terminal.
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Runs every stage up to the trends; writing the outputs is the report's job.
pub fn analyze(config: &RunConfig) -> Result<Analysis> {
    let timer = StageTimer::for_run(config);
    let tfidf_params = config.check()?;
    let corpus = corpus::read_inputs_with(&config.inputs, &config.settings.read)?;
    analyze_checked(config, tfidf_params, corpus, timer)
}

/// The stages after reading, for callers that assemble the corpus themselves (`compare`).
pub fn analyze_corpus(config: &RunConfig, corpus: Corpus, timer: StageTimer) -> Result<Analysis> {
    let tfidf_params = config.check()?;
    analyze_checked(config, tfidf_params, corpus, timer)
}

fn analyze_checked(
    config: &RunConfig,
    tfidf_params: ValidTfidfParams,
    corpus: Corpus,
    mut timer: StageTimer,
) -> Result<Analysis> {
    let n_read = corpus.n_read();
    let Corpus {
        articles,
        mut rejects,
        mut warnings,
    } = corpus;
    warnings.splice(0..0, config.notes.iter().cloned());
    read_stage(config, &articles, &rejects, &warnings, &mut timer)?;
    let (articles, times_seen, duplicates) = dedup_stage(config, articles, &mut timer)?;
    if let Mode::Update(m) = &config.mode {
        warnings.extend(check_not_absorbed(config, &m.model, &articles)?);
    }
    let analyzer = config.analyzer();
    let tokenized = tokenize_stage(config, &analyzer, articles, times_seen, &mut timer)?;
    let v = vectorize_stage(config, tfidf_params, tokenized, &mut rejects)?;
    // Weighted as the LSA reads each row: no second matrix beside the counts.
    let weights = v.model.clustering_weights(&v.counts);
    timer.lap(
        "vectorize",
        || format!("{} terms, {} non-zeros", v.model.n_terms(), weights.nnz()),
        "reducing (LSA)",
    )?;
    if v.kept.articles.is_empty() {
        let inputs = shown_inputs(config);
        match config.mode.model() {
            Some(m) => fail!(
                Input,
                "no article in {inputs} has a term of the model's vocabulary ({} terms, {:?}): \
                 are they in the language the model was fitted on?",
                m.vocabulary.len(),
                m.language
            ),
            None => fail!(
                Input,
                "no article in {inputs} has any vocabulary term left after pruning; try \
                 `min_df` 1"
            ),
        }
    }
    let (lsa, vectors) = reduce_stage(config, weights)?;
    timer.lap(
        "reduce",
        || format!("{} dimensions", vectors.ncols()),
        "clustering",
    )?;

    let mut seed_warnings = Vec::new();
    let seeds = match config.mode.seeds() {
        [] => None,
        declared => Some(seed_vectors(
            declared,
            &analyzer,
            &v.model,
            lsa.as_ref(),
            &mut seed_warnings,
        )?),
    };
    if config.verbose {
        seed_warnings.iter().for_each(|w| eprintln!("warning: {w}"));
    }
    warnings.extend(seed_warnings);
    let n = v.kept.articles.len();
    let (clustering, new_themes, joined) =
        cluster_stage(config, vectors.view(), &v.coverage, seeds.as_ref(), n)?;
    // The reduced rows are done with (the clustering keeps what later stages need): at a
    // million articles they are 700 MB that naming and stories would hold at their peak.
    drop(vectors);
    timer.lap(
        "cluster",
        || clustering.choice.describe(clustering.k),
        "naming themes, finding stories",
    )?;

    let Vectorized {
        model,
        fitted_here,
        kept: Kept {
            articles,
            tokens,
            times_seen,
        },
        texts,
        surfaces,
        stem_names,
        counts,
        coverage,
        leads,
    } = v;
    let analysed = Texts {
        docs: &tokens,
        stems: &stem_names,
        surfaces: &surfaces,
        language: analyzer.language(),
        articles: &articles,
        texts: &texts,
        analyzer: &analyzer,
    };
    let words = model.words_with(&counts);
    let dates: Vec<_> = articles.iter().map(|a| a.date).collect();
    let days: Vec<Option<i32>> = dates.iter().map(|d| d.map(day_number)).collect();
    // Each side timed on its own: the stage log gives both, and they overlap.
    let no_threads = crate::stories::Threads::default();
    let carried = config.mode.model().map_or(&no_threads, |m| &m.threads);
    let ((named, naming_took), (grouping, pass_took)) = rayon::join(
        || {
            timed(|| {
                let mut themes =
                    name_stage(config, &clustering, &analysed, seeds.as_ref(), new_themes);
                apply_names(config, &mut themes).map(|w| (themes, w))
            })
        },
        || {
            timed(|| {
                let s = &config.settings.stories;
                // How many articles use each word: a vocabulary fitted on these very
                // articles has counted them already.
                let df = if fitted_here {
                    words.fitted_df()
                } else {
                    words.df()
                };
                debug_assert!(!fitted_here || df == words.df());
                find_stories(s, carried, &words, &df, &coverage, &leads, &days)
            })
        },
    );
    drop((days, leads));
    let (themes, named_warnings) = named?;
    warnings.extend(named_warnings);
    let k = clustering.k;
    let trends = Trends::count(&dates, &themes.assignments, k, config.settings.period);
    let tree = theme_tree(&clustering, &themes);
    let born = born(config, themes.themes.len(), new_themes, &trends.span());
    timer.beside(
        [
            (
                "themes",
                naming_took,
                format!("{} themes", themes.themes.len()),
            ),
            (
                "story pass",
                pass_took,
                format!(
                    "{} stories found, beside the naming of the themes",
                    grouping.groups.len()
                ),
            ),
        ],
        "naming stories",
    )?;
    let copy_of = originals(&articles, &duplicates);
    let copies = copy_sources(articles.len(), &duplicates, &copy_of);
    let stories = Stories::build(
        grouping,
        &analysed,
        &themes.assignments,
        themes.themes.len(),
        &times_seen,
        &copies,
    );
    drop(words);
    drop(copies);
    drop(tokens);
    timer.lap(
        "stories",
        || {
            let multi = stories.stories.iter().filter(|s| s.is_multi()).count();
            format!(
                "{} stories, {multi} of more than one article",
                stories.stories.len()
            )
        },
        "writing",
    )?;
    let metrics = score_stage(config, &articles, &themes, &rejects);

    let fingerprint = fingerprint(&articles);
    Ok(Analysis {
        config: config.clone(),
        articles,
        texts,
        times_seen,
        duplicates,
        copy_of,
        rejects,
        warnings,
        n_read,
        model,
        counts: config.keep_counts.then_some(counts),
        coverage,
        surfaces,
        lsa,
        clustering,
        themes,
        stories,
        born,
        new_themes,
        joined,
        tree,
        trends,
        metrics,
        timings: timer.finish(),
        fingerprint,
    })
}

/// The days `articles` fall on (days since 1970-01-01), distinct and ascending.
fn days_of(articles: &[Article]) -> Vec<i32> {
    let mut days: Vec<i32> = articles
        .iter()
        .filter_map(|a| a.date)
        .map(day_number)
        .collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// An update must not count a week the model has absorbed: refused when most of its dated
/// articles fall on absorbed days; a few late arrivals are counted with a warning.
fn check_not_absorbed(
    config: &RunConfig,
    model: &ThemeModel,
    articles: &[Article],
) -> Result<Vec<String>> {
    let days: Vec<i32> = articles
        .iter()
        .filter_map(|a| a.date)
        .map(day_number)
        .collect();
    let (absorbed, entry) = model.ledger.overlap(&days);
    let Some(entry) = entry else {
        return Ok(Vec::new());
    };
    let when = format!(
        "by its {} on {} ({} articles from {})",
        entry.kind,
        entry.at,
        entry.articles,
        entry.inputs.join(", ")
    );
    if crate::model::mostly_absorbed(absorbed, days.len()) {
        fail!(
            Input,
            "{}: {absorbed} of its {} dated articles fall in {}, which the model absorbed {when}; \
             an update counts a week once (`replace` re-does the last update)",
            shown_inputs(config),
            days.len(),
            entry.periods
        );
    }
    Ok(vec![format!(
        "{absorbed} of the {} dated articles fall on days the model absorbed already ({}, \
         {when}); they are counted again",
        days.len(),
        entry.periods
    )])
}

/// A hash of `articles`' ids and titles, in order.
fn fingerprint(articles: &[Article]) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    for a in articles {
        h.write(a.id.as_bytes());
        h.write_u8(0);
        h.write(a.title.as_bytes());
        h.write_u8(0);
    }
    h.finish()
}

/// The run's inputs as a message names them.
fn shown_inputs(config: &RunConfig) -> String {
    input_names(config).join(", ")
}

/// The run's inputs by name ("the input" when the articles came from elsewhere).
fn input_names(config: &RunConfig) -> Vec<String> {
    match config.inputs.as_slice() {
        [] => vec!["the input".to_string()],
        paths => paths.iter().map(|p| p.display().to_string()).collect(),
    }
}

/// Copies set aside, unless the settings keep them.
fn dedup_stage(
    config: &RunConfig,
    articles: Vec<Article>,
    timer: &mut StageTimer,
) -> Result<(Vec<Article>, Vec<usize>, Vec<DuplicateRecord>)> {
    let (articles, times_seen, duplicates) =
        remove_duplicates(articles, config.settings.dedup.as_ref());
    timer.lap(
        "dedup",
        || {
            format!(
                "{} duplicates set aside ({} exact)",
                duplicates.len(),
                duplicates.iter().filter(|d| d.exact).count()
            )
        },
        "tokenizing",
    )?;
    Ok((articles, times_seen, duplicates))
}

/// The articles as tokens; their texts set aside in the scratch folder when there is one.
struct Tokenized {
    kept: Kept,
    texts: TextStore,
    surfaces: SurfaceForms,
    stem_names: StemNames,
}

fn tokenize_stage(
    config: &RunConfig,
    analyzer: &Analyzer,
    mut articles: Vec<Article>,
    times_seen: Vec<usize>,
    timer: &mut StageTimer,
) -> Result<Tokenized> {
    let bytes = corpus::text_bytes(&articles);
    let aside = |dir: &PathBuf| format!("setting the article texts aside in {}", dir.display());
    let scratch = match &config.scratch {
        Some(dir) if bytes >= config.scratch_from => Some((
            dir,
            Scratch::create(dir, &articles).with_context(|| aside(dir))?,
        )),
        _ => None,
    };
    // Spans too many to keep in memory are set down in the scratch file, as notes.
    let spans = match &scratch {
        _ if bytes < config.spans_below => Spans::InDocs,
        Some(_) => Spans::Noted,
        None => Spans::None,
    };
    // Each text goes to the scratch file once it is analysed, rather than all of them after
    // the last: the texts (2.2 GB at a million articles) and the tokens made from them were
    // held together, and made the run's peak.
    let (tokens, surfaces, notes) = tokenize_with(
        &mut articles,
        analyzer,
        spans,
        scratch.as_ref().map(|s| &s.1),
    )
    .with_context(|| scratch.as_ref().map_or("tokenizing".into(), |s| aside(s.0)))?;
    let texts = match scratch {
        Some((_, file)) => file.into_store(notes),
        None => TextStore::default(),
    };
    let stem_names = stem_names(&surfaces);
    timer.lap(
        "tokenize",
        || {
            format!(
                "{} tokens",
                tokens.iter().map(|t| t.stems.len()).sum::<usize>()
            )
        },
        "vectorizing",
    )?;
    Ok(Tokenized {
        kept: Kept {
            articles,
            tokens,
            times_seen,
        },
        texts,
        surfaces,
        stem_names,
    })
}

/// The articles with vocabulary terms, their counts, what naming needs of the tokens and
/// what stories need of the counts.
struct Vectorized {
    model: TfidfModel,
    /// Whether `model` was fitted on these very articles (its document frequencies are
    /// theirs).
    fitted_here: bool,
    kept: Kept,
    texts: TextStore,
    surfaces: SurfaceForms,
    stem_names: StemNames,
    counts: Sparse,
    coverage: Vec<f64>,
    leads: Leads,
}

/// The vocabulary (fitted, given, or the model's) and each article's counts. Articles with no
/// vocabulary term would land in a theme at random: they are rejected instead.
fn vectorize_stage(
    config: &RunConfig,
    tfidf_params: ValidTfidfParams,
    t: Tokenized,
    rejects: &mut Vec<Reject>,
) -> Result<Vectorized> {
    let Tokenized {
        kept,
        mut texts,
        surfaces,
        stem_names,
    } = t;
    let (model, fitted_here) = match &config.mode {
        Mode::Assign(m) | Mode::Update(m) => (m.model.tfidf(), false),
        Mode::Fit(FitMode {
            vocabulary: Some(given),
            ..
        }) => (given.as_ref().clone(), false),
        Mode::Fit(_) => (
            tfidf_params
                .fit(&kept.tokens, &stem_names)
                .context("building the vocabulary")?,
            true,
        ),
    };
    let Terms {
        has_terms,
        counts,
        coverage,
        leads,
    } = Terms::count(&model, &kept.tokens, config.keep_counts, true);
    let mut with_terms = Kept::default();
    let rows = kept
        .articles
        .into_iter()
        .zip(kept.tokens)
        .zip(kept.times_seen);
    for (((article, tokens), seen), &keep) in rows.zip(&has_terms) {
        if keep {
            with_terms.articles.push(article);
            with_terms.tokens.push(tokens);
            with_terms.times_seen.push(seen);
        } else {
            rejects.push(Reject {
                reason: no_terms_reason(&article.id),
                file: article.file,
                line: article.line,
            });
        }
    }
    texts.retain(&has_terms);
    Ok(Vectorized {
        model,
        fitted_here,
        kept: with_terms,
        texts,
        surfaces,
        stem_names,
        counts,
        coverage,
        leads,
    })
}

/// Scores against the label field, when given; the run's scores and rejects told on stderr.
fn score_stage(
    config: &RunConfig,
    articles: &[Article],
    themes: &ThemeSet,
    rejects: &[Reject],
) -> Option<Metrics> {
    let metrics = config
        .settings
        .label_field
        .as_deref()
        .and_then(|field| score(articles, &themes.assignments, field));
    if let (true, Some(m)) = (config.verbose, &metrics) {
        eprintln!(
            "evaluation on {} labelled articles: NMI {:.3}, ARI {:.3}, V-measure {:.3}, purity {:.3}",
            m.n, m.nmi, m.ari, m.v_measure, m.purity
        );
    }
    if config.verbose {
        report_rejects(rejects);
    }
    metrics
}

/// The articles, tokens and counts of those with a vocabulary term, in input order.
#[derive(Default)]
struct Kept {
    articles: Vec<Article>,
    tokens: Vec<Doc>,
    times_seen: Vec<usize>,
}

/// Ends the reading stage: warnings shown, and a corpus with nothing readable refused with
/// the first reason.
fn read_stage(
    config: &RunConfig,
    articles: &[Article],
    rejects: &[Reject],
    warnings: &[String],
    timer: &mut StageTimer,
) -> Result<()> {
    if config.verbose {
        for w in warnings {
            eprintln!("warning: {w}");
        }
    }
    timer.lap(
        "read",
        || {
            format!(
                "{} articles read, {} rejected",
                articles.len(),
                rejects.len()
            )
        },
        "de-duplicating",
    )?;
    if articles.is_empty() {
        fail!(
            Input,
            "no readable articles in {} ({} inputs rejected{})",
            shown_inputs(config),
            rejects.len(),
            rejects
                .first()
                .map(|r| format!("; first: {}: {}", location(r), r.reason))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Each article's vocabulary terms: what a fit, an assignment to a model and
/// [`Assigner::assign`] all compute from the tokens, by one path. Rows of articles with no
/// vocabulary term are left out.
struct Terms {
    /// Per token document: does it have a vocabulary term (a row below)?
    has_terms: Vec<bool>,
    /// Raw counts of the articles with terms (articles × vocabulary; the single words only
    /// unless every column was asked for).
    counts: Sparse,
    /// Per article with terms: the share of its TF-IDF mass on vocabulary terms.
    coverage: Vec<f64>,
    /// Per article with terms: the columns of its lead, which stories count once more.
    leads: Leads,
}

impl Terms {
    /// Counts of every column with `all_columns`, else of those clustering reads; with
    /// `leads`, the columns of each article's lead, for stories.
    fn count(model: &TfidfModel, tokens: &[Doc], all_columns: bool, leads: bool) -> Terms {
        let (counts, seen, leads) = if all_columns {
            model.counts_with_leads(tokens, None, leads)
        } else {
            model.clustering_counts(tokens, leads)
        };
        let has_terms: Vec<bool> = seen.iter().map(|s| s.has_terms).collect();
        let coverage: Vec<f64> = seen.iter().map(|s| s.coverage).collect();
        // Rows of articles without vocabulary terms were empty: dropping them needs no recount.
        let (counts, coverage, leads) = if has_terms.iter().all(|&k| k) {
            (counts, coverage, leads)
        } else {
            let rows: Vec<usize> = (0..has_terms.len()).filter(|&i| has_terms[i]).collect();
            let coverage = rows.iter().map(|&r| coverage[r]).collect();
            (select_rows(&counts, &rows), coverage, leads.select(&rows))
        };
        Terms {
            has_terms,
            counts,
            coverage,
            leads,
        }
    }
}

/// The rows in the space the themes live in: a model's LSA (or none), a fitted one, or the
/// TF-IDF rows themselves (`dims` 0).
fn reduce_stage(config: &RunConfig, weights: Weighted) -> Result<(Option<Lsa>, Array2<f64>)> {
    if let Some(saved) = config.mode.model() {
        let lsa = saved.lsa()?;
        let vectors = project(lsa.as_ref(), &weights)?;
        return Ok((lsa, vectors));
    }
    let s = &config.settings;
    if s.dims > 0 {
        let (lsa, v) = Lsa::fit_transform(weights, s.dims, s.cluster.seed);
        Ok((Some(lsa), v))
    } else {
        Ok((None, dense(&weights)?))
    }
}

/// `weights` in a fitted LSA's space, or as dense TF-IDF rows without one.
fn project(lsa: Option<&Lsa>, weights: &Weighted) -> Result<Array2<f64>> {
    match lsa {
        Some(l) => Ok(l.transform(weights)),
        None => dense(weights),
    }
}

/// The clustering by mode, with how many themes an update formed and what joined the saved
/// ones.
fn cluster_stage(
    config: &RunConfig,
    vectors: ArrayView2<f64>,
    coverage: &[f64],
    seeds: Option<&Array2<f64>>,
    n: usize,
) -> Result<(Clustering, usize, Option<Joined>)> {
    let max_distance = config.mode.max_distance().unwrap_or(f64::INFINITY);
    Ok(match &config.mode {
        Mode::Fit(_) => {
            let params = config.settings.cluster.check(n)?;
            let fitted = match seeds {
                Some(s) => params.fit_seeded(vectors, s.view())?,
                None => params.fit(vectors)?,
            };
            (fitted, 0, None)
        }
        Mode::Assign(m) => (m.model.assign(vectors, coverage, max_distance)?, 0, None),
        Mode::Update(m) => {
            let g = m
                .model
                .grow(vectors, coverage, max_distance, &config.settings.cluster)?;
            (g.clustering, g.new_themes, Some(g.joined))
        }
    })
}

/// Stories from the articles' single-word TF-IDF rows and their days. What stories compare:
/// each article's counts with its headline and first sentence counted twice, as they say
/// which event a report is about (F1 0.775 against 0.768 on the labelled events). Words, not
/// phrases: two reports of one event share its names and places far more often than two-word
/// phrases (F1 0.77 against 0.61). Found without the themes, so concurrently with their
/// naming: the pass reads the articles one after another, which leaves a core to the naming.
/// `df`: per column of `words`, the articles using it ([`crate::vectorize::WordsWith::df`]);
/// `leads`: each article's lead columns, counted once more.
pub fn find_stories(
    params: &crate::stories::StoryParams,
    carried: &crate::stories::Threads,
    words: &crate::vectorize::WordsWith,
    df: &[u32],
    coverage: &[f64],
    leads: &Leads,
    days: &[Option<i32>],
) -> Grouping {
    debug_assert_eq!(leads.len(), days.len());
    let input = StoryInput {
        df,
        rows: |i: usize| words.row(i, leads.of(i)),
        days,
        coverage,
        carried,
    };
    crate::stories::group(params, &input)
}

/// `f`'s result and how long it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Themes named from their articles; declared themes keep the user's names, and a model's
/// themes their ids, names and terms.
fn name_stage(
    config: &RunConfig,
    clustering: &Clustering,
    texts: &Texts,
    seeds: Option<&Array2<f64>>,
    new_themes: usize,
) -> ThemeSet {
    let fixed = match (config.mode.model(), seeds) {
        (Some(_), _) => clustering.k,
        (None, Some(s)) => s.nrows(),
        (None, None) => 0,
    };
    let mut themes = build_themes(clustering, texts, fixed);
    // Declared themes keep their names; one that no article joined shows its own terms.
    for (t, seed) in themes
        .themes
        .iter_mut()
        .zip(config.mode.seeds())
        .take(fixed)
    {
        t.name = seed.name.trim().to_string();
        if t.size == 0 {
            t.top_terms = seed.terms.clone();
            t.label = crate::themes::label_from(&seed.terms);
        }
    }
    if let Some(saved) = config.mode.model() {
        keep_model_identity(&mut themes, saved, new_themes);
    }
    themes
}

/// Saved themes keep their names and terms; the extra last theme holds the unassigned
/// articles, and its terms (scored against the assigned) say what they are about. Positions
/// follow the model's centroids; ids are the model's own, which edits (merge, drop) leave with
/// gaps. New themes (an update) take the next ids, with the names generated for them; the
/// unassigned get the id after those.
fn keep_model_identity(themes: &mut ThemeSet, saved: &ThemeModel, new_themes: usize) {
    for (position, t) in themes.themes.iter_mut().enumerate() {
        match saved.themes.get(position) {
            Some(s) => {
                t.id = s.id;
                t.name = s.name.clone();
                t.label = s.label.clone();
                t.top_terms = s.top_terms.clone();
            }
            None if position < saved.k() + new_themes => {
                t.id = saved.next_id + position - saved.k();
            }
            None => {
                t.id = saved.next_id + new_themes;
                t.name = UNASSIGNED.to_string();
                t.label = UNASSIGNED.to_string();
            }
        }
    }
}

/// The user's names (`[names]`, `names=`) over the themes'; a name for a theme that does not
/// exist is a warning, returned. A name another theme has is refused: two themes of one
/// name could not be told apart in a chart or a timeline.
fn apply_names(config: &RunConfig, themes: &mut ThemeSet) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let names = &config.settings.names;
    for (&id, name) in names {
        if let Some((other, _)) = names.iter().find(|&(&o, n)| o < id && n == name) {
            fail!(
                Settings,
                "[names]: themes {other} and {id} are both called {name:?}"
            );
        }
        if let Some(other) = themes.themes.iter().find(|t| t.id != id && &t.name == name) {
            if !config.settings.names.contains_key(&other.id) {
                fail!(
                    Settings,
                    "[names] {id} = {name:?}: theme {} is already called that; name it too, or \
                     choose another name",
                    other.id
                );
            }
        }
        let theme = themes.themes.iter_mut().find(|t| t.id == id);
        match theme.filter(|t| t.name != UNASSIGNED) {
            Some(t) => t.name = name.clone(),
            None => {
                let ids: Vec<String> = themes
                    .themes
                    .iter()
                    .filter(|t| t.name != UNASSIGNED)
                    .map(|t| t.id.to_string())
                    .collect();
                let w = format!(
                    "[names] {id} = {name:?}: there is no theme {id} (themes: {})",
                    ids.join(", ")
                );
                if config.verbose {
                    eprintln!("warning: {w}");
                }
                warnings.push(w);
            }
        }
    }
    Ok(warnings)
}

/// The periods each theme was born in: a saved theme keeps its birth; one fitted or formed
/// here was born in this run's `span`; the unassigned have none.
fn born(config: &RunConfig, themes: usize, new_themes: usize, span: &str) -> Vec<String> {
    (0..themes)
        .map(|p| match config.mode.model() {
            None => span.to_string(),
            Some(saved) => match saved.themes.get(p) {
                Some(s) => s.born.clone(),
                None if p < saved.k() + new_themes => span.to_string(),
                None => String::new(),
            },
        })
        .collect()
}

/// Each declared theme's terms as a vector in the articles' space (TF-IDF, then LSA), unit
/// length; all zeros, with a warning, when none of its terms is in the vocabulary.
fn seed_vectors(
    seeds: &[SeedTheme],
    analyzer: &Analyzer,
    model: &TfidfModel,
    lsa: Option<&Lsa>,
    warnings: &mut Vec<String>,
) -> Result<Array2<f64>> {
    let docs: Vec<Article> = seeds
        .iter()
        .map(|s| Article {
            id: s.name.clone(),
            file: "[[theme]]".into(),
            line: None,
            date: None,
            title: String::new(),
            // One term per sentence, so no two-word term is made across two of them.
            text: s.terms.join(". "),
            extra: Default::default(),
        })
        .collect();
    let (tokens, _) = tokenize(&docs, analyzer);
    let (counts, _) = model.counts_and_coverage(&tokens);
    let mut v = project(lsa, &model.clustering_weights(&counts))?;
    for (mut row, seed) in v.rows_mut().into_iter().zip(seeds) {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row.mapv_inplace(|x| x / norm);
        } else {
            warnings.push(format!(
                "[[theme]] {:?}: none of its terms ({}) is in the vocabulary; it is kept with \
                 no articles",
                seed.name,
                seed.terms.join(", ")
            ));
        }
    }
    Ok(v)
}

/// The tree over the themes that have a centroid (a model run's unassigned have none).
fn theme_tree(clustering: &Clustering, themes: &ThemeSet) -> ThemeTree {
    let rows = clustering.centroids.nrows();
    let positions: Vec<usize> = (0..themes.themes.len())
        .filter(|&p| themes.cluster_of[p] < rows)
        .collect();
    let rows: Vec<usize> = positions.iter().map(|&p| themes.cluster_of[p]).collect();
    ThemeTree::build(
        clustering.centroids.select(Axis(0), &rows).view(),
        &positions,
    )
}

/// Every term of `articles` with its document frequency, counted as a fit with `config`
/// counts them (its analyzer, bigrams or not) but unpruned and without setting duplicates
/// aside: one part of a corpus whose parts are summed elsewhere (Spark's partitions), then
/// pruned by [`ValidTfidfParams::from_document_frequencies`].
pub fn document_frequencies(
    config: &RunConfig,
    articles: &[Article],
) -> Result<Vec<(String, usize)>> {
    let params = config.check()?;
    let (docs, surfaces) = tokenize(articles, &config.analyzer());
    Ok(params.document_frequencies(&docs, &stem_names(&surfaces)))
}

/// A saved model ready to assign articles a batch at a time, as `tidings run --model
/// --keep-duplicates` assigns them but without a run's tables, names and trends: for callers
/// that assign a corpus in parts and count elsewhere (Spark's partitions). The vocabulary
/// index and LSA loadings are built once, not per batch.
pub struct Assigner {
    pub model: Arc<ThemeModel>,
    analyzer: Analyzer,
    tfidf: TfidfModel,
    lsa: Option<Lsa>,
}

/// Why an article with no vocabulary term is rejected: it would land in a theme at random.
pub fn no_terms_reason(id: &str) -> String {
    format!("no vocabulary terms left after stop words and pruning (id {id})")
}

/// Where [`Assigner::assign`] put one article.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placed {
    /// The theme at `position` in the model (`k`: unassigned), at `distance` from it.
    Theme { position: usize, distance: f64 },
    /// No vocabulary term: rejected, as a run rejects it.
    NoTerms,
}

impl Assigner {
    pub fn new(model: Arc<ThemeModel>) -> Result<Assigner> {
        Ok(Assigner {
            analyzer: model.analyzer(),
            tfidf: model.tfidf(),
            lsa: model.lsa()?,
            model,
        })
    }

    /// Each article's theme. An article's result depends on it alone (its tokens, its TF-IDF
    /// row, its projection), so any split of a corpus into batches gives a run's themes; the
    /// one exception is a batch in which no article has a single-word term, clustered on
    /// bigrams as a whole run would be only if that were true of all of it.
    pub fn assign(&self, articles: &[Article], max_distance: Option<f64>) -> Result<Vec<Placed>> {
        let (tokens, _) = tokenize(articles, &self.analyzer);
        let terms = Terms::count(&self.tfidf, &tokens, false, false);
        drop(tokens);
        let weights = self.tfidf.clustering_weights(&terms.counts);
        let vectors = project(self.lsa.as_ref(), &weights)?;
        let max_distance = max_distance.unwrap_or(self.model.max_distance);
        let c = self
            .model
            .assign(vectors.view(), &terms.coverage, max_distance)?;
        let rows = (0..articles.len()).filter(|&r| terms.has_terms[r]);
        let mut placed = vec![Placed::NoTerms; articles.len()];
        for ((r, &position), &distance) in rows.zip(&c.assignments).zip(&c.distances) {
            placed[r] = Placed::Theme { position, distance };
        }
        Ok(placed)
    }
}

/// Analyses every article (title, then text). Tokens are kept only as stem hashes (8 bytes
/// each). The articles are split into one contiguous run per thread, each with its own token
/// cache (rayon's finer splitting would start many caches cold); runs come back in input
/// order, and the surface-form counts (integer sums) do not depend on the split.
pub fn tokenize(articles: &[Article], analyzer: &Analyzer) -> (Vec<Doc>, SurfaceForms) {
    let runs = articles.chunks(crate::vectorize::per_thread(articles.len()));
    let Ok((docs, surfaces, _)) = tokenize_runs(runs.collect(), analyzer, |cache, run| {
        let docs = run
            .iter()
            .map(|a| cache.doc_with(&[&a.title, &a.text], false));
        Ok::<_, std::convert::Infallible>((docs.collect(), Vec::new()))
    });
    (docs, surfaces)
}

/// Where tokenizing keeps where each token was written, for naming to read.
#[derive(Clone, Copy, PartialEq)]
enum Spans {
    None,
    /// In each document, 8 bytes a token.
    InDocs,
    /// In the scratch file the texts go to, as notes of 2 bytes a token.
    Noted,
}

/// [`tokenize`], keeping the tokens' spans as `spans` says (the notes' places returned, one
/// per article, when noted), and with `spill` moving each text, once analysed, to its place
/// in the scratch file, where the notes go too.
fn tokenize_with(
    articles: &mut [Article],
    analyzer: &Analyzer,
    spans: Spans,
    spill: Option<&Scratch>,
) -> std::io::Result<(Vec<Doc>, SurfaceForms, Vec<u64>)> {
    let per_run = crate::vectorize::per_thread(articles.len());
    let runs: Vec<(usize, &mut [Article])> = articles
        .chunks_mut(per_run)
        .enumerate()
        .map(|(r, run)| (r * per_run, run))
        .collect();
    tokenize_runs(runs, analyzer, |cache, (first, run)| {
        let mut notes = spill.filter(|_| spans == Spans::Noted).map(Scratch::notes);
        let mut texts = spill.map(|scratch| scratch.texts_from(first));
        let in_docs = spans == Spans::InDocs;
        let mut note = Vec::new();
        let mut docs = Vec::with_capacity(run.len());
        for a in run {
            let parts = [a.title.as_str(), a.text.as_str()];
            docs.push(match &mut notes {
                Some(writer) => {
                    note.clear();
                    let (doc, ok) = cache.doc_noting_spans(&parts, &mut note);
                    writer.push(ok.then_some(note.as_slice()))?;
                    doc
                }
                None => cache.doc_with(&parts, in_docs),
            });
            if let Some(texts) = &mut texts {
                texts.push(&std::mem::take(&mut a.text))?;
            }
        }
        texts.map_or(Ok(()), |t| t.finish())?;
        Ok((docs, notes.map_or(Ok(Vec::new()), |w| w.finish())?))
    })
}

/// Runs `each` over `runs` (one contiguous run of articles per thread, as the callers cut
/// them with `per_thread`), with the run's token cache, and joins what the runs give in
/// input order.
fn tokenize_runs<R: Send, E: Send>(
    runs: Vec<R>,
    analyzer: &Analyzer,
    each: impl Fn(&mut TokenCache, R) -> Result<(Vec<Doc>, Vec<u64>), E> + Sync,
) -> Result<(Vec<Doc>, SurfaceForms, Vec<u64>), E> {
    let parts: Vec<(Vec<Doc>, Vec<u64>, SurfaceForms)> = runs
        .into_par_iter()
        .map(|run| {
            let mut cache = analyzer.cache();
            let (docs, notes) = each(&mut cache, run)?;
            Ok((docs, notes, cache.surface_forms()))
        })
        .collect::<Result<_, E>>()?;
    let mut docs = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
    let mut notes = Vec::new();
    let mut surfaces = SurfaceForms::default();
    for (run, run_notes, forms) in parts {
        docs.extend(run);
        notes.extend(run_notes);
        surfaces = surfaces.merge(forms);
    }
    Ok((docs, surfaces, notes))
}

/// The TF-IDF rows as a dense matrix (`dims` 0), refused when it would not fit in memory:
/// on all of Reuters it is 18,545 × 173,207, 12 GB, and a failed allocation aborts the process.
fn dense(x: &Weighted) -> Result<Array2<f64>> {
    // The single-precision matrix and its double-precision copy exist together for a moment.
    let need = (x.rows() as u64)
        .saturating_mul(x.cols() as u64)
        .saturating_mul(12);
    if let Some(available) = available_memory() {
        if need > available {
            fail!(
                Settings,
                "clustering the TF-IDF vectors directly (`dims` 0) needs a dense {} × {} matrix, \
                 {:.1} GiB, more than the {:.1} GiB of memory available; use `dims` 100 (LSA) \
                 or prune terms with a higher `min_df`",
                x.rows(),
                x.cols(),
                need as f64 / 1073741824.0,
                available as f64 / 1073741824.0
            );
        }
    }
    // Materialised only once it is known to fit.
    Ok(x.to_sparse().to_dense().mapv(f64::from))
}

/// Memory the run may still use, in bytes: `TIDINGS_MEMORY_MIB` when set, else what Linux
/// reports as available; None where neither tells.
fn available_memory() -> Option<u64> {
    if let Some(mib) = std::env::var("TIDINGS_MEMORY_MIB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(mib.saturating_mul(1 << 20));
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    Some(proc_kib(&info, "MemAvailable:")?.saturating_mul(1024))
}

/// Scores the themes of the articles that carry `field` (as a string or number).
fn score(articles: &[Article], themes: &[usize], field: &str) -> Option<Metrics> {
    let (truth, pred): (Vec<String>, Vec<usize>) = articles
        .iter()
        .zip(themes)
        .filter_map(|(a, &t)| match a.extra.get(field)? {
            serde_json::Value::String(s) if !s.is_empty() => Some((s.clone(), t)),
            serde_json::Value::Number(n) => Some((n.to_string(), t)),
            _ => None,
        })
        .unzip();
    (!truth.is_empty()).then(|| evaluate(&truth, &pred))
}

/// Sets copies aside (unless `params` is `None`), returning the kept articles, how many times
/// each was seen, and a record per copy.
fn remove_duplicates(
    articles: Vec<Article>,
    params: Option<&DedupParams>,
) -> (Vec<Article>, Vec<usize>, Vec<DuplicateRecord>) {
    let Some(params) = params else {
        let n = articles.len();
        return (articles, vec![1; n], Vec::new());
    };
    let texts: Vec<&str> = articles.iter().map(|a| a.text.as_str()).collect();
    let found = find_duplicates(&texts, params);
    let records = found
        .duplicates
        .iter()
        .map(|d| {
            let copy = &articles[d.index];
            DuplicateRecord {
                article_id: copy.id.clone(),
                file: copy.file.clone(),
                line: copy.line,
                title: copy.title.clone(),
                duplicate_of: articles[d.duplicate_of].id.clone(),
                similarity: d.similarity,
                exact: d.exact,
                source: crate::stories::source_of(copy),
                has_source: copy.extra.get("source").is_some(),
            }
        })
        .collect();
    let mut kept = Vec::with_capacity(articles.len() - found.duplicates.len());
    let mut seen = Vec::with_capacity(kept.capacity());
    for (i, a) in articles.into_iter().enumerate() {
        if !found.is_duplicate(i) {
            kept.push(a);
            seen.push(found.times_seen[i]);
        }
    }
    (kept, seen, records)
}

fn report_rejects(rejects: &[Reject]) {
    const SHOWN: usize = 20;
    for r in rejects.iter().take(SHOWN) {
        eprintln!("rejected: {}: {}", location(r), r.reason);
    }
    if rejects.len() > SHOWN {
        eprintln!(
            "rejected: ... and {} more (all listed in rejects.parquet)",
            rejects.len() - SHOWN
        );
    }
}

/// Label of the extra theme that holds articles far from every saved theme.
pub const UNASSIGNED: &str = "(unassigned)";

/// `file:line`, or just `file` for whole-file inputs.
pub fn location(r: &Reject) -> String {
    match r.line {
        Some(l) => format!("{}:{l}", r.file),
        None => r.file.clone(),
    }
}
