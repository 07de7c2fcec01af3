//! Text analysis: a tokenizer followed by a chain of small token filters, after tantivy's
//! analyzer. Words are found by Unicode word boundaries (UAX #29), then each token is
//! normalised (lower case, typographic apostrophes), loses its possessive, and is dropped if it
//! is a number, too short or a stop word; survivors are Snowball-stemmed. The analyzer also
//! records which surface word each stem came from, so labels can read "russia", not "russi".

use std::collections::HashSet;

use rustc_hash::FxHashMap;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

const ENGLISH_STOP_WORDS: &str = include_str!("../assets/stopwords/english.txt");

/// An analysed document: its stems in order, and the surface word of each stem occurrence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tokens {
    pub stems: Vec<String>,
    pub surfaces: Vec<String>,
}

/// Languages with a Snowball stemmer (rust-stemmers). Stop words: English uses scikit-learn's
/// list (plus a few news words); the others use the stopwords-iso lists (the `stop-words`
/// crate), where one exists.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Arabic,
    Danish,
    Dutch,
    #[default]
    English,
    Finnish,
    French,
    German,
    Greek,
    Hungarian,
    Italian,
    Norwegian,
    Portuguese,
    Romanian,
    Russian,
    Spanish,
    Swedish,
    Tamil,
    Turkish,
}

impl Language {
    fn algorithm(self) -> Algorithm {
        use Language::*;
        match self {
            Arabic => Algorithm::Arabic,
            Danish => Algorithm::Danish,
            Dutch => Algorithm::Dutch,
            English => Algorithm::English,
            Finnish => Algorithm::Finnish,
            French => Algorithm::French,
            German => Algorithm::German,
            Greek => Algorithm::Greek,
            Hungarian => Algorithm::Hungarian,
            Italian => Algorithm::Italian,
            Norwegian => Algorithm::Norwegian,
            Portuguese => Algorithm::Portuguese,
            Romanian => Algorithm::Romanian,
            Russian => Algorithm::Russian,
            Spanish => Algorithm::Spanish,
            Swedish => Algorithm::Swedish,
            Tamil => Algorithm::Tamil,
            Turkish => Algorithm::Turkish,
        }
    }

    /// ISO 639-1 code, as the stopwords-iso lists are keyed.
    fn iso(self) -> &'static str {
        use Language::*;
        match self {
            Arabic => "ar",
            Danish => "da",
            Dutch => "nl",
            English => "en",
            Finnish => "fi",
            French => "fr",
            German => "de",
            Greek => "el",
            Hungarian => "hu",
            Italian => "it",
            Norwegian => "no",
            Portuguese => "pt",
            Romanian => "ro",
            Russian => "ru",
            Spanish => "es",
            Swedish => "sv",
            Tamil => "ta",
            Turkish => "tr",
        }
    }
}

/// Tokenizer + filters. Cheap to share across threads (`&Analyzer` is `Sync`).
pub struct Analyzer {
    language: Language,
    stemmer: Stemmer,
    stop_words: HashSet<String>,
    /// Multi-word names kept as one token ("gaza strip"), as normalised word sequences.
    phrases: Vec<Vec<String>>,
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
        Self::new(Language::English)
    }

    pub fn new(language: Language) -> Self {
        let stop_words = match language {
            Language::English => ENGLISH_STOP_WORDS
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect(),
            other => stop_words::lookup(other.iso())
                .unwrap_or(&[])
                .iter()
                .map(|w| normalise(w))
                .collect(),
        };
        Analyzer {
            language,
            stemmer: Stemmer::create(language.algorithm()),
            stop_words,
            phrases: Vec::new(),
            min_chars: 2,
        }
    }

    /// Adds user stop words (matched after lower-casing, before stemming).
    pub fn with_stop_words<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, words: I) -> Self {
        self.stop_words
            .extend(words.into_iter().map(|w| normalise(w.as_ref())));
        self
    }

    /// Phrases to keep as one token ("al-sharaa", "gaza strip"): their words, found in a row,
    /// become a single term, neither stemmed nor stop-worded.
    pub fn with_phrases<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, phrases: I) -> Self {
        for p in phrases {
            let words: Vec<String> = p.as_ref().unicode_words().map(normalise).collect();
            if !words.is_empty() {
                self.phrases.push(words);
            }
        }
        // Longest first, so "gaza strip border" wins over "gaza strip".
        self.phrases.sort_by_key(|p| std::cmp::Reverse(p.len()));
        self
    }

    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop_words.contains(word)
    }

    /// Runs the whole chain on one text.
    pub fn analyze(&self, text: &str) -> Tokens {
        let mut cache = self.cache();
        let mut out = Tokens::default();
        cache.each_token(&[text], |t| {
            out.stems.push(t.stem.to_string());
            out.surfaces.push(t.surface.to_string());
        });
        out
    }

    /// A memo of this analyzer's work, for analysing many texts on one thread.
    pub fn cache(&self) -> TokenCache<'_> {
        TokenCache {
            analyzer: self,
            index: FxHashMap::default(),
            words: Vec::new(),
            phrases: self
                .phrases
                .iter()
                .map(|p| {
                    let surface = p.join(" ");
                    let stem = surface.replace(' ', "_");
                    Term {
                        hash: stem_hash(&stem),
                        stem: stem.into(),
                        surface: surface.into(),
                        uses: 0,
                    }
                })
                .collect(),
            ids: Vec::new(),
        }
    }

    /// What the chain makes of one word form: its normalised form, and the term it yields
    /// unless a filter drops it.
    fn word(&self, raw: &str) -> Word {
        let w = normalise(raw);
        let norm = match self.language {
            Language::English => strip_possessive(&w),
            _ => strip_elision(&w),
        };
        let dropped = norm.chars().count() < self.min_chars
            || norm.chars().any(|c| c.is_numeric())
            || self.stop_words.contains(norm);
        let term = (!dropped).then(|| {
            // Internal apostrophes (o'brien) are kept in the surface but not in the stem key.
            let key: String = norm.chars().filter(|&c| c != '\'').collect();
            let stem = self.stemmer.stem(&key);
            Term {
                hash: stem_hash(&stem),
                stem: stem.into(),
                surface: norm.into(),
                uses: 0,
            }
        });
        Word {
            norm: norm.into(),
            term,
        }
    }
}

/// A stem's identity as the vectorizer counts it: FNV-1a of its bytes, so documents can be
/// held as 8 bytes a token and counted by sorting, with no string per token.
pub fn stem_hash(stem: &str) -> u64 {
    fnv1a(0xcbf2_9ce4_8422_2325, stem.as_bytes())
}

/// FNV-1a over `bytes`, continuing from `h`.
pub(crate) fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One token as the chain emits it.
#[derive(Debug, Clone, Copy)]
pub struct Token<'t> {
    pub hash: u64,
    pub stem: &'t str,
    pub surface: &'t str,
}

#[derive(Debug)]
struct Term {
    hash: u64,
    stem: Box<str>,
    surface: Box<str>,
    /// Occurrences emitted, for the surface-form counts.
    uses: u32,
}

#[derive(Debug)]
struct Word {
    norm: Box<str>,
    term: Option<Term>,
}

/// Remembers, per distinct word form, what the filters and the stemmer made of it. News
/// repeats its vocabulary, so after the first few hundred articles nearly every token costs
/// one hash lookup instead of lower-casing, a stop-word lookup and a Snowball run; it also
/// counts surface forms per distinct word, not per token. One per thread.
pub struct TokenCache<'a> {
    analyzer: &'a Analyzer,
    index: FxHashMap<Box<str>, u32>,
    words: Vec<Word>,
    phrases: Vec<Term>,
    /// Word ids of the text being analysed (reused between texts).
    ids: Vec<u32>,
}

impl TokenCache<'_> {
    /// The stem hashes of the texts read as one (title and body, say), appended to `out`.
    pub fn hashes(&mut self, parts: &[&str], out: &mut Vec<u64>) {
        self.each_token(parts, |t| out.push(t.hash));
    }

    /// Runs the chain over `parts`, read one after another (words never span two parts, as
    /// they never span a line break), calling `emit` for each token.
    pub fn each_token(&mut self, parts: &[&str], mut emit: impl FnMut(Token<'_>)) {
        self.ids.clear();
        for part in parts {
            for raw in part.unicode_words() {
                let id = match self.index.get(raw) {
                    Some(&id) => id,
                    None => {
                        let id = self.words.len() as u32;
                        self.words.push(self.analyzer.word(raw));
                        self.index.insert(raw.into(), id);
                        id
                    }
                };
                self.ids.push(id);
            }
        }
        let mut i = 0;
        while i < self.ids.len() {
            let words = &self.words;
            let rest = &self.ids[i..];
            let phrase = self.analyzer.phrases.iter().position(|p| {
                p.len() <= rest.len()
                    && p.iter()
                        .zip(rest)
                        .all(|(w, &id)| *words[id as usize].norm == **w)
            });
            if let Some(p) = phrase {
                let t = &mut self.phrases[p];
                t.uses += 1;
                emit(t.token());
                i += self.analyzer.phrases[p].len();
                continue;
            }
            if let Some(t) = &mut self.words[self.ids[i] as usize].term {
                t.uses += 1;
                emit(t.token());
            }
            i += 1;
        }
    }

    /// The surface forms of every token emitted so far.
    pub fn surface_forms(&self) -> SurfaceForms {
        let mut forms = SurfaceForms::default();
        let terms = self.words.iter().filter_map(|w| w.term.as_ref());
        for t in terms.chain(&self.phrases).filter(|t| t.uses > 0) {
            *forms
                .counts
                .entry(t.stem.to_string())
                .or_default()
                .entry(t.surface.to_string())
                .or_insert(0) += t.uses;
        }
        forms
    }
}

impl Term {
    fn token(&self) -> Token<'_> {
        Token {
            hash: self.hash,
            stem: &self.stem,
            surface: &self.surface,
        }
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

/// French, Italian and Catalan elide articles and pronouns: l'économie, d'Israël, qu'il.
fn strip_elision(word: &str) -> &str {
    let word = word.trim_matches('\'');
    match word.split_once('\'') {
        Some((head, tail)) if head.chars().count() <= 3 && !tail.is_empty() => tail,
        _ => word,
    }
}

fn strip_possessive(word: &str) -> &str {
    let word = word.trim_matches('\'');
    word.strip_suffix("'s").unwrap_or(word)
}

/// Counts, per stem, how often each surface word produced it, to name stems by their
/// commonest surface form (ties broken alphabetically so labels are deterministic).
#[derive(Debug, Default, Clone)]
pub struct SurfaceForms {
    counts: FxHashMap<String, FxHashMap<String, u32>>,
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

    pub fn merge(mut self, mut other: SurfaceForms) -> SurfaceForms {
        // Fold the smaller into the larger: one thread's forms merge into the next's.
        if other.counts.len() > self.counts.len() {
            std::mem::swap(&mut self, &mut other);
        }
        for (stem, forms) in other.counts {
            let mine = self.counts.entry(stem).or_default();
            for (form, n) in forms {
                *mine.entry(form).or_insert(0) += n;
            }
        }
        self
    }

    /// Every stem seen.
    pub fn stems(&self) -> impl Iterator<Item = &str> {
        self.counts.keys().map(String::as_str)
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
    fn phrases_stay_whole() {
        let a = Analyzer::english().with_phrases(["Gaza Strip", "al-Sharaa"]);
        let t = a.analyze("Aid reached the Gaza strip as al-Sharaa met envoys");
        assert_eq!(
            t.surfaces,
            ["aid", "reached", "gaza strip", "al sharaa", "met", "envoys"]
        );
        assert_eq!(t.stems[2], "gaza_strip");
    }

    #[test]
    fn french_and_arabic() {
        let fr = Analyzer::new(Language::French);
        let t = fr.analyze("L'économie d'Israël et les négociations sur la famine à Gaza");
        assert_eq!(
            t.surfaces,
            ["économie", "israël", "négociations", "famine", "gaza"]
        );
        assert_eq!(t.stems[2], "négoci");
        let ar = Analyzer::new(Language::Arabic);
        let t = ar.analyze("قال الرئيس إن المفاوضات في غزة مستمرة");
        assert!(!t.stems.is_empty());
        assert!(
            !t.surfaces.contains(&"في".to_string()),
            "Arabic stop word kept: {:?}",
            t.surfaces
        );
    }

    /// A warm cache must give what a cold one gives, text after text, and count surfaces
    /// exactly as adding each text's tokens would.
    #[test]
    fn warm_cache_matches_cold_analysis() {
        let a = Analyzer::english().with_phrases(["Gaza Strip"]);
        let texts = [
            "Gaza strip talks: Russia's envoys met Syria's leaders.",
            "The envoys' talks in the Gaza Strip went on; RUSSIA said 3 times.",
            "gaza",
            "",
            "Strip mining in Russia",
        ];
        let mut cache = a.cache();
        let mut expected = SurfaceForms::default();
        for text in texts {
            let cold = a.analyze(text);
            expected.add(&cold);
            let mut warm = Tokens::default();
            cache.each_token(&[text], |t| {
                assert_eq!(t.hash, stem_hash(t.stem));
                warm.stems.push(t.stem.to_string());
                warm.surfaces.push(t.surface.to_string());
            });
            assert_eq!(warm, cold, "{text}");
        }
        assert_eq!(cache.surface_forms().counts, expected.counts);
        // Parts read like lines of one text: words never span them, phrases may.
        let mut hashes = Vec::new();
        cache.hashes(&["talks in Gaza", "Strip"], &mut hashes);
        let whole: Vec<u64> = a
            .analyze("talks in Gaza\nStrip")
            .stems
            .iter()
            .map(|s| stem_hash(s))
            .collect();
        assert_eq!(hashes, whole);
    }

    #[test]
    fn user_stop_words() {
        let a = Analyzer::english().with_stop_words(["Gaza"]);
        assert!(a.analyze("Gaza famine").surfaces == ["famine"]);
    }
}
