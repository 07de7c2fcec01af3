//! Text analysis: a tokenizer followed by a chain of small token filters, after tantivy's
//! analyzer. Words are found by Unicode word boundaries (UAX #29), then each token is
//! normalised (lower case, typographic apostrophes), loses its possessive, and is dropped if it
//! is a number, too short or a stop word; survivors are Snowball-stemmed. The analyzer also
//! records which surface word each stem came from, so labels can read "russia", not "russi".

use std::collections::{HashMap, HashSet};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

const ENGLISH_STOP_WORDS: &str = include_str!("../assets/stopwords/english.txt");

/// An analysed document: its stems in order, and the surface word of each stem occurrence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tokens {
    pub stems: Vec<String>,
    pub surfaces: Vec<String>,
}

/// Tokenizer + filters. Cheap to share across threads (`&Analyzer` is `Sync`).
pub struct Analyzer {
    stemmer: Stemmer,
    stop_words: HashSet<String>,
    min_chars: usize,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::english()
    }
}

impl Analyzer {
    /// English: scikit-learn's stop-word list (so comparisons with it are like for like), a few
    /// words every news story uses, and the Snowball English stemmer.
    pub fn english() -> Self {
        let stop_words = ENGLISH_STOP_WORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        Analyzer {
            stemmer: Stemmer::create(Algorithm::English),
            stop_words,
            min_chars: 2,
        }
    }

    /// Adds user stop words (matched after lower-casing, before stemming).
    pub fn with_stop_words<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, words: I) -> Self {
        self.stop_words
            .extend(words.into_iter().map(|w| normalise(w.as_ref())));
        self
    }

    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop_words.contains(word)
    }

    /// Runs the whole chain on one text.
    pub fn analyze(&self, text: &str) -> Tokens {
        let mut out = Tokens::default();
        for word in text.unicode_words() {
            let word = normalise(word);
            let word = strip_possessive(&word);
            if word.chars().count() < self.min_chars
                || word.chars().any(|c| c.is_numeric())
                || self.stop_words.contains(word)
            {
                continue;
            }
            // Internal apostrophes (o'brien) are kept in the surface but not in the stem key.
            let key: String = word.chars().filter(|&c| c != '\'').collect();
            let stem = self.stemmer.stem(&key).into_owned();
            out.stems.push(stem);
            out.surfaces.push(word.to_string());
        }
        out
    }
}

/// Lower case, with typographic apostrophes folded to ASCII so Syria’s and Syria's agree.
fn normalise(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '\u{02bc}' | '\u{ff07}' | '`' | '\u{00b4}' => '\'',
            c => c,
        })
        .collect()
}

fn strip_possessive(word: &str) -> &str {
    let word = word.trim_matches('\'');
    word.strip_suffix("'s").unwrap_or(word)
}

/// Counts, per stem, how often each surface word produced it, to name stems by their
/// commonest surface form (ties broken alphabetically so labels are deterministic).
#[derive(Debug, Default, Clone)]
pub struct SurfaceForms {
    counts: HashMap<String, HashMap<String, u32>>,
}

impl SurfaceForms {
    pub fn add(&mut self, tokens: &Tokens) {
        for (stem, surface) in tokens.stems.iter().zip(&tokens.surfaces) {
            *self
                .counts
                .entry(stem.clone())
                .or_default()
                .entry(surface.clone())
                .or_insert(0) += 1;
        }
    }

    pub fn merge(mut self, other: SurfaceForms) -> SurfaceForms {
        for (stem, forms) in other.counts {
            let mine = self.counts.entry(stem).or_default();
            for (form, n) in forms {
                *mine.entry(form).or_insert(0) += n;
            }
        }
        self
    }

    /// The readable form of a term (a stem or a space-joined bigram of stems).
    pub fn surface(&self, term: &str) -> String {
        term.split(' ')
            .map(|stem| {
                self.counts
                    .get(stem)
                    .and_then(|forms| {
                        forms
                            .iter()
                            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                            .map(|(form, _)| form.clone())
                    })
                    .unwrap_or_else(|| stem.to_string())
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_normalises_drops_and_stems() {
        let a = Analyzer::english();
        let t =
            a.analyze("Syria’s leaders met Russia's envoys in 2025, and the talks WENT well: 3.5%");
        assert_eq!(
            t.surfaces,
            ["syria", "leaders", "met", "russia", "envoys", "talks", "went"]
        );
        assert_eq!(
            t.stems,
            ["syria", "leader", "met", "russia", "envoy", "talk", "went"]
        );
    }

    #[test]
    fn unicode_words_and_apostrophes() {
        let a = Analyzer::english();
        let t = a.analyze("Müller's café in Zürich; O’Brien — naïve");
        assert_eq!(t.surfaces, ["müller", "café", "zürich", "o'brien", "naïve"]);
        assert_eq!(t.stems[3], "obrien");
    }

    #[test]
    fn surface_forms_pick_commonest() {
        let a = Analyzer::english();
        let mut s = SurfaceForms::default();
        s.add(&a.analyze("Russia russian Russia's russias"));
        assert_eq!(s.surface("russia"), "russia");
        s.add(&a.analyze("famine famines famines"));
        assert_eq!(s.surface("famin"), "famines");
        assert_eq!(s.surface("russia famin"), "russia famines");
        assert_eq!(s.surface("unknown"), "unknown");
    }

    #[test]
    fn user_stop_words() {
        let a = Analyzer::english().with_stop_words(["Gaza"]);
        assert!(a.analyze("Gaza famine").surfaces == ["famine"]);
    }
}
