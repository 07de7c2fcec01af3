//! Themes: turns a clustering into named themes.
//!
//! A theme's terms are scored over everything its articles say, not over the pruned
//! vocabulary the clustering used (where a word found in one article, such as "famine", is
//! gone): every word, and every phrase of two or three words written next to each other (no
//! punctuation, stop word or number between; a hyphen or an en dash may join them). Terms
//! are ranked by class-based TF-IDF, as in BERTopic: the theme's articles pooled into one
//! document, weighed against the other themes, each article counting a term `1 + ln(tf)`
//! times so that one article repeating a name cannot outweigh many that use a word.
//!
//! - **Top terms** are the ten best, each shown as written; a term is listed only under the
//!   theme where it scores highest (so two themes never share a term, and each list says
//!   what sets its theme apart), and a term is left out if it is part of one already listed
//!   ("Gaza" after "Gaza Strip"); a phrase that contains a listed word and scores nearly as
//!   well takes the word's place ("al-Hol" for "Hol").
//! - **The name** is the phrase most of the theme's articles use, preferring headlines and
//!   first sentences: a phrase scores `(articles using it + those using it in their lead) /
//!   theme size × share of the phrase's articles that are in this theme`. Used by at least two
//!   articles and 5% of the theme, and scoring at least [`NAME_MIN_SCORE`], it names the
//!   theme; otherwise (always for a theme of one article) the name is its two best terms, a
//!   name first ("Gaza famine"), two names joined by a dash ("Syria–Russia"), two words as a
//!   list ("wheat, grain"). For this, a
//!   small theme's term scores are weighed by the terms' rarity in the language at large
//!   ([`rarity`]): a few articles cannot show by themselves that "famine" says more than
//!   "food". A phrase that is mostly part of a longer name ("Exchange Commission" of
//!   "Securities and Exchange Commission") or that follows a number ("907 mln dlrs") names
//!   nothing. No two themes get the same name.
//! - **Representatives** are the articles nearest the theme's centroid.

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::cluster::Clustering;
use crate::corpus::{Article, TextStore};
use crate::text::{rarity, Analyzer, Doc, Join, Language, Span, SurfaceForms, TokenCache};
use crate::vectorize::{pair, DfTable, StemNames};

/// Terms kept per theme, and how many of them make the label.
pub const TOP_TERMS: usize = 10;
pub const LABEL_TERMS: usize = 4;
pub const REPRESENTATIVES: usize = 3;
/// Below this score ([`crate::themes`]), the best phrase does not name its theme.
pub const NAME_MIN_SCORE: f64 = 0.1;
/// A name phrase must be used by this share of the theme's articles (and by two at least).
const NAME_MIN_SUPPORT: f64 = 0.05;
/// A name phrase that shares no word with the theme's first [`LABEL_TERMS`] top terms must be
/// used by this share of its articles.
const NAME_MAJORITY: f64 = 0.5;
/// A phrase scoring at least this share of a listed term it contains replaces it.
const SUPERSEDE: f64 = 0.75;
/// Longest name, in words.
const NAME_MAX_WORDS: usize = 4;
/// A term's weight in a theme is its c-TF-IDF times the share of its weight that falls in
/// that theme to this power: frequent words used everywhere ("year", "today") give way to
/// the theme's own. 0.75 gave the most coherent labels on R8, above both 0 and 1 (NPMI,
/// `bench/label_quality.py`).
const PRECISION_POWER: f64 = 0.75;
/// A term is listed under every theme where it weighs at least this share of its weight
/// in the theme where it weighs most: "vs" belongs to both earnings themes, "year" to none
/// in particular. Letting a term serve two themes costs a little diversity for more
/// coherent labels than one theme each (measured in docs/quality.md).
const SHARE_OF_BEST: f64 = 0.5;
/// How much the next top term's use in the same articles as the terms already listed
/// counts: its weight is multiplied by `exp(TOGETHER × mean NPMI)` with them. Labels grow
/// more coherent (NPMI on R8) the more it counts, up to this value.
const TOGETHER: f64 = 8.0;
/// Candidates per theme and kind (words, phrases) scored in full: the most used in it.
const SHORTLIST: usize = 400;
/// Articles read per theme for its terms, evenly spread over it: bounds the cost at scale,
/// and a theme's words are clear long before 5,000 of its articles.
const NAMING_SAMPLE: usize = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// 0 is the largest theme.
    pub id: usize,
    /// A short name for charts and tables ("Gaza famine", "oil prices").
    pub name: String,
    /// The top terms that say most, joined: the detail beside the name.
    pub label: String,
    /// Terms as written, most distinctive first.
    pub top_terms: Vec<String>,
    pub size: usize,
    pub share: f64,
    /// Indices of the most central articles, nearest first.
    pub representatives: Vec<usize>,
    /// How often the theme's articles came back together across the fit's restarts
    /// ([`crate::cluster::Stability`]); `None` where the fit did not measure it (themes of a
    /// saved model).
    pub stability: Option<f64>,
}

impl Theme {
    /// Measured and below [`crate::cluster::UNSTABLE_BELOW`]: the theme may split or merge
    /// on another fit.
    pub fn unstable(&self) -> bool {
        self.stability
            .is_some_and(|s| s < crate::cluster::UNSTABLE_BELOW)
    }
}

/// Themes plus each article's theme id (renumbered so that theme 0 is the largest, unless
/// the ids were kept, as when assigning to a saved model's themes).
#[derive(Debug, Clone)]
pub struct ThemeSet {
    pub themes: Vec<Theme>,
    pub assignments: Vec<usize>,
    /// `cluster_of[theme id]` is the clustering's index of that theme (its centroid row).
    pub cluster_of: Vec<usize>,
}

impl ThemeSet {
    /// The measured themes' stabilities weighted by their sizes (the share of articles whose
    /// theme comes back on a refit, on average); `None` when the fit measured none.
    pub fn stability(&self) -> Option<f64> {
        let mut total = 0usize;
        let mut sum = 0.0;
        for t in &self.themes {
            if let Some(s) = t.stability {
                sum += s * t.size as f64;
                total += t.size;
            }
        }
        (total > 0).then(|| sum / total as f64)
    }
}

/// What the analysed articles say, for naming: their tokens and how stems are written.
#[derive(Clone, Copy)]
pub struct Texts<'a> {
    pub docs: &'a [Doc],
    pub stems: &'a StemNames,
    pub surfaces: &'a SurfaceForms,
    pub language: Language,
    /// The articles the documents were analysed from, by the same analyzer, to read how the
    /// chosen terms are written.
    pub articles: &'a [Article],
    /// Where their texts are (see [`TextStore`]).
    pub texts: &'a TextStore,
    pub analyzer: &'a Analyzer,
}

/// One term's counts in one theme.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stat {
    /// Σ over the theme's articles that use it of `1 + ln(count in the article)`.
    weight: f32,
    /// Articles using it.
    pub(crate) df: u32,
    /// Articles using it in their headline or first sentence.
    pub(crate) lead: u32,
    words: u8,
    /// While counting: the article being read (1-based position among the members), its
    /// uses of the term so far, and whether one is in its lead.
    last: u32,
    uses: u32,
    in_lead: bool,
}

impl Stat {
    /// Adds the article being read to the totals: each article's weight is added when the
    /// next article using the term (or the end) comes, so the sums run in article order.
    fn close(&mut self) {
        if self.uses > 0 {
            self.weight += 1.0 + (self.uses as f32).ln();
            self.df += 1;
            self.lead += u32::from(self.in_lead);
            self.uses = 0;
            self.in_lead = false;
        }
    }
}

/// Hash of a phrase: the phrase so far, then the next stem.
fn extend(phrase: u64, stem: u64) -> u64 {
    pair(phrase, stem)
}

/// Every term occurrence of a document: `(hash, words, index of its last token)`. A phrase
/// right after a number is a quantity ("907 mln dlrs"), not a name, and is not counted.
fn each_candidate(doc: &Doc, mut f: impl FnMut(u64, u8, usize)) {
    let s = &doc.stems;
    let joined = |i: usize| doc.join(i) == Join::Joined;
    let starts = |i: usize| doc.join(i) != Join::AfterNumber;
    for i in 0..s.len() {
        f(s[i], 1, i);
        if i >= 1 && joined(i) {
            let two = extend(s[i - 1], s[i]);
            if starts(i - 1) {
                f(two, 2, i);
            }
            if i >= 2 && joined(i - 1) && starts(i - 2) {
                f(extend(extend(s[i - 2], s[i - 1]), s[i]), 3, i);
            }
        }
    }
}

/// Counts every word and phrase of the articles `members`, or only those in `only`.
pub(crate) fn count_terms(
    docs: &[Doc],
    members: &[usize],
    only: Option<&FxHashSet<u64>>,
) -> FxHashMap<u64, Stat> {
    let mut map: FxHashMap<u64, Stat> = FxHashMap::default();
    for (&d, at) in members.iter().zip(1u32..) {
        let doc = &docs[d];
        each_candidate(doc, |h, words, end| {
            if only.is_some_and(|o| !o.contains(&h)) {
                return;
            }
            let e = map.entry(h).or_insert(Stat {
                words,
                ..Stat::default()
            });
            if e.last != at {
                e.close();
                e.last = at;
            }
            e.uses += 1;
            e.in_lead |= end < doc.lead as usize;
        });
    }
    map.values_mut().for_each(Stat::close);
    map
}

/// How many of a story's articles use a term, and how many in their lead: all a story's
/// candidates are scored by. Sixteen bytes where a theme's [`Stat`] takes 28, in maps of
/// thousands of terms a story.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Uses {
    pub(crate) df: u32,
    pub(crate) lead: u32,
    /// The last (1-based) article counted, and the last counted in its lead.
    last: u32,
    last_lead: u32,
}

impl Uses {
    /// A use in article `at` (1-based, articles read in order), in its lead or not.
    fn count(&mut self, at: u32, in_lead: bool) {
        self.df += u32::from(self.last != at);
        self.last = at;
        if in_lead {
            self.lead += u32::from(self.last_lead != at);
            self.last_lead = at;
        }
    }
}

/// The words and phrases used by at least `min_df` of the articles `members`, with how many
/// use them and how many in their lead. A term first met when fewer than `min_df` articles are
/// left cannot reach it, so from there on only the terms already met are counted. `map` is
/// emptied first: kept from one story to the next, its room is not grown again each time.
pub(crate) fn frequent_terms(
    map: &mut FxHashMap<u64, Uses>,
    docs: &[Doc],
    members: &[usize],
    min_df: u32,
) -> Vec<(u64, Uses)> {
    map.clear();
    let open = members.len().saturating_sub(min_df as usize) + 1;
    for (k, (&d, at)) in members.iter().zip(1u32..).enumerate() {
        let doc = &docs[d];
        each_candidate(doc, |h, _, end| {
            let e = if k < open {
                map.entry(h).or_default()
            } else {
                match map.get_mut(&h) {
                    Some(e) => e,
                    None => return,
                }
            };
            e.count(at, end < doc.lead as usize);
        });
    }
    map.iter()
        .filter(|(_, u)| u.df >= min_df)
        .map(|(&h, &u)| (h, u))
        .collect()
}

/// How many of a run of articles use each of a set of words and phrases (see
/// [`articles_using`]), in the fit's document-frequency table ([`DfTable`]), whose slots an
/// article's lookups can load together: the stories' candidates at a million articles are
/// millions of terms, and one lookup after another each waited on its own cache miss.
pub(crate) struct ArticlesUsing {
    table: DfTable,
}

impl ArticlesUsing {
    /// The articles counted that use `term` (0 for a term not in the set).
    pub(crate) fn get(&self, term: u64) -> u32 {
        self.table.get(term).map_or(0, |c| c.0)
    }

    /// Loads where `terms` are, together: each is a likely cache miss, and loaded together
    /// the misses overlap (see [`TermTable::warm`]).
    pub(crate) fn warm(&self, terms: impl IntoIterator<Item = u64>) {
        self.table.warm(terms);
    }
}

/// How many of the articles `members` use each of the words and phrases `only` (given any
/// number of times; no weight, no lead: how common a story's candidates are in the corpus).
/// Each thread counts a run of the articles in a copy of the table, an article's lookups
/// loaded together; the copies' counts are then added up.
pub(crate) fn articles_using(
    docs: &[Doc],
    members: &[usize],
    only: impl Iterator<Item = u64>,
) -> ArticlesUsing {
    let mut table = DfTable::default();
    only.for_each(|h| table.hold(h));
    let runs: Vec<&[usize]> = members
        .chunks(crate::vectorize::per_thread(members.len()))
        .collect();
    if runs.is_empty() {
        return ArticlesUsing { table };
    }
    // One copy per run but the last, which counts in the table itself.
    let mut copies: Vec<DfTable> = (1..runs.len()).map(|_| table.clone()).collect();
    copies.push(table);
    let counted: Vec<DfTable> = copies
        .into_par_iter()
        .zip(runs)
        .map(|(mut table, run)| {
            let mut terms = Vec::new();
            for (&d, at) in run.iter().zip(1u32..) {
                terms.clear();
                each_candidate(&docs[d], |h, _, _| terms.push(h));
                table.warm(terms.iter().copied());
                for &h in &terms {
                    table.count_held(h, at);
                }
            }
            table
        })
        .collect();
    let mut counted = counted.into_iter();
    let mut table = counted.next().expect("one run at least");
    counted.for_each(|more| table.add_counts(&more));
    ArticlesUsing { table }
}

/// A theme's total term weight and its most used words and phrases (see [`shortlist`]).
struct Shortlists {
    total: f64,
    words: Vec<(u64, Stat)>,
    phrases: Vec<(u64, Stat)>,
}

/// A scored candidate of one theme.
#[derive(Debug, Clone)]
struct Candidate {
    hash: u64,
    stat: Stat,
    /// c-TF-IDF weight in this theme.
    score: f64,
    /// Articles using it across all themes.
    df_all: u32,
}

/// Up to `n` entries of `map` with `keep`, by weight (ties by hash, for determinism).
fn shortlist(
    map: &FxHashMap<u64, Stat>,
    n: usize,
    keep: impl Fn(&Stat) -> bool,
) -> Vec<(u64, Stat)> {
    let mut all: Vec<(u64, Stat)> = map
        .iter()
        .filter(|(_, s)| keep(s))
        .map(|(&h, &s)| (h, s))
        .collect();
    let by =
        |a: &(u64, Stat), b: &(u64, Stat)| b.1.weight.total_cmp(&a.1.weight).then(a.0.cmp(&b.0));
    if all.len() > n {
        all.select_nth_unstable_by(n, by);
        all.truncate(n);
    }
    all.sort_unstable_by(by);
    all
}

/// Where a term was found: its stems, and up to [`OCCURRENCES`] places `(article, first
/// token, last token)` to read how it is written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    pub(crate) stems: Vec<u64>,
    at: Vec<(usize, usize, usize)>,
}

/// Occurrences read per term of a theme to see how it is written.
const OCCURRENCES: usize = 12;
/// Mid-sentence uses in a theme from which its own form of a word is shown.
const WORD_FORM_EVIDENCE: u32 = 3;

/// Finds the terms `wanted` (by hash) in the articles `members`: their stems, and where
/// they occur. Stops once every term has been seen [`OCCURRENCES`] times.
pub(crate) fn find(
    docs: &[Doc],
    members: &[usize],
    wanted: &FxHashSet<u64>,
) -> FxHashMap<u64, Found> {
    let mut out: FxHashMap<u64, Found> = FxHashMap::default();
    let mut done = 0;
    for &d in members {
        if done == wanted.len() {
            break;
        }
        let s = &docs[d].stems;
        each_candidate(&docs[d], |h, words, end| {
            if !wanted.contains(&h) {
                return;
            }
            let start = end + 1 - words as usize;
            let f = out.entry(h).or_insert_with(|| Found {
                stems: s[start..=end].to_vec(),
                at: Vec::new(),
            });
            if f.at.len() < OCCURRENCES {
                f.at.push((d, start, end));
                done += usize::from(f.at.len() == OCCURRENCES);
            }
        });
    }
    out
}

/// A span of text as a term is shown: spaces collapsed, apostrophes folded, possessives
/// dropped, an abbreviation's final period restored ("U.S."), and composed (NFC), so a phrase
/// written both ways counts as one form. Written into `out`
/// (cleared): naming reads millions of spans at a million articles, and a string per word
/// and per span was most of the cost of counting their forms.
fn written_into(span: &str, out: &mut String) {
    out.clear();
    for word in span.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        let start = out.len();
        out.extend(word.chars().map(crate::text::fold_apostrophe));
        let bare = out[start..]
            .trim_end_matches("'s")
            .trim_end_matches("'S")
            .len();
        if bare > 0 {
            out.truncate(start + bare);
        }
    }
    if out.rsplit(' ').next().is_some_and(|w| w.contains('.')) && !out.ends_with('.') {
        out.push('.');
    }
    if let std::borrow::Cow::Owned(composed) = crate::text::composed(out) {
        *out = composed;
    }
}

/// The word next to `span` in `text`, before it (`before`) or after it, with only spaces
/// between; a connector ("of", "and") is looked past ("Securities and Exchange Commission").
fn neighbour(text: &str, start: usize, end: usize, before: bool) -> Option<&str> {
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '\'' | '\u{2019}');
    let next = |at: usize| -> Option<(&str, usize, usize)> {
        if before {
            let head = &text[..at];
            let trimmed = head.trim_end_matches([' ', '\t']);
            let w_start = trimmed
                .char_indices()
                .rev()
                .take_while(|&(_, c)| is_word(c))
                .last()
                .map(|(i, _)| i)?;
            (trimmed.len() < head.len()).then_some((&trimmed[w_start..], w_start, trimmed.len()))
        } else {
            let tail = &text[at..];
            let trimmed = tail.trim_start_matches([' ', '\t']);
            let skip = tail.len() - trimmed.len();
            let len: usize = trimmed
                .chars()
                .take_while(|&c| is_word(c))
                .map(char::len_utf8)
                .sum();
            (skip > 0 && len > 0).then_some((&trimmed[..len], at + skip, at + skip + len))
        }
    };
    let (word, s, e) = next(if before { start } else { end })?;
    if matches!(word, "of" | "and" | "for" | "de") {
        return next(if before { s } else { e }).map(|w| w.0);
    }
    Some(word)
}

/// How a term is written, and whether it is mostly the fragment of a longer name ("Exchange
/// Commission" of "Securities and Exchange Commission", "International Coffee" of
/// "International Coffee Organization"), which does not name a theme.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub(crate) form: String,
    pub(crate) fragment: bool,
}

/// Articles already read for how their terms are written, by index, with where each token
/// stands: a story's terms are looked up a few at a time in the same articles.
#[derive(Default)]
pub(crate) struct ReadArticles(FxHashMap<usize, (String, Vec<Span>)>);

/// Article `d`'s text and where each of its tokens stands: from its note beside the spilled
/// text, or by analysing the text again. A note of another length than the document's is not
/// its own, and is never trusted, whatever went wrong. `None` when the text cannot be read.
fn read_places(texts: &Texts, d: usize, cache: &mut TokenCache) -> Option<(String, Vec<Span>)> {
    let body = texts.texts.text(texts.articles, d).ok()?.into_owned();
    let noted = texts.texts.note(d).ok().flatten();
    let decoded = noted.and_then(|n| Span::decode(&n));
    let places = decoded
        .filter(|p| p.len() == texts.docs[d].stems.len())
        .unwrap_or_else(|| cache.spans(&[texts.articles[d].title.as_str(), &body]));
    Some((body, places))
}

/// How each term in `found` is written. A word: its commonest form mid-sentence in the whole
/// corpus ([`SurfaceForms`]). A phrase: its commonest form mid-sentence in the body of the
/// articles it was found in, read from the text, so "al-Hol", "U.S. trade" and "European
/// Currency Unit" read as written (stems alone would give "European currency United").
pub(crate) fn written_forms(
    found: &FxHashMap<u64, Found>,
    texts: &Texts,
    cache: &mut TokenCache,
    read: &mut ReadArticles,
) -> FxHashMap<u64, Written> {
    let mut by_doc: Vec<(usize, usize, usize, u64)> = found
        .iter()
        .flat_map(|(&h, f)| f.at.iter().map(move |&(d, a, b)| (d, a, b, h)))
        .collect();
    by_doc.sort_unstable();
    // Per phrase: written form → (occurrences, of which inside a longer name).
    let mut counts: FxHashMap<u64, FxHashMap<String, (u32, u32)>> = FxHashMap::default();
    let mut form = String::new();
    for group in by_doc.chunk_by(|a, b| a.0 == b.0) {
        let d = group[0].0;
        let article = &texts.articles[d];
        let doc = &texts.docs[d];
        // Where each token stands: kept with the document, noted beside its spilled text,
        // or found by analysing its text again (once per article, however many batches of
        // terms look it up). The scratch file was written by this run: a text that cannot be
        // read back only leaves its forms uncounted here (a note that cannot, the text
        // analysed again), and writing articles.parquet reports the failure.
        let (body, places): (std::borrow::Cow<str>, Option<&[Span]>) = if doc.has_spans() {
            let Ok(body) = texts.texts.text(texts.articles, d) else {
                continue;
            };
            (body, None)
        } else {
            let (body, places) = match read.0.entry(d) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let Some(read) = read_places(texts, d, cache) else {
                        continue;
                    };
                    e.insert(read)
                }
            };
            (body.as_str().into(), Some(places.as_slice()))
        };
        let span = |i: usize| places.map_or_else(|| doc.span(i), |p| p.get(i).copied());
        let parts = [article.title.as_str(), body.as_ref()];
        for &(_, a, b, h) in group {
            let (Some(first), Some(last)) = (span(a), span(b)) else {
                continue;
            };
            if !(first.mid && first.part == last.part && first.start < last.end) {
                continue;
            }
            let Some((text, span)) = parts
                .get(first.part)
                .and_then(|t| Some((*t, t.get(first.start..last.end)?)))
            else {
                continue;
            };
            written_into(span, &mut form);
            let inside = is_name(&form)
                && [true, false].into_iter().any(|before| {
                    neighbour(text, first.start, last.end, before).is_some_and(is_name)
                });
            let forms = counts.entry(h).or_default();
            let e = match forms.get_mut(form.as_str()) {
                Some(e) => e,
                None => forms.entry(form.clone()).or_default(),
            };
            e.0 += 1;
            e.1 += u32::from(inside);
        }
    }
    let word = |s: &u64| texts.stems.get(s).map(|s| texts.surfaces.word(s));
    found
        .iter()
        .filter_map(|(&h, f)| {
            let best = counts.get(&h).and_then(|forms| {
                let all: u32 = forms.values().map(|n| n.0).sum();
                let inside: u32 = forms.values().map(|n| n.1).sum();
                forms
                    .iter()
                    .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then_with(|| b.0.cmp(a.0)))
                    .map(|(form, _)| Written {
                        form: form.clone(),
                        fragment: 2 * inside > all,
                    })
            });
            let shown = match best {
                // A word: its inflection as this theme writes it ("terms", where the corpus
                // mostly writes "long-term"), its case as the corpus does unless this
                // theme's form is another word.
                Some(w) if f.stems.len() == 1 => {
                    let global = f.stems.first().and_then(word);
                    let local = counts
                        .get(&h)
                        .map_or(0, |forms| forms.values().map(|n| n.0).sum::<u32>());
                    match global {
                        Some(g)
                            if local < WORD_FORM_EVIDENCE
                                || g.to_lowercase() == w.form.to_lowercase() =>
                        {
                            Written {
                                form: g,
                                fragment: false,
                            }
                        }
                        _ => Written {
                            form: w.form,
                            fragment: false,
                        },
                    }
                }
                Some(w) => w,
                None => {
                    let words: Option<Vec<String>> = f.stems.iter().map(word).collect();
                    Written {
                        form: words?.join(" "),
                        fragment: false,
                    }
                }
            };
            Some((h, shown))
        })
        .collect()
}

/// Whether `a` occurs inside `b` as a run of stems, or `b` inside `a`.
pub(crate) fn overlaps(a: &[u64], b: &[u64]) -> bool {
    let inside = |x: &[u64], y: &[u64]| x.len() <= y.len() && y.windows(x.len()).any(|w| w == x);
    inside(a, b) || inside(b, a)
}

/// A name or a proper noun: written with a capital mid-sentence.
fn is_name(term: &str) -> bool {
    term.chars().next().is_some_and(char::is_uppercase)
}

/// Two terms as one name, as an editor would join them: the name first ("Gaza famine"), two
/// names with a dash ("Syria–Russia"), two words as a list ("wheat, grain").
pub(crate) fn pair_name(a: &str, b: &str) -> String {
    match (is_name(a), is_name(b)) {
        (true, false) => format!("{a} {b}"),
        (false, true) => format!("{b} {a}"),
        (true, true) => format!("{a}\u{2013}{b}"),
        (false, false) => format!("{a}, {b}"),
    }
}

/// Picks label terms, skipping a term whose words all appear in terms already chosen
/// ("gaza", "famine" make "gaza famine" redundant) so a label carries more information.
pub fn label_from(terms: &[String]) -> String {
    let mut chosen: Vec<&str> = Vec::new();
    for term in terms {
        let covered = term
            .split(' ')
            .all(|w| chosen.iter().any(|c| c.split(' ').any(|cw| cw == w)));
        // A bigram supersedes a chosen unigram it contains.
        if !covered {
            chosen.retain(|c| !(c.split(' ').count() == 1 && term.split(' ').any(|w| w == *c)));
            chosen.push(term);
        }
        if chosen.len() == LABEL_TERMS {
            break;
        }
    }
    if chosen.is_empty() {
        "(no distinctive terms)".to_string()
    } else {
        chosen.join(" · ")
    }
}

/// A cluster's top terms and name.
struct Naming {
    name: String,
    top_terms: Vec<String>,
}

/// What one cluster offers for naming, before names are handed out.
struct Offer {
    top_terms: Vec<String>,
    /// Phrase names, best first, as written.
    names: Vec<String>,
    /// Top terms ordered for a two-term name.
    for_name: Vec<String>,
}

/// How often the candidate terms of all themes are used in the same article, over the
/// articles read for naming: top terms that go together describe a theme more coherently
/// than terms each frequent in it but used apart.
struct Together {
    index: FxHashMap<u64, usize>,
    /// Articles using each term.
    df: Vec<u32>,
    /// Articles using both of two terms, `both[i * n + j]`.
    both: Vec<u32>,
    articles: f64,
}

impl Together {
    fn count(docs: &[Doc], sampled: &[Vec<usize>], terms: impl Iterator<Item = u64>) -> Self {
        let mut index: FxHashMap<u64, usize> = FxHashMap::default();
        for t in terms {
            let next = index.len();
            index.entry(t).or_insert(next);
        }
        let n = index.len();
        let articles: Vec<usize> = sampled.iter().flatten().copied().collect();
        // One run of articles per thread: each run's counts are a fresh n × n table (at
        // k = 20 some 800 terms, 2.5 MB), which rayon's finer splits would make dozens of
        // times over, each zeroed and then added in.
        let (df, both) = articles
            .par_chunks(crate::vectorize::per_thread(articles.len()))
            .map(|chunk| {
                let (mut df, mut both, mut present) =
                    (vec![0u32; n], vec![0u32; n * n], Vec::new());
                for &d in chunk {
                    present.clear();
                    each_candidate(&docs[d], |h, _, _| {
                        if let Some(&i) = index.get(&h) {
                            present.push(i);
                        }
                    });
                    present.sort_unstable();
                    present.dedup();
                    for (x, &i) in present.iter().enumerate() {
                        df[i] += 1;
                        for &j in &present[x + 1..] {
                            both[i * n + j] += 1;
                        }
                    }
                }
                (df, both)
            })
            .reduce_with(|(mut a, mut b), (c, d)| {
                a.iter_mut().zip(c).for_each(|(x, y)| *x += y);
                b.iter_mut().zip(d).for_each(|(x, y)| *x += y);
                (a, b)
            })
            .unwrap_or_else(|| (vec![0; n], vec![0; n * n]));
        Together {
            index,
            df,
            both,
            articles: articles.len().max(1) as f64,
        }
    }

    /// Normalised pointwise mutual information of two terms' use in the same article: 1 when
    /// always together, 0 when independent, -1 when never together.
    fn npmi(&self, a: u64, b: u64) -> f64 {
        let (Some(&i), Some(&j)) = (self.index.get(&a), self.index.get(&b)) else {
            return 0.0;
        };
        let n = self.index.len();
        let (i, j) = (i.min(j), i.max(j));
        let both = f64::from(self.both[i * n + j]);
        if both == 0.0 {
            return -1.0;
        }
        let p = both / self.articles;
        let pa = f64::from(self.df[i]) / self.articles;
        let pb = f64::from(self.df[j]) / self.articles;
        if p >= 1.0 {
            return 1.0;
        }
        (p / (pa * pb)).ln() / -p.ln()
    }
}

/// A theme of this many articles weighs the language's rarity of a word ([`rarity`]) half as
/// much as one of a single article; a large theme hardly at all.
const RARITY_ARTICLES: f64 = 5.0;

/// Articles (over all themes' samples) above which naming counts terms twice rather than
/// hold every theme's full counts at once. Below it the counts are small, and the second
/// pass would cost more time than the memory is worth.
const RECOUNT_ABOVE: usize = 40_000;

/// Name candidates looked at per theme (a larger theme may have taken the best).
const NAME_CANDIDATES: usize = 5;

/// Scores every cluster's terms and picks its top terms and names, in three steps:
/// counting ([`count_clusters`]), scoring ([`Weights`], [`score_cluster`]) and choosing
/// ([`offer`], [`hand_out_names`]). `order` is the order in which names are handed out
/// (largest theme first): a later theme whose best name is taken gets its next best.
fn name_clusters(members: &[Vec<usize>], order: &[usize], texts: &Texts) -> Vec<Naming> {
    let sampled: Vec<Vec<usize>> = members.iter().map(|m| naming_sample(m)).collect();
    let (counted, weights) = count_clusters(texts.docs, &sampled);
    let scored: Vec<Scored> = counted
        .into_par_iter()
        .enumerate()
        .map(|(c, lists)| score_cluster(c, lists, sampled[c].len(), &weights))
        .collect();
    let together = Together::count(
        texts.docs,
        &sampled,
        scored.iter().flat_map(|s| s.terms.iter().map(|t| t.hash)),
    );
    let offers: Vec<Offer> = scored
        .into_par_iter()
        .enumerate()
        .map(|(c, s)| offer(s, &sampled[c], texts, &together))
        .collect();
    hand_out_names(offers, order)
}

/// Up to [`NAMING_SAMPLE`] of a theme's articles, spread evenly over it.
fn naming_sample(members: &[usize]) -> Vec<usize> {
    if members.len() <= NAMING_SAMPLE {
        members.to_vec()
    } else {
        (0..NAMING_SAMPLE)
            .map(|i| members[i * members.len() / NAMING_SAMPLE])
            .collect()
    }
}

/// Counting: each theme's words and phrases, for its total weight and its shortlists, and
/// the weights of the shortlisted terms in every theme. On many articles the full counts are
/// dropped and only the shortlisted terms counted again in every theme: holding every
/// theme's full counts at once would make naming the peak of a large run's memory.
fn count_clusters(docs: &[Doc], sampled: &[Vec<usize>]) -> (Vec<Shortlists>, Weights) {
    let recount = sampled.iter().map(Vec::len).sum::<usize>() > RECOUNT_ABOVE;
    let (counted, full): (Vec<Shortlists>, Vec<Option<FxHashMap<u64, Stat>>>) = sampled
        .par_iter()
        .map(|m| {
            let map = count_terms(docs, m, None);
            let min_df = m.len().min(2) as u32;
            let lists = Shortlists {
                total: map.values().map(|s| f64::from(s.weight)).sum(),
                words: shortlist(&map, SHORTLIST, |s| s.words == 1 && s.df >= min_df),
                phrases: shortlist(&map, SHORTLIST, |s| s.words > 1 && s.df >= min_df),
            };
            (lists, (!recount).then_some(map))
        })
        .unzip();
    let maps: Vec<FxHashMap<u64, Stat>> = if recount {
        let listed: FxHashSet<u64> = counted
            .iter()
            .flat_map(|l| l.words.iter().chain(&l.phrases).map(|t| t.0))
            .collect();
        sampled
            .par_iter()
            .map(|m| count_terms(docs, m, Some(&listed)))
            .collect()
    } else {
        full.into_iter().flatten().collect()
    };
    let totals: Vec<f64> = counted.iter().map(|l| l.total).collect();
    let used = totals.iter().filter(|&&t| t > 0.0).count().max(1);
    let mean_total = totals.iter().sum::<f64>() / used as f64;
    let weights = Weights {
        maps,
        totals,
        mean_total,
    };
    (counted, weights)
}

/// Every theme's term weights, for scoring a term in all of them.
struct Weights {
    maps: Vec<FxHashMap<u64, Stat>>,
    totals: Vec<f64>,
    mean_total: f64,
}

impl Weights {
    /// The c-TF-IDF weight of a term in every cluster, and its articles over all of them.
    fn weigh(&self, hash: u64) -> (Vec<f64>, u32) {
        let mut f = 0.0;
        let mut df = 0;
        let local: Vec<f32> = self
            .maps
            .iter()
            .map(|m| {
                let s = m.get(&hash).copied().unwrap_or_default();
                f += f64::from(s.weight);
                df += s.df;
                s.weight
            })
            .collect();
        let idf = (1.0 + self.mean_total / f.max(f64::MIN_POSITIVE)).ln();
        let scores = local
            .iter()
            .zip(&self.totals)
            .map(|(&w, &t)| {
                if t > 0.0 {
                    let w = f64::from(w);
                    w / t * idf * (w / f.max(f64::MIN_POSITIVE)).powf(PRECISION_POWER)
                } else {
                    0.0
                }
            })
            .collect();
        (scores, df)
    }
}

/// A theme's scored candidates: terms (best first) and phrase names with their score and
/// articles.
struct Scored {
    terms: Vec<Candidate>,
    names: Vec<(f64, u64, u32)>,
}

/// Scoring: theme `c`'s shortlisted terms by their weight in it, keeping those it holds at
/// least [`SHARE_OF_BEST`] of the best theme's weight; and its phrase names, used by enough
/// of its articles, scored by how many use them (in the lead counting twice) and how much
/// they belong to this theme.
fn score_cluster(c: usize, lists: Shortlists, size: usize, weights: &Weights) -> Scored {
    let Shortlists { words, phrases, .. } = lists;
    let k = weights.maps.len();
    let score = |list: Vec<(u64, Stat)>, exclusive: bool| -> Vec<Candidate> {
        let mut out: Vec<Candidate> = list
            .into_iter()
            .filter_map(|(hash, stat)| {
                let (scores, df_all) = weights.weigh(hash);
                let best = (0..k)
                    .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
                    .unwrap_or(c);
                let listed = scores[c] >= SHARE_OF_BEST * scores[best];
                (!exclusive || listed).then(|| Candidate {
                    hash,
                    stat,
                    score: scores[c],
                    df_all,
                })
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.hash.cmp(&b.hash)));
        out
    };
    let mut terms = score(words.into_iter().chain(phrases.clone()).collect(), true);
    terms.truncate(TOP_TERMS * 4);
    let n = size.max(1) as f64;
    let min_support = ((NAME_MIN_SUPPORT * n).ceil() as u32).max(2);
    let mut names: Vec<(f64, u64, u32)> = score(phrases, false)
        .into_iter()
        .filter(|p| p.stat.df >= min_support)
        .map(|p| {
            let support = f64::from(p.stat.df + p.stat.lead) / n;
            let precision = f64::from(p.stat.df) / f64::from(p.df_all.max(1));
            (support * precision, p.hash, p.stat.df)
        })
        .filter(|(score, _, _)| *score >= NAME_MIN_SCORE)
        .collect();
    names.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    names.truncate(NAME_CANDIDATES);
    Scored { terms, names }
}

/// A chosen top term: its stems, hash and score.
type Chosen<'a> = (&'a [u64], u64, f64);

/// Choosing the top terms: best first, each valued by its score and how often it goes with
/// those already chosen, none part of another.
fn choose_top_terms<'a>(
    terms: &[Candidate],
    found: &'a FxHashMap<u64, Found>,
    together: &Together,
) -> Vec<Chosen<'a>> {
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut left: Vec<&Candidate> = terms
        .iter()
        .filter(|t| found.contains_key(&t.hash))
        .collect();
    while chosen.len() < TOP_TERMS && !left.is_empty() {
        let value = |t: &Candidate| -> f64 {
            if chosen.is_empty() {
                return t.score;
            }
            let mean = chosen
                .iter()
                .map(|c| together.npmi(c.1, t.hash))
                .sum::<f64>()
                / chosen.len() as f64;
            t.score * (TOGETHER * mean).exp()
        };
        let at = (0..left.len())
            .max_by(|&a, &b| value(left[a]).total_cmp(&value(left[b])).then(b.cmp(&a)))
            .unwrap_or(0);
        let t = left.remove(at);
        let Some(f) = found.get(&t.hash) else {
            continue;
        };
        let stems = f.stems.as_slice();
        match chosen.iter().position(|(s, _, _)| overlaps(s, stems)) {
            // A term sharing a word with a listed one repeats it ("net profit" after
            // "profit", "Qtrly div" after "Qtly div").
            None if chosen
                .iter()
                .any(|(s, _, _)| s.iter().any(|w| stems.contains(w))) => {}
            None => chosen.push((stems, t.hash, t.score)),
            // A phrase nearly as strong as a term it contains says more ("al-Hol", not
            // "Hol"): it takes that term's place.
            Some(at)
                if stems.len() > chosen[at].0.len()
                    && t.score >= SUPERSEDE * chosen[at].2
                    && !chosen
                        .iter()
                        .enumerate()
                        .any(|(j, (s, _, _))| j != at && overlaps(s, stems)) =>
            {
                chosen[at] = (stems, t.hash, chosen[at].2);
            }
            Some(_) => {}
        }
    }
    chosen
}

/// Choosing what one theme offers: its top terms as written, the phrase names its articles
/// or leading terms support, and its terms ordered for a two-term name.
fn offer(s: Scored, members: &[usize], texts: &Texts, together: &Together) -> Offer {
    let Scored { terms, names } = s;
    let size = members.len();
    let wanted: FxHashSet<u64> = terms
        .iter()
        .map(|t| t.hash)
        .chain(names.iter().map(|n| n.1))
        .collect();
    let found = find(texts.docs, members, &wanted);
    let chosen = choose_top_terms(&terms, &found, together);
    let keep: FxHashSet<u64> = chosen
        .iter()
        .map(|c| c.1)
        .chain(names.iter().map(|n| n.1))
        .collect();
    let kept: FxHashMap<u64, Found> = keep
        .iter()
        .filter_map(|h| found.get(h).map(|f| (*h, f.clone())))
        .collect();
    let shown = written_forms(
        &kept,
        texts,
        &mut texts.analyzer.cache(),
        &mut ReadArticles::default(),
    );
    let top: Vec<(String, f64)> = chosen
        .iter()
        .filter_map(|&(_, h, score)| shown.get(&h).map(|s| (s.form.clone(), score)))
        .collect();
    // For a two-term name, terms rare in the language at large come first, the more so the
    // fewer articles the theme has to tell by itself.
    let prior = RARITY_ARTICLES / (RARITY_ARTICLES + size as f64);
    let mut for_name: Vec<(f64, String)> = top
        .iter()
        .map(|(shown, score)| {
            let words: Vec<&str> = shown.split([' ', '-', '\u{2013}']).collect();
            let r =
                words.iter().map(|w| rarity(texts.language, w)).sum::<f64>() / words.len() as f64;
            (score * (1.0 + (r - 1.0) * prior), shown.clone())
        })
        .collect();
    for_name.sort_by(|a, b| b.0.total_cmp(&a.0));
    Offer {
        top_terms: top.into_iter().map(|(s, _)| s).collect(),
        // A phrase names the theme only if most of its articles use it or it says what the
        // theme's leading terms say: on a mixture a phrase of one part ("United States" on a
        // theme of oil and trade) would name the whole.
        names: names
            .iter()
            .filter(|&&(_, h, df)| {
                f64::from(df) >= NAME_MAJORITY * size as f64
                    || found.get(&h).is_some_and(|f| {
                        chosen
                            .iter()
                            .take(LABEL_TERMS)
                            .any(|(s, _, _)| s.iter().any(|w| f.stems.contains(w)))
                    })
            })
            .filter_map(|(_, h, _)| shown.get(h).filter(|w| !w.fragment))
            .map(|w| w.form.clone())
            .collect(),
        for_name: for_name.into_iter().map(|(_, s)| s).collect(),
    }
}

/// Choosing names: in `order`, each theme takes its best phrase name not yet taken, or a
/// name made from its terms.
fn hand_out_names(offers: Vec<Offer>, order: &[usize]) -> Vec<Naming> {
    let k = offers.len();
    let mut namings: Vec<Option<Naming>> = (0..k).map(|_| None).collect();
    let mut offers: Vec<Option<Offer>> = offers.into_iter().map(Some).collect();
    let mut taken: FxHashSet<String> = FxHashSet::default();
    for &c in order {
        let Some(offer) = offers[c].take() else {
            continue;
        };
        let name = offer
            .names
            .iter()
            .find(|n| !taken.contains(&n.to_lowercase()))
            .cloned()
            .unwrap_or_else(|| fallback_name(&offer.for_name, &taken));
        taken.insert(name.to_lowercase());
        namings[c] = Some(Naming {
            name,
            top_terms: offer.top_terms,
        });
    }
    namings
        .into_iter()
        .map(|n| {
            n.unwrap_or(Naming {
                name: String::new(),
                top_terms: Vec::new(),
            })
        })
        .collect()
}

/// A name from the two best terms, or the best and the next that makes a name not yet
/// taken; one term if two would be too long.
pub(crate) fn fallback_name(top: &[String], taken: &FxHashSet<String>) -> String {
    let Some(first) = top.first() else {
        return "(no distinctive terms)".to_string();
    };
    let words = |s: &str| s.split([' ', '-', '\u{2013}']).count();
    let mut options: Vec<String> = top[1..]
        .iter()
        .map(|second| {
            if words(first) + words(second) > NAME_MAX_WORDS {
                first.clone()
            } else {
                pair_name(first, second)
            }
        })
        .collect();
    options.push(first.clone());
    options
        .iter()
        .find(|n| !taken.contains(&n.to_lowercase()))
        .cloned()
        .unwrap_or_else(|| options[0].clone())
}

/// Names the clusters and orders them by size.
/// `fixed` clusters keep their place first (a saved model's themes, or declared seed themes);
/// the others are numbered after them, largest first.
pub fn build_themes(clustering: &Clustering, texts: &Texts, fixed: usize) -> ThemeSet {
    let k = clustering.k;
    let n = clustering.assignments.len();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &c) in clustering.assignments.iter().enumerate() {
        members[c].push(i);
    }
    // Largest first; equal sizes keep k-means order, so the numbering is deterministic.
    let mut order: Vec<usize> = (0..k).collect();
    order[fixed.min(k)..].sort_by_key(|&c| (std::cmp::Reverse(members[c].len()), c));
    let mut new_id = vec![0; k];
    order.iter().enumerate().for_each(|(i, &c)| new_id[c] = i);
    let mut by_size: Vec<usize> = (0..k).collect();
    by_size.sort_by_key(|&c| (std::cmp::Reverse(members[c].len()), c));
    let mut namings = name_clusters(&members, &by_size, texts);

    let themes = order
        .iter()
        .enumerate()
        .map(|(id, &c)| {
            let mut nearest = members[c].clone();
            nearest.sort_by(|&a, &b| {
                clustering.distances[a]
                    .total_cmp(&clustering.distances[b])
                    .then(a.cmp(&b))
            });
            nearest.truncate(REPRESENTATIVES);
            let naming = std::mem::replace(
                &mut namings[c],
                Naming {
                    name: String::new(),
                    top_terms: Vec::new(),
                },
            );
            Theme {
                id,
                name: naming.name,
                label: label_from(&naming.top_terms),
                top_terms: naming.top_terms,
                size: members[c].len(),
                share: if n > 0 {
                    members[c].len() as f64 / n as f64
                } else {
                    0.0
                },
                representatives: nearest,
                stability: clustering
                    .stability
                    .as_ref()
                    .and_then(|s| s.clusters.get(c).copied().flatten()),
            }
        })
        .collect();
    ThemeSet {
        themes,
        assignments: clustering.assignments.iter().map(|&c| new_id[c]).collect(),
        cluster_of: order,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How a span is shown, into a buffer reused from span to span.
    #[test]
    fn spans_are_shown_as_written_without_possessives() {
        let mut out = String::from("left over");
        let cases = [
            ("U.S", "U.S."),
            ("Reuters\u{2019}s", "Reuters"),
            ("  Gaza \t famine\n", "Gaza famine"),
            ("O\u{2019}Brien's  bid", "O'Brien bid"),
            // The fullwidth apostrophe, folded as the tokenizer folds it.
            ("O\u{ff07}Brien\u{ff07}s", "O'Brien"),
            ("Exchange Commission's", "Exchange Commission"),
            ("x's's", "x"),
            ("'s", "'s"),
            ("", ""),
            // Decomposed ("a" and a combining tilde), shown composed, as the words are read.
            ("Sa\u{303}o Paulo's", "S\u{e3}o Paulo"),
        ];
        for (span, shown) in cases {
            written_into(span, &mut out);
            assert_eq!(out, shown, "{span:?}");
        }
    }

    /// Numbers that look random, the same every run.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Naming's second pass (only shortlisted terms) must give those terms the counts the
    /// full pass gave them, or names would change with the corpus size.
    #[test]
    fn counting_only_some_terms_gives_them_their_full_counts() {
        let mut next = xorshift(7);
        let docs: Vec<Doc> = (0..60)
            .map(|_| Doc::from_stems((0..40).map(|_| next() % 30).collect()))
            .collect();
        let members: Vec<usize> = (0..60).step_by(2).collect();
        let full = count_terms(&docs, &members, None);
        let only: FxHashSet<u64> = full.keys().copied().filter(|h| h % 3 == 0).collect();
        assert!(only.len() > 5 && only.len() < full.len());
        let part = count_terms(&docs, &members, Some(&only));
        assert_eq!(part.len(), only.len());
        for h in &only {
            let (a, b) = (full[h], part[h]);
            assert_eq!(
                (a.weight.to_bits(), a.df, a.lead, a.words),
                (b.weight.to_bits(), b.df, b.lead, b.words)
            );
        }
    }

    /// A story's candidates counted without weights, and with terms first met too late to
    /// reach `min_df` passed over, are the terms the full count finds that often, with the
    /// same counts; so are a corpus sample's article counts.
    #[test]
    fn counting_frequent_terms_alone_gives_them_their_full_counts() {
        let mut next = xorshift(11);
        let docs: Vec<Doc> = (0..40)
            .map(|i| {
                // Words of a wider vocabulary the further on: late articles bring new terms.
                let mut d = Doc::from_stems((0..12).map(|_| next() % (8 + i as u64)).collect());
                d.lead = (i % 5) as u32;
                d
            })
            .collect();
        let mut map = FxHashMap::default();
        for members in [
            (0..3).collect::<Vec<usize>>(),
            (0..40).collect(),
            (5..40).step_by(3).collect(),
        ] {
            let full = count_terms(&docs, &members, None);
            for min_df in 1..=members.len() as u32 {
                let mut got = frequent_terms(&mut map, &docs, &members, min_df);
                got.sort_unstable_by_key(|t| t.0);
                let mut want: Vec<(u64, (u32, u32))> = full
                    .iter()
                    .filter(|(_, s)| s.df >= min_df)
                    .map(|(&h, s)| (h, (s.df, s.lead)))
                    .collect();
                want.sort_unstable_by_key(|t| t.0);
                let got: Vec<(u64, (u32, u32))> =
                    got.iter().map(|(h, s)| (*h, (s.df, s.lead))).collect();
                assert_eq!(got, want, "{members:?}, min_df {min_df}");
            }
            assert!(full.values().any(|s| s.lead > 0 && s.lead < s.df));
            // Counted whatever the threads' runs, each in its own copy of the table.
            let only: Vec<u64> = full.keys().copied().filter(|h| h % 2 == 0).collect();
            let many: Vec<usize> = (0..1001).map(|i| members[i % members.len()]).collect();
            let using = articles_using(&docs, &many, only.iter().chain(&only).copied());
            let counted = count_terms(&docs, &many, None);
            assert!(only.iter().all(|h| using.get(*h) == counted[h].df));
            let using = articles_using(&docs, &members, only.iter().copied());
            assert!(only.iter().all(|h| using.get(*h) == full[h].df));
            assert_eq!(using.get(u64::MAX), 0);
            let none = articles_using(&docs, &[], only.iter().copied());
            assert!(only.iter().all(|h| none.get(*h) == 0));
        }
    }

    #[test]
    fn labels_skip_redundant_terms() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            label_from(&t(&["gaza", "famine", "gaza famine", "aid", "ipc", "more"])),
            "gaza · famine · aid · ipc"
        );
        assert_eq!(
            label_from(&t(&["food", "food security", "gaza"])),
            "food security · gaza"
        );
        assert_eq!(label_from(&[]), "(no distinctive terms)");
    }

    #[test]
    fn names_from_two_terms_read_as_an_editor_would_write_them() {
        assert_eq!(pair_name("Gaza", "famine"), "Gaza famine");
        assert_eq!(pair_name("famine", "Gaza"), "Gaza famine");
        assert_eq!(pair_name("Syria", "Russia"), "Syria\u{2013}Russia");
        assert_eq!(pair_name("wheat", "grain"), "wheat, grain");
        let none = FxHashSet::default();
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(fallback_name(&t(&["Gaza", "famine"]), &none), "Gaza famine");
        // Too long for a name: the first term alone.
        assert_eq!(
            fallback_name(&t(&["Food Security Experts", "critical risk"]), &none),
            "Food Security Experts"
        );
        // Taken by a larger theme: the next pair.
        let taken: FxHashSet<String> = ["gaza famine".to_string()].into_iter().collect();
        assert_eq!(
            fallback_name(&t(&["Gaza", "famine", "aid"]), &taken),
            "Gaza aid"
        );
        assert_eq!(fallback_name(&[], &none), "(no distinctive terms)");
    }

    #[test]
    fn phrases_overlap_when_one_runs_inside_the_other() {
        assert!(overlaps(&[1], &[1, 2]));
        assert!(overlaps(&[2, 3], &[1, 2, 3]));
        assert!(overlaps(&[1, 2, 3], &[1, 2]));
        assert!(!overlaps(&[1, 3], &[1, 2, 3]));
        assert!(!overlaps(&[4], &[1, 2, 3]));
    }
}
