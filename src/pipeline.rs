//! The pipeline: corpus → text → vectorize → reduce → cluster → themes → trends, each stage
//! owned by its module; this one only wires them in order and times them.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use anyhow::{bail, Context, Result};
use ndarray::{Array2, Axis};
use rayon::prelude::*;

use crate::cluster::{ClusterParams, Clustering};
use crate::config::SeedTheme;
use crate::corpus::{self, Article, Corpus, ReadOptions, Reject, TextStore};
use crate::dedup::{find_duplicates, DedupParams};
use crate::evaluate::{evaluate, Metrics};
use crate::model::{Joined, SavedTheme, ThemeModel};
use crate::reduce::Lsa;
use crate::text::{Analyzer, Language, SurfaceForms};
use crate::themes::{build_themes, Texts, Theme, ThemeSet};
use crate::tree::ThemeTree;
use crate::trends::{Period, Trends};
use crate::vectorize::{
    select_rows, stem_names, Doc, Sparse, TfidfModel, TfidfParams, ValidTfidfParams, Weighted,
};

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub inputs: Vec<PathBuf>,
    pub read: ReadOptions,
    /// `None` keeps duplicates.
    pub dedup: Option<DedupParams>,
    pub tfidf: TfidfParams,
    /// LSA dimensions; 0 clusters the TF-IDF rows themselves.
    pub dims: usize,
    pub cluster: ClusterParams,
    pub period: Period,
    /// A saved model: assign articles to its themes instead of fitting new ones.
    pub model: Option<std::sync::Arc<ThemeModel>>,
    /// With a model: let new themes form from the articles it does not cover
    /// (`tidings update`; see [`ThemeModel::grow`]).
    pub grow: bool,
    /// Distance beyond which an article is unassigned (model mode); the model's own
    /// threshold when `None`.
    pub max_distance: Option<f64>,
    /// A vocabulary whose document frequencies were counted over a whole corpus (by Spark,
    /// see [`document_frequencies`]) for a fit on a sample of it: used instead of the
    /// articles' own counts.
    pub vocabulary: Option<std::sync::Arc<TfidfModel>>,
    /// Field holding a ground-truth label to score the themes against.
    pub label_field: Option<String>,
    /// Tokenizer and stemmer language, extra stop words, phrases kept as one token.
    pub language: Language,
    pub stop_words: Vec<String>,
    pub phrases: Vec<String>,
    /// Theme names chosen by the user, by theme id; they win over generated and saved names.
    pub names: std::collections::BTreeMap<usize, String>,
    /// Themes declared with seed terms (`[[theme]]`), fitted first as themes 0, 1, ...;
    /// a run with a model has its themes already and does not use them.
    pub seeds: Vec<SeedTheme>,
    /// Progress lines on stderr.
    pub verbose: bool,
    /// Set from another thread (a Python `KeyboardInterrupt`) to stop the run at the next
    /// stage boundary with an error.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// A folder for a scratch file that holds the article texts from tokenizing until they
    /// are written (see [`TextStore`]); `None` keeps them in memory, in
    /// [`Analysis::articles`].
    pub scratch: Option<PathBuf>,
    /// Keep the raw term counts in [`Analysis::counts`] (a comparison reads them). A run
    /// drops them once the LSA has read them, rather than hold them through naming and
    /// writing, where the run's peak is.
    pub keep_counts: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            inputs: Vec::new(),
            read: ReadOptions::default(),
            dedup: Some(DedupParams::default()),
            tfidf: TfidfParams::default(),
            dims: 100,
            cluster: ClusterParams::default(),
            period: Period::Week,
            model: None,
            grow: false,
            max_distance: None,
            vocabulary: None,
            label_field: None,
            language: Language::English,
            stop_words: Vec::new(),
            phrases: Vec::new(),
            names: Default::default(),
            seeds: Vec::new(),
            verbose: false,
            cancel: None,
            scratch: None,
            keep_counts: false,
        }
    }
}

impl RunConfig {
    /// The settings that can be refused before anything is read, so that a bad flag does not
    /// wait for a large corpus to be read first. Returns the checked TF-IDF parameters the
    /// vectorizing stage takes.
    pub fn check(&self) -> Result<ValidTfidfParams> {
        let tfidf = self.tfidf.check()?;
        if let Some(dedup) = &self.dedup {
            dedup.check()?;
        }
        if self.model.is_none() {
            self.cluster.check_options()?;
            crate::config::check_seed_themes(&self.seeds)?;
            if let Some(k) = self.cluster.k.filter(|&k| k < self.seeds.len()) {
                bail!(crate::cluster::ClusterError::FewerThanSeeds {
                    k,
                    seeds: self.seeds.len()
                });
            }
        }
        Ok(tfidf)
    }

    /// The analyzer a fit uses (a saved model's is [`ThemeModel::analyzer`]).
    pub fn analyzer(&self) -> Analyzer {
        Analyzer::new(self.language)
            .with_stop_words(&self.stop_words)
            .with_phrases(&self.phrases)
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
}

impl Analysis {
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

    /// What this run learned, to assign later articles to its themes (`tidings fit`):
    /// the fitted parts of each stage, centroids in theme-id order.
    /// A run with a model gives that model back (grown, for an update): its themes are the
    /// model's, and the unassigned are no theme to save.
    pub fn model(&self) -> ThemeModel {
        if let Some(saved) = &self.config.model {
            return if self.config.grow {
                self.updated_model(saved)
            } else {
                saved.as_ref().clone()
            };
        }
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
            language: a.config.language,
            stop_words: a.config.stop_words.clone(),
            phrases: a.config.phrases.clone(),
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
            seed: a.config.cluster.seed,
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
        let k = self.config.model.as_ref().map_or(0, |m| m.k());
        &self.themes.themes[k..k + self.new_themes]
    }

    /// The model `saved` grown by this run (`tidings update`, a run with `grow`): each saved
    /// theme keeps its id and name and absorbs the articles that joined it
    /// ([`ThemeModel::absorb`]); the themes formed here are added with the next ids and this
    /// run's periods as their birth.
    pub fn updated_model(&self, saved: &ThemeModel) -> ThemeModel {
        let mut m = saved.clone();
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
}

/// Times the stages and tells the user where the run is: a spinner naming the current stage
/// when stderr is a terminal, one plain line per finished stage either way (unless quiet).
pub struct StageTimer {
    start: Instant,
    timings: Vec<(&'static str, Duration)>,
    verbose: bool,
    bar: Option<ProgressBar>,
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
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
        if let Some(cancel) = &self.cancel {
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                bail!("interrupted during {stage}");
            }
        }
        let elapsed = self.start.elapsed();
        self.start = Instant::now();
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
    let corpus = corpus::read_inputs_with(&config.inputs, &config.read)?;
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
        warnings,
    } = corpus;
    if config.verbose {
        for w in &warnings {
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
        bail!(
            "no readable articles in {} ({} inputs rejected{})",
            config
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            rejects.len(),
            rejects
                .first()
                .map(|r| format!("; first: {}: {}", location(r), r.reason))
                .unwrap_or_default()
        );
    }

    let (articles, mut times_seen, duplicates) = remove_duplicates(articles, config.dedup.as_ref());
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

    // A saved model's vocabulary only makes sense with the analyzer it was fitted with.
    let analyzer = match &config.model {
        Some(m) => m.analyzer(),
        None => config.analyzer(),
    };
    let (tokens, surfaces) = tokenize(&articles, &analyzer);
    let mut articles = articles;
    let mut texts = match &config.scratch {
        Some(dir) => TextStore::spill(&mut articles, dir)
            .with_context(|| format!("setting the article texts aside in {}", dir.display()))?,
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

    let model = match (&config.model, &config.vocabulary) {
        (Some(saved), _) => saved.tfidf(),
        (None, Some(given)) => given.as_ref().clone(),
        (None, None) => tfidf_params
            .fit(&tokens, &stem_names)
            .context("building the vocabulary")?,
    };
    let (counts, coverage) = model.counts_and_coverage(&tokens);
    // Articles with no vocabulary term would land in a theme at random: reject them instead.
    let keep: Vec<bool> = counts.outer_iterator().map(|r| r.nnz() > 0).collect();
    let mut kept_articles = Vec::with_capacity(articles.len());
    let mut kept_tokens = Vec::with_capacity(articles.len());
    let mut kept_seen = Vec::with_capacity(articles.len());
    let mut kept_coverage = Vec::with_capacity(articles.len());
    for ((((article, toks), keep), seen), cov) in articles
        .into_iter()
        .zip(tokens)
        .zip(&keep)
        .zip(times_seen)
        .zip(coverage)
    {
        if *keep {
            kept_articles.push(article);
            kept_tokens.push(toks);
            kept_seen.push(seen);
            kept_coverage.push(cov);
        } else {
            rejects.push(Reject {
                reason: no_terms_reason(&article.id),
                file: article.file,
                line: article.line,
            });
        }
    }
    let articles = kept_articles;
    texts.retain(&keep);
    times_seen = kept_seen;
    let coverage = kept_coverage;
    // Rows of articles without vocabulary terms were empty: dropping them needs no recount.
    let counts = if keep.iter().all(|&k| k) {
        counts
    } else {
        let rows: Vec<usize> = (0..keep.len()).filter(|&i| keep[i]).collect();
        select_rows(&counts, &rows)
    };
    // Weighted as the LSA reads each row: no second matrix beside the counts.
    let tfidf = model.clustering_weights(&counts);
    timer.lap(
        "vectorize",
        || format!("{} terms, {} non-zeros", model.n_terms(), tfidf.nnz()),
        "reducing (LSA)",
    )?;
    if articles.is_empty() {
        bail!("no article has any vocabulary term left after pruning; try --min-df 1");
    }

    let (lsa, vectors): (Option<Lsa>, Array2<f64>) = if let Some(saved) = &config.model {
        let lsa = saved.lsa()?;
        let v = match &lsa {
            Some(l) => l.transform(&tfidf),
            None => dense(&tfidf)?,
        };
        (lsa, v)
    } else if config.dims > 0 {
        let (lsa, v) = Lsa::fit_transform(tfidf, config.dims, config.cluster.seed);
        (Some(lsa), v)
    } else {
        (None, dense(&tfidf)?)
    };
    let counts = config.keep_counts.then_some(counts);
    timer.lap(
        "reduce",
        || format!("{} dimensions", vectors.ncols()),
        "clustering",
    )?;

    let mut seed_warnings = Vec::new();
    let seeds = match &config.model {
        None if !config.seeds.is_empty() => Some(seed_vectors(
            &config.seeds,
            &analyzer,
            &model,
            lsa.as_ref(),
            &mut seed_warnings,
        )?),
        _ => None,
    };
    let (clustering, new_themes, joined) = match &config.model {
        Some(saved) => {
            let max_distance = config.max_distance.unwrap_or(saved.max_distance);
            if config.grow {
                let g = saved.grow(vectors.view(), &coverage, max_distance, &config.cluster)?;
                (g.clustering, g.new_themes, Some(g.joined))
            } else {
                (
                    saved.assign(vectors.view(), &coverage, max_distance)?,
                    0,
                    None,
                )
            }
        }
        None => {
            let params = config.cluster.check(articles.len())?;
            let fitted = match &seeds {
                Some(s) => params.fit_seeded(vectors.view(), s.view())?,
                None => params.fit(vectors.view())?,
            };
            (fitted, 0, None)
        }
    };
    timer.lap(
        "cluster",
        || clustering.choice.describe(clustering.k),
        "naming themes",
    )?;

    let analysed = Texts {
        docs: &kept_tokens,
        stems: &stem_names,
        surfaces: &surfaces,
        language: analyzer.language(),
        articles: &articles,
        texts: &texts,
        analyzer: &analyzer,
    };
    let fixed = match (&config.model, &seeds) {
        (Some(_), _) => clustering.k,
        (None, Some(s)) => s.nrows(),
        (None, None) => 0,
    };
    let mut themes = build_themes(&clustering, &analysed, fixed);
    // Declared themes keep their names; one that no article joined shows its own terms.
    let declared = seeds.as_ref().map_or(0, |s| s.nrows());
    for (t, seed) in themes.themes.iter_mut().zip(&config.seeds).take(declared) {
        t.name = seed.name.trim().to_string();
        if t.size == 0 {
            t.top_terms = seed.terms.clone();
            t.label = crate::themes::label_from(&seed.terms);
        }
    }
    let dates: Vec<_> = articles.iter().map(|a| a.date).collect();
    let trends = Trends::count(&dates, &themes.assignments, clustering.k, config.period);
    let span = trends.span();
    if let Some(saved) = &config.model {
        // Saved themes keep their names and terms; the extra last theme holds the unassigned
        // articles, and its terms (scored against the assigned) say what they are about.
        // Positions follow the model's centroids; ids are the model's own, which edits
        // (merge, drop) leave with gaps. New themes (an update) take the next ids, with the
        // names generated for them; the unassigned get the id after those.
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
    let mut warnings = warnings;
    if config.verbose {
        for w in &seed_warnings {
            eprintln!("warning: {w}");
        }
    }
    warnings.extend(seed_warnings);
    for (&id, name) in &config.names {
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
    drop(kept_tokens);
    let tree = theme_tree(&clustering, &themes);
    // A saved theme keeps its birth; one fitted or formed here was born in this run's span.
    let born = (0..themes.themes.len())
        .map(|p| match &config.model {
            None => span.clone(),
            Some(saved) => match saved.themes.get(p) {
                Some(s) => s.born.clone(),
                None if p < saved.k() + new_themes => span.clone(),
                None => String::new(),
            },
        })
        .collect();
    timer.lap(
        "themes",
        || format!("{} themes", themes.themes.len()),
        "writing",
    )?;
    let metrics = config
        .label_field
        .as_deref()
        .and_then(|field| score(&articles, &themes.assignments, field));
    if let (true, Some(m)) = (config.verbose, &metrics) {
        eprintln!(
            "evaluation on {} labelled articles: NMI {:.3}, ARI {:.3}, V-measure {:.3}, purity {:.3}",
            m.n, m.nmi, m.ari, m.v_measure, m.purity
        );
    }
    if config.verbose {
        report_rejects(&rejects);
    }

    Ok(Analysis {
        config: config.clone(),
        articles,
        texts,
        times_seen,
        duplicates,
        rejects,
        warnings,
        n_read,
        model,
        counts,
        coverage,
        surfaces,
        lsa,
        clustering,
        themes,
        born,
        new_themes,
        joined,
        tree,
        trends,
        metrics,
        timings: timer.finish(),
    })
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
    let rows = model.clustering_weights(&counts);
    let mut v = match lsa {
        Some(l) => l.transform(&rows),
        None => dense(&rows)?,
    };
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
    pub model: std::sync::Arc<ThemeModel>,
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
    pub fn new(model: std::sync::Arc<ThemeModel>) -> Result<Assigner> {
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
        let (counts, coverage) = self.tfidf.counts_and_coverage(&tokens);
        drop(tokens);
        let rows: Vec<usize> = (0..counts.rows())
            .filter(|&r| counts.outer_view(r).is_some_and(|v| v.nnz() > 0))
            .collect();
        let counts = if rows.len() == counts.rows() {
            counts
        } else {
            select_rows(&counts, &rows)
        };
        let tfidf = self.tfidf.clustering_weights(&counts);
        let vectors = match &self.lsa {
            Some(l) => l.transform(&tfidf),
            None => dense(&tfidf)?,
        };
        let coverage: Vec<f64> = rows.iter().map(|&r| coverage[r]).collect();
        let max_distance = max_distance.unwrap_or(self.model.max_distance);
        let c = self.model.assign(vectors.view(), &coverage, max_distance)?;
        let mut placed = vec![Placed::NoTerms; articles.len()];
        for ((&r, &position), &distance) in rows.iter().zip(&c.assignments).zip(&c.distances) {
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
    let parts: Vec<(Vec<Doc>, SurfaceForms)> = articles
        .par_chunks(crate::vectorize::per_thread(articles.len()))
        .map(|run| {
            let mut cache = analyzer.cache();
            let docs = run
                .iter()
                .map(|a| cache.doc(&[&a.title, &a.text]))
                .collect();
            (docs, cache.surface_forms())
        })
        .collect();
    let mut docs = Vec::with_capacity(articles.len());
    let mut surfaces = SurfaceForms::default();
    for (run, forms) in parts {
        docs.extend(run);
        surfaces = surfaces.merge(forms);
    }
    (docs, surfaces)
}

/// The TF-IDF rows as a dense matrix (`--dims 0`), refused when it would not fit in memory:
/// on all of Reuters it is 18,545 × 173,207, 12 GB, and a failed allocation aborts the process.
fn dense(x: &Weighted) -> Result<Array2<f64>> {
    // The single-precision matrix and its double-precision copy exist together for a moment.
    let need = (x.rows() as u64)
        .saturating_mul(x.cols() as u64)
        .saturating_mul(12);
    if let Some(available) = available_memory() {
        if need > available {
            bail!(
                "clustering the TF-IDF vectors directly (--dims 0) needs a dense {} × {} matrix, \
                 {:.1} GiB, more than the {:.1} GiB of memory available; use --dims 100 (LSA) \
                 or prune terms with a higher --min-df",
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
