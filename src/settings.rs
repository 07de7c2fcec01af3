//! The user's settings for a run, resolved once: each from the first layer that sets it (the
//! command line's flags, then `tidings.toml`), else its default here. The edges (the command
//! line, the config file, Python's keywords, which become flags) speak to this module; the
//! stages get their parameter types from it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::cluster::ClusterParams;
use crate::config::FileConfig;
use crate::corpus::{self, ReadOptions};
use crate::dedup::DedupParams;
use crate::error::{Error, Result};
use crate::stories::StoryParams;
use crate::text::{Analyzer, Language};
use crate::trends::Period;
use crate::vectorize::TfidfParams;

/// What the user chose for a run: each field is a flag, a `tidings.toml` key and a Python
/// keyword. Nothing here says how the run is carried out (see [`RunConfig`]).
#[derive(Debug, Clone)]
pub struct Settings {
    pub read: ReadOptions,
    /// `None` keeps duplicates.
    pub dedup: Option<DedupParams>,
    pub tfidf: TfidfParams,
    /// LSA dimensions; 0 clusters the TF-IDF rows themselves.
    pub dims: usize,
    pub cluster: ClusterParams,
    pub stories: StoryParams,
    pub period: Period,
    /// Field holding a ground-truth label to score the themes against.
    pub label_field: Option<String>,
    /// Tokenizer and stemmer language, extra stop words, phrases kept as one token.
    pub language: Language,
    pub stop_words: Vec<String>,
    pub phrases: Vec<String>,
    /// Theme names chosen by the user, by theme id; they win over generated and saved names.
    pub names: BTreeMap<usize, String>,
}

/// LSA dimensions unless the user asks for others.
pub const DEFAULT_DIMS: usize = 100;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            read: ReadOptions::default(),
            dedup: Some(DedupParams::default()),
            tfidf: TfidfParams::default(),
            dims: DEFAULT_DIMS,
            cluster: ClusterParams::default(),
            stories: StoryParams::default(),
            period: Period::Week,
            label_field: None,
            language: Language::English,
            stop_words: Vec::new(),
            phrases: Vec::new(),
            names: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// The analyzer a fit uses (a saved model's is [`ThemeModel::analyzer`]).
    pub fn analyzer(&self) -> Analyzer {
        Analyzer::new(self.language)
            .with_stop_words(&self.stop_words)
            .with_phrases(&self.phrases)
    }
}

impl Settings {
    /// The settings from `layers`, first first: each takes the first layer's value that is
    /// set, else the default. A list (stop words, phrases) is taken whole from one layer.
    /// `[names]` and declared themes are not layered here: they belong to the config file and
    /// to the mode.
    pub fn layered(layers: &[&FileConfig]) -> Result<Settings> {
        macro_rules! first {
            ($field:ident) => {
                layers.iter().find_map(|l| l.$field.clone())
            };
        }
        let d = Settings::default();
        let default_date = match first!(date) {
            Some(s) => Some(parse_date(&s)?),
            None => None,
        };
        let algorithm = first!(algorithm).unwrap_or_default();
        let keep_duplicates = first!(keep_duplicates).unwrap_or(false);
        Ok(Settings {
            read: ReadOptions {
                text_field: first!(text_field).unwrap_or(d.read.text_field),
                title_field: first!(title_field).unwrap_or(d.read.title_field),
                date_field: first!(date_field).unwrap_or(d.read.date_field),
                default_date,
                skip_dirs: Vec::new(),
            },
            dedup: (!keep_duplicates).then(|| DedupParams {
                threshold: first!(duplicate_threshold).unwrap_or(DedupParams::default().threshold),
            }),
            tfidf: TfidfParams {
                min_df: first!(min_df).unwrap_or(d.tfidf.min_df),
                max_df: first!(max_df).unwrap_or(d.tfidf.max_df),
                bigrams: first!(bigrams).unwrap_or(d.tfidf.bigrams),
                ..d.tfidf
            },
            dims: first!(dims).unwrap_or(d.dims),
            cluster: ClusterParams {
                k: first!(k),
                k_max: first!(k_max).unwrap_or(d.cluster.k_max),
                seed: first!(seed).unwrap_or(d.cluster.seed),
                n_runs: first!(restarts).unwrap_or(algorithm.default_restarts()),
                algorithm,
                ..d.cluster
            },
            stories: StoryParams {
                threshold: first!(story_threshold).unwrap_or(d.stories.threshold),
                window_days: first!(story_window).unwrap_or(d.stories.window_days),
                rejoin_days: first!(story_rejoin).unwrap_or(d.stories.rejoin_days),
                age_days: first!(story_age).unwrap_or(d.stories.age_days),
                ..d.stories
            },
            period: first!(period).unwrap_or(d.period),
            label_field: first!(label_field),
            language: first!(language).unwrap_or(d.language),
            stop_words: first!(stop_words).unwrap_or_default(),
            phrases: first!(phrases).unwrap_or_default(),
            names: BTreeMap::new(),
        })
    }
}

/// The date given for undated articles, refused when it is not one or lies outside the
/// window of plausible dates.
fn parse_date(s: &str) -> Result<NaiveDate> {
    let d = corpus::parse_date(s)
        .ok_or_else(|| Error::Settings(format!("`date` {s:?} is not a date (YYYY-MM-DD)")))?;
    if !corpus::date_in_window(d) {
        return Err(Error::Settings(format!(
            "`date` {d} is outside {}..{}",
            corpus::EARLIEST_DATE,
            corpus::LATEST_DATE
        )));
    }
    Ok(d)
}

/// The settings a saved model fixes when it is fitted (its vocabulary, analyzer, projection
/// and themes) that `layer` sets: a run with the model cannot use them.
pub fn fixed_by_model(layer: &FileConfig) -> Vec<&'static str> {
    [
        ("k", layer.k.is_some()),
        ("min_df", layer.min_df.is_some()),
        ("max_df", layer.max_df.is_some()),
        ("bigrams", layer.bigrams.is_some()),
        ("dims", layer.dims.is_some()),
        ("language", layer.language.is_some()),
        ("stop_words", layer.stop_words.is_some()),
        ("phrases", layer.phrases.is_some()),
        ("theme", !layer.theme.is_empty()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}
