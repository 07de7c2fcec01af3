//! Vectorizing: analysed documents to sparse TF-IDF rows, with scikit-learn's
//! `TfidfVectorizer(sublinear_tf=True, smooth_idf=True, norm="l2")` definitions, so numbers
//! can be checked against the tool analysts already know:
//!
//! - terms are stems and, with `bigrams`, pairs of adjacent stems (after stop-word removal,
//!   as scikit-learn forms n-grams), written `"stem1 stem2"`;
//! - `df(t)` is the number of documents containing `t`; terms with `df < min_df` or
//!   `df > max_df * n_docs` are pruned; the vocabulary is sorted, so column order is stable;
//! - `tf(t, d)` is the raw count; with `sublinear_tf`, `1 + ln(tf)`;
//! - `idf(t) = ln((1 + n_docs) / (1 + df(t))) + 1`;
//! - each row `tf * idf` is scaled to unit L2 norm (a document with no vocabulary term stays 0).
//!
//! Hyper-parameters follow linfa's pattern: [`TfidfParams`] is checked once into a
//! [`ValidTfidfParams`], whose `fit` learns a [`TfidfModel`] that can `transform` any documents.

use std::collections::HashMap;

use rayon::prelude::*;
use sprs::CsMatI;

use crate::text::Tokens;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VectorizeError {
    #[error("min_df must be at least 1, got {0}")]
    MinDf(usize),
    #[error("max_df must be in (0, 1], got {0}")]
    MaxDf(f64),
    #[error("no documents to vectorize")]
    NoDocuments,
    #[error(
        "no terms left after pruning the vocabulary of {n_docs} articles (min_df={min_df}, \
         max_df={max_df}); try `min_df` 1 or a higher `max_df`"
    )]
    EmptyVocabulary {
        n_docs: usize,
        min_df: usize,
        max_df: f64,
    },
}

/// TF-IDF hyper-parameters. Defaults match the scikit-learn reference pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TfidfParams {
    /// Minimum number of documents a term must occur in.
    pub min_df: usize,
    /// Maximum share of documents a term may occur in; commoner terms carry no theme.
    pub max_df: f64,
    pub sublinear_tf: bool,
    pub bigrams: bool,
}

impl Default for TfidfParams {
    fn default() -> Self {
        TfidfParams {
            min_df: 2,
            max_df: 0.5,
            sublinear_tf: true,
            bigrams: true,
        }
    }
}

/// Parameters that passed [`TfidfParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTfidfParams(TfidfParams);

impl TfidfParams {
    pub fn check(&self) -> Result<ValidTfidfParams, VectorizeError> {
        if self.min_df == 0 {
            return Err(VectorizeError::MinDf(self.min_df));
        }
        if !(self.max_df > 0.0 && self.max_df <= 1.0) {
            return Err(VectorizeError::MaxDf(self.max_df));
        }
        Ok(ValidTfidfParams(self.clone()))
    }
}

/// Sparse document rows (term counts, TF-IDF weights): single precision and 32-bit column
/// indices, 8 bytes a non-zero instead of 16, which at a million articles is gigabytes.
/// Counts stay exact in `f32` up to 2²⁴ occurrences of a term in one article.
pub type Sparse = CsMatI<f32, u32, usize>;

/// Parts (a power of two) that document-frequency maps are split into by hash.
const DF_PARTS: usize = 16;

/// A fitted vocabulary with its IDF weights.
#[derive(Debug, Clone, PartialEq)]
pub struct TfidfModel {
    /// Terms in column order (sorted).
    pub vocabulary: Vec<String>,
    pub idf: Vec<f64>,
    /// Document frequency of each term in the fitted corpus.
    pub df: Vec<usize>,
    pub n_docs: usize,
    /// Term hash → column.
    index: ColumnIndex,
    sublinear_tf: bool,
    bigrams: bool,
}

/// Terms are counted by 64-bit hashes rather than by their text: a document is held as the
/// hashes of its stems (8 bytes a token instead of a `String`), no string is built for a
/// bigram, and counting is a sort. A stem's hash is [`stem_hash`]; a bigram's mixes its two
/// stems' hashes, and a vocabulary string `"stem1 stem2"` hashes the same way, so saved
/// vocabularies match. Collisions among a few million terms are vanishingly unlikely.
pub use crate::text::stem_hash;

pub(crate) fn pair(a: u64, b: u64) -> u64 {
    let mut z = a.rotate_left(21) ^ b ^ 0x9e37_79b9_7f4a_7c15;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of a vocabulary term's text (a stem, or two stems joined by a space).
fn term_hash(term: &str) -> u64 {
    match term.split_once(' ') {
        Some((a, b)) => pair(stem_hash(a), stem_hash(b)),
        None => stem_hash(term),
    }
}

pub use crate::text::Doc;

/// Stem hash → stem text, to name the vocabulary.
pub type StemNames = HashMap<u64, String, std::hash::BuildHasherDefault<IdHasher>>;

/// The names of every stem `surfaces` counted, by hash.
pub fn stem_names(surfaces: &crate::text::SurfaceForms) -> StemNames {
    surfaces
        .stems()
        .map(|s| (stem_hash(s), s.to_string()))
        .collect()
}

/// Compact documents and the names of their stems, from analysed tokens.
pub fn prepare(tokens: &[Tokens]) -> (Vec<Doc>, StemNames) {
    let mut names = StemNames::default();
    for t in tokens {
        for s in &t.stems {
            names.entry(stem_hash(s)).or_insert_with(|| s.clone());
        }
    }
    let docs = tokens
        .iter()
        .map(|t| Doc::from_stems(t.stems.iter().map(|s| stem_hash(s)).collect()))
        .collect();
    (docs, names)
}

/// Hashes are already well spread: use them as their own hash in maps.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        // One multiply spreads the bits over the high end that hashbrown uses.
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = crate::text::fnv1a(self.0, bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Every term occurrence of a document, in order: its stems, then (with `bigrams`) each pair
/// of adjacent stems.
fn each_term(doc: &Doc, bigrams: bool, mut f: impl FnMut(u64)) {
    doc.stems.iter().for_each(|&h| f(h));
    if bigrams {
        doc.stems.windows(2).for_each(|w| f(pair(w[0], w[1])));
    }
}

/// A two-word term is kept only if it is in at least one article in this many (and in
/// `min_df`). Bigrams do not cluster (LSA takes the unigram columns) and names come from each
/// theme's own words, so rare ones only fill the vocabulary: on a large corpus most terms
/// would be bigrams seen in a handful of articles. Below 40,000 articles this is `min_df`
/// itself, so smaller corpora (all of Reuters) are unaffected.
const DOCS_PER_BIGRAM_DF: usize = 20_000;

/// Sorts `items` and calls `f` once per distinct value with its number of occurrences.
fn each_run<T: Ord + Copy>(items: &mut [T], mut f: impl FnMut(T, u32)) {
    items.sort_unstable();
    for run in items.chunk_by(|a, b| a == b) {
        f(run[0], run.len() as u32);
    }
}

/// Chunk length that gives each thread one contiguous run of `n` items: for work that builds
/// state as it goes (a map to fill, a cache to warm), rayon's adaptive splitting would make
/// dozens of partial states, each started cold or merged at the cost of its size.
pub(crate) fn per_thread(n: usize) -> usize {
    n.div_ceil(rayon::current_num_threads()).max(1)
}

/// A counted term: its name, document frequency and hash.
type Counted = (String, usize, u64);

/// Names the kept terms, each given as `(hash, df, a document that contains it)`, and returns
/// `(name, df)`: a stem by its text; a bigram by the pair of stems that makes it, found by
/// walking that document. One walk per document names all the bigrams it was given, so each
/// document is read at most once and most hardly at all. Terms that cannot be named (which
/// only a hash collision would make) are left out.
///
/// Each comes back with its hash, so that the column index need not hash the names again.
fn name_terms(
    docs: &[Doc],
    names: &StemNames,
    bigrams: bool,
    kept: Vec<(u64, usize, u32)>,
) -> Vec<Counted> {
    let (stems, mut unnamed): (Vec<_>, Vec<_>) = kept
        .into_iter()
        .partition(|(h, _, _)| names.contains_key(h));
    let mut out: Vec<Counted> = stems
        .into_par_iter()
        .filter_map(|(h, df, _)| names.get(&h).map(|name| (name.clone(), df, h)))
        .collect();
    if !bigrams {
        return out;
    }
    unnamed.par_sort_unstable_by_key(|&(h, _, doc)| (doc, h));
    let named: Vec<Counted> = unnamed
        .par_chunk_by(|a, b| a.2 == b.2)
        .flat_map_iter(|group| {
            let mut found = vec![false; group.len()];
            let mut named = Vec::new();
            for w in docs[group[0].2 as usize].stems.windows(2) {
                let h = pair(w[0], w[1]);
                if let Ok(k) = group.binary_search_by_key(&h, |&(h, _, _)| h) {
                    if !std::mem::replace(&mut found[k], true) {
                        if let (Some(a), Some(b)) = (names.get(&w[0]), names.get(&w[1])) {
                            // Not `format!`, whose machinery is a large share of naming.
                            let mut name = String::with_capacity(a.len() + 1 + b.len());
                            name.push_str(a);
                            name.push(' ');
                            name.push_str(b);
                            named.push((name, group[k].1, h));
                        }
                    }
                }
            }
            named
        })
        .collect();
    out.extend(named);
    out
}

impl ValidTfidfParams {
    pub fn params(&self) -> &TfidfParams {
        &self.0
    }

    /// Learns the vocabulary of `docs`; `names` gives the text of their stems.
    pub fn fit(&self, docs: &[Doc], names: &StemNames) -> Result<TfidfModel, VectorizeError> {
        let p = &self.0;
        if docs.is_empty() {
            return Err(VectorizeError::NoDocuments);
        }
        let n_docs = docs.len();
        let kept = count_terms(docs, names, p.bigrams, |bigram, d| {
            self.keeps(bigram, d, n_docs)
        });
        self.build(kept, n_docs)
    }

    /// Every term of `docs` with its document frequency, unpruned: one part of a corpus
    /// counted apart (a Spark partition), to be summed with the others' and given to
    /// [`ValidTfidfParams::from_document_frequencies`].
    pub fn document_frequencies(&self, docs: &[Doc], names: &StemNames) -> Vec<(String, usize)> {
        count_terms(docs, names, self.0.bigrams, |_, _| true)
            .into_iter()
            .map(|(t, d, _)| (t, d))
            .collect()
    }

    /// The vocabulary of a corpus whose document frequencies were counted elsewhere (over
    /// all of it, while the LSA and k-means are fitted on a sample): pruned and weighted
    /// exactly as [`ValidTfidfParams::fit`] does with the counts it makes itself.
    pub fn from_document_frequencies(
        &self,
        terms: Vec<(String, usize)>,
        n_docs: usize,
    ) -> Result<TfidfModel, VectorizeError> {
        if n_docs == 0 {
            return Err(VectorizeError::NoDocuments);
        }
        let kept = terms
            .into_iter()
            .filter(|(t, d)| self.keeps(t.contains(' '), *d, n_docs))
            .map(|(t, d)| {
                let h = term_hash(&t);
                (t, d, h)
            })
            .collect();
        self.build(kept, n_docs)
    }

    /// The document frequencies a term needs to be in the vocabulary of `n_docs` documents:
    /// at least `(single word, two words)`, and at most the third. Spark filters the summed
    /// counts with these before they reach the driver.
    pub fn df_bounds(&self, n_docs: usize) -> (usize, usize, f64) {
        let p = &self.0;
        (
            p.min_df,
            p.min_df.max(n_docs.div_ceil(DOCS_PER_BIGRAM_DF)),
            p.max_df * n_docs as f64,
        )
    }

    /// Whether a term in `d` of `n_docs` documents is in the vocabulary.
    fn keeps(&self, bigram: bool, d: usize, n_docs: usize) -> bool {
        let (unigram_min, bigram_min, max) = self.df_bounds(n_docs);
        d >= if bigram { bigram_min } else { unigram_min } && d as f64 <= max
    }

    /// The model over the kept terms, in sorted order, with smoothed IDF weights.
    fn build(&self, kept: Vec<Counted>, n_docs: usize) -> Result<TfidfModel, VectorizeError> {
        let p = &self.0;
        if kept.is_empty() {
            return Err(VectorizeError::EmptyVocabulary {
                n_docs,
                min_df: p.min_df,
                max_df: p.max_df,
            });
        }
        // Sorted by name (then document frequency), comparing the names' first 16 bytes as
        // one integer and the rest only on a tie: most comparisons then read no string, and
        // strings scattered over the heap cost a cache miss each.
        let prefix = |t: &str| {
            let mut k = [0u8; 16];
            let b = t.as_bytes();
            k[..b.len().min(16)].copy_from_slice(&b[..b.len().min(16)]);
            u128::from_be_bytes(k)
        };
        let mut keyed: Vec<(u128, Counted)> =
            kept.into_par_iter().map(|t| (prefix(&t.0), t)).collect();
        keyed.par_sort_unstable_by(|(ka, a), (kb, b)| {
            ka.cmp(kb).then_with(|| (&a.0, a.1).cmp(&(&b.0, b.1)))
        });
        let n = keyed.len();
        let (mut vocabulary, mut df, mut hashes) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (_, (t, d, h)) in keyed {
            vocabulary.push(t);
            df.push(d);
            hashes.push(h);
        }
        let idf = df
            .iter()
            .map(|&d| ((1.0 + n_docs as f64) / (1.0 + d as f64)).ln() + 1.0)
            .collect();
        let index = ColumnIndex::new(hashes.into_iter());
        Ok(TfidfModel {
            vocabulary,
            idf,
            df,
            n_docs,
            index,
            sublinear_tf: p.sublinear_tf,
            bigrams: p.bigrams,
        })
    }
}

/// Each term's document frequency in `docs`, named, for the terms `keep(is_bigram, df)`
/// accepts (tested before naming, which is the costly part).
fn count_terms(
    docs: &[Doc],
    names: &StemNames,
    bigrams: bool,
    keep: impl Fn(bool, usize) -> bool + Sync,
) -> Vec<Counted> {
    // Per thread: each term's document frequency and the last document that counted it
    // (1-based), so a document counts once per term with no per-document sort; the last
    // document also tells where to find a bigram's stems to name it. Each thread's map
    // is split by the hash's top bits, so that the threads' maps merge part by part in
    // parallel: merging two whole maps in one thread takes longer than filling them.
    let run = per_thread(docs.len());
    let shift = 64 - DF_PARTS.trailing_zeros();
    let per_thread_parts: Vec<Vec<DfTable>> = docs
        .par_chunks(run)
        .enumerate()
        .map(|(r, chunk)| {
            let mut parts: Vec<DfTable> = (0..DF_PARTS).map(|_| DfTable::default()).collect();
            let mut terms = Vec::new();
            for (d, doc) in ((r * run) as u32 + 1..).zip(chunk) {
                terms.clear();
                each_term(doc, bigrams, |h| terms.push(h));
                // The document's slots first, so that their cache misses overlap.
                let seen = terms
                    .iter()
                    .fold(0, |acc, &h| acc ^ parts[(h >> shift) as usize].peek(h));
                std::hint::black_box(seen);
                for &h in &terms {
                    parts[(h >> shift) as usize].count(h, d);
                }
            }
            parts
        })
        .collect();
    let mut by_part: Vec<Vec<DfTable>> = (0..DF_PARTS).map(|_| Vec::new()).collect();
    for parts in per_thread_parts {
        for (all, part) in by_part.iter_mut().zip(parts) {
            all.push(part);
        }
    }
    let kept_df: Vec<(u64, usize, u32)> = by_part
        .into_par_iter()
        .flat_map_iter(|maps| {
            let merged = maps
                .into_iter()
                .reduce(|mut a, mut b| {
                    if b.len > a.len {
                        std::mem::swap(&mut a, &mut b);
                    }
                    for (h, n, last) in b.entries() {
                        a.add(h, n, last);
                    }
                    a
                })
                .unwrap_or_default();
            merged
                .entries()
                .map(|(h, d, last)| (h, d as usize, last - 1))
                .filter(|&(h, d, _)| keep(!names.contains_key(&h), d))
                .collect::<Vec<_>>()
        })
        .collect();
    name_terms(docs, names, bigrams, kept_df)
}

impl TfidfModel {
    /// Rebuilds a model from its saved parts.
    pub fn from_parts(
        vocabulary: Vec<String>,
        idf: Vec<f64>,
        df: Vec<usize>,
        n_docs: usize,
        sublinear_tf: bool,
        bigrams: bool,
    ) -> TfidfModel {
        let index = ColumnIndex::new(vocabulary.iter().map(|t| term_hash(t)));
        TfidfModel {
            vocabulary,
            idf,
            df,
            n_docs,
            index,
            sublinear_tf,
            bigrams,
        }
    }

    pub fn sublinear_tf(&self) -> bool {
        self.sublinear_tf
    }

    pub fn bigrams(&self) -> bool {
        self.bigrams
    }

    pub fn n_terms(&self) -> usize {
        self.vocabulary.len()
    }

    pub fn term_index(&self, term: &str) -> Option<usize> {
        self.index.get(term_hash(term)).map(|c| c as usize)
    }

    /// Raw term counts (documents × vocabulary); out-of-vocabulary terms are ignored.
    pub fn counts(&self, docs: &[Doc]) -> Sparse {
        self.counts_and_coverage(docs).0
    }

    /// Raw term counts, and for each document the share of its TF-IDF mass (L2) that falls on
    /// vocabulary terms, counting out-of-vocabulary terms at the IDF of a term never seen. An
    /// article whose words the vocabulary mostly lacks has low coverage, however close its
    /// few known words put it to a theme. One pass over the tokens computes both.
    pub fn counts_and_coverage(&self, docs: &[Doc]) -> (Sparse, Vec<f64>) {
        let (counts, seen) = self.counts_of(docs, None);
        (counts, seen.into_iter().map(|s| s.coverage).collect())
    }

    /// [`TfidfModel::counts_and_coverage`] of the columns `keep` marks (`None`: every
    /// column); coverage, and whether a document has a vocabulary term, over every term
    /// whatever `keep` marks.
    pub fn counts_of(&self, docs: &[Doc], keep: Option<&[bool]>) -> (Sparse, Vec<Seen>) {
        let (counts, seen, _) = self.counts_with_leads(docs, keep, false);
        (counts, seen)
    }

    /// [`TfidfModel::counts_of`], and with `leads` the vocabulary's columns of each
    /// document's lead (else none): the story pass counts the lead once more, and finding its
    /// words' columns again there (a likely cache miss each, in a vocabulary of hundreds of
    /// thousands of terms) took it a third of a second at a million articles.
    pub fn counts_with_leads(
        &self,
        docs: &[Doc],
        keep: Option<&[bool]>,
        leads: bool,
    ) -> (Sparse, Vec<Seen>, Leads) {
        let unseen_idf = (1.0 + self.n_docs as f64).ln() + 1.0;
        let tf = self.tf_table();
        let mut seen = Vec::with_capacity(docs.len());
        let mut lead_columns = if leads {
            Leads::with_capacity(docs.len())
        } else {
            Leads::default()
        };
        let row = |doc: &Doc| {
            let mut terms: Vec<u64> = Vec::with_capacity(doc.stems.len() * 2);
            each_term(doc, self.bigrams, |h| terms.push(h));
            self.index.warm(terms.iter().copied());
            let mut columns: Vec<u32> = Vec::with_capacity(terms.len());
            let mut unseen_terms: Vec<u64> = Vec::new();
            // The lead is the first stems, which [`each_term`] gives first: its columns are
            // the first found.
            let lead = if leads {
                (doc.lead as usize).min(doc.stems.len())
            } else {
                0
            };
            let mut lead_end = 0;
            for (i, h) in terms.into_iter().enumerate() {
                match self.index.get(h) {
                    Some(c) => columns.push(c),
                    None => unseen_terms.push(h),
                }
                if i + 1 == lead {
                    lead_end = columns.len();
                }
            }
            let mut lead = columns[..lead_end].to_vec();
            lead.sort_unstable();
            let mut row = Vec::new();
            let mut known = 0.0;
            // Every column summed, in column order, so that coverage does not depend on
            // `keep`. (Writing each entry and taking it back unless kept, without a branch,
            // made the stage slower: 0.87 s against 0.85 s at 100,000 articles.)
            each_run(&mut columns, |i, n| {
                known += (tf.get(f64::from(n)) * self.idf[i as usize]).powi(2);
                if keep.is_none_or(|k| k[i as usize]) {
                    row.push((i, n as f32));
                }
            });
            // In hash order, so float sums are the same on every run.
            let mut unseen = 0.0;
            each_run(&mut unseen_terms, |_, n| {
                unseen += (tf.get(f64::from(n)) * unseen_idf).powi(2);
            });
            let all = known + unseen;
            let coverage = if all > 0.0 { (known / all).sqrt() } else { 0.0 };
            let seen = Seen {
                coverage,
                has_terms: !columns.is_empty(),
            };
            (row, (seen, lead))
        };
        let counts = sparse_by_chunks(docs, self.n_terms(), row, |chunk| {
            for (s, lead) in chunk {
                seen.push(s);
                if leads {
                    lead_columns.push(&lead);
                }
            }
        });
        (counts, seen, lead_columns)
    }

    /// The counts clustering and stories read ([`TfidfModel::clustering_columns`]): of the
    /// single words, which are three in five of all counts (14.3 of 24.4 million at 100,000
    /// syndicated articles), unless no document uses one and every term is read.
    pub fn clustering_counts(&self, docs: &[Doc], leads: bool) -> (Sparse, Vec<Seen>, Leads) {
        let Some(words) = self.single_words() else {
            return self.counts_with_leads(docs, None, leads);
        };
        let (counts, seen, lead_columns) = self.counts_with_leads(docs, Some(&words), leads);
        if counts.nnz() == 0 && seen.iter().any(|s| s.has_terms) {
            // A lead's columns do not depend on the columns kept: those found are kept.
            let (counts, seen, _) = self.counts_with_leads(docs, None, false);
            return (counts, seen, lead_columns);
        }
        (counts, seen, lead_columns)
    }

    /// Per column, whether it is a single word; `None` when none is.
    fn single_words(&self) -> Option<Vec<bool>> {
        let unigram: Vec<bool> = self.vocabulary.iter().map(|t| !t.contains(' ')).collect();
        unigram.contains(&true).then_some(unigram)
    }

    fn tf(&self, n: f64) -> f64 {
        if self.sublinear_tf {
            1.0 + n.ln()
        } else {
            n
        }
    }

    fn tf_table(&self) -> TfTable<'_> {
        TfTable {
            small: std::array::from_fn(|n| self.tf(n as f64)),
            model: self,
        }
    }

    /// The TF-IDF rows that are clustered: single-word terms only, rows at unit length.
    /// Bigrams make labels readable ("trade deficit") but, measured on Reuters R8, do not
    /// improve the clustering while tripling the vocabulary the SVD must span. A corpus whose
    /// only surviving terms are bigrams still clusters, on those.
    pub fn clustering_rows(&self, counts: &Sparse) -> Sparse {
        self.clustering_weights(counts).to_sparse()
    }

    /// [`TfidfModel::clustering_rows`] weighted on demand: a large corpus's LSA reads each
    /// row once to project it, so the weighted matrix (at a million full-length articles,
    /// 100 million non-zeros, 800 MB) need not exist beside the counts.
    pub fn clustering_weights<'a>(&'a self, counts: &'a Sparse) -> Weighted<'a> {
        Weighted::new(self, counts, self.clustering_columns(counts))
    }

    /// The columns clustering reads: the single words, or every term when `counts` uses no
    /// single word at all.
    fn clustering_columns(&self, counts: &Sparse) -> Vec<bool> {
        match self.single_words() {
            Some(unigram) if counts.indices().iter().any(|&c| unigram[c as usize]) => unigram,
            _ => vec![true; self.n_terms()],
        }
    }

    /// [`TfidfModel::clustering_weights`]' columns, unnormalised, with words added per row.
    pub fn words_with<'a>(&'a self, counts: &'a Sparse) -> WordsWith<'a> {
        WordsWith {
            model: self,
            counts,
            keep: self.clustering_columns(counts),
            tf: self.tf_table(),
        }
    }

    /// TF-IDF weights (all terms) from a count matrix made by [`TfidfModel::counts`].
    pub fn weight(&self, counts: &Sparse) -> Sparse {
        Weighted::new(self, counts, vec![true; self.n_terms()]).to_sparse()
    }

    pub fn transform(&self, docs: &[Doc]) -> Sparse {
        self.weight(&self.counts(docs))
    }
}

/// What counting a document's terms tells of it beside its counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen {
    /// Its share of its TF-IDF mass (L2) on vocabulary terms.
    pub coverage: f64,
    /// Whether it has a vocabulary term, counted or not.
    pub has_terms: bool,
}

/// Per document, the columns of its lead's words (the headline and first sentence), one per
/// use, ascending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Leads {
    starts: Vec<usize>,
    columns: Vec<u32>,
}

impl Leads {
    /// Room for `n` documents' leads, none yet.
    fn with_capacity(n: usize) -> Leads {
        let mut starts = Vec::with_capacity(n + 1);
        starts.push(0);
        Leads {
            starts,
            columns: Vec::new(),
        }
    }

    /// Adds the next document's lead.
    fn push(&mut self, lead: &[u32]) {
        self.columns.extend_from_slice(lead);
        self.starts.push(self.columns.len());
    }

    /// How many documents it holds the leads of (none when leads were not asked for).
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Document `d`'s lead columns (none when leads were not asked for).
    pub fn of(&self, d: usize) -> &[u32] {
        match (self.starts.get(d), self.starts.get(d + 1)) {
            (Some(&a), Some(&b)) => &self.columns[a..b],
            _ => &[],
        }
    }

    /// The leads of the documents `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Leads {
        if self.is_empty() {
            return Leads::default();
        }
        let mut chosen = Leads::with_capacity(rows.len());
        chosen
            .columns
            .reserve(rows.iter().map(|&r| self.of(r).len()).sum());
        for &r in rows {
            chosen.push(self.of(r));
        }
        chosen
    }
}

/// Single-word TF-IDF rows of a count matrix, each with more words counted in as it is read
/// and not normalised: stories count an article's lead twice this way, without a second
/// count matrix (at a million articles, gigabytes).
pub struct WordsWith<'a> {
    model: &'a TfidfModel,
    counts: &'a Sparse,
    keep: Vec<bool>,
    tf: TfTable<'a>,
}

impl WordsWith<'_> {
    /// Per column, the rows that have it: the columns of [`WordsWith::row`] are those of the
    /// counts row (the words counted once more are the article's own, already counted), so
    /// this reads the counts' indices alone.
    pub fn df(&self) -> Vec<u32> {
        let n = self.keep.len();
        // A run of indices per thread: each counts into a vector of every column, every
        // column counted and those left out zeroed after: a branch on whether each index's
        // column is kept guessed wrong about half the time (words and phrases alternate in
        // the sorted vocabulary), and took five sixths of the count.
        let indices = self.counts.indices();
        let mut df = indices
            .par_chunks(per_thread(indices.len()))
            .map(|chunk| {
                let mut df = vec![0u32; n];
                for &c in chunk {
                    if let Some(d) = df.get_mut(c as usize) {
                        *d += 1;
                    }
                }
                df
            })
            .reduce_with(|mut a, b| {
                a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                a
            })
            .unwrap_or_else(|| vec![0; n]);
        df.iter_mut()
            .zip(&self.keep)
            .filter(|(_, &k)| !k)
            .for_each(|(d, _)| *d = 0);
        df
    }

    /// [`WordsWith::df`] when the vocabulary was fitted on the very documents counted: the
    /// model's own document frequencies, without reading every entry of the counts again (a
    /// hundred million at a million articles, on the story pass's critical path).
    pub fn fitted_df(&self) -> Vec<u32> {
        self.model
            .df
            .iter()
            .zip(&self.keep)
            .map(|(&d, &k)| if k { d as u32 } else { 0 })
            .collect()
    }

    /// Row `r` with each of `extra` (columns, ascending) counted once more, columns
    /// ascending.
    pub fn row(&self, r: usize, extra: &[u32]) -> Vec<(u32, f32)> {
        debug_assert!(extra.is_sorted());
        let span = self.counts.indptr().outer_inds_sz(r);
        let (indices, counts) = (
            &self.counts.indices()[span.clone()],
            &self.counts.data()[span],
        );
        // Every entry written, the next one over it unless its column is kept: word and
        // phrase columns alternate as the vocabulary sorts them, and a branch on whether
        // each is kept guessed wrong about half the time.
        let mut out: Vec<(u32, f32)> = vec![(0, 0.0); indices.len()];
        let mut n = 0;
        for (&c, &v) in indices.iter().zip(counts) {
            out[n] = (c, v);
            n += usize::from(self.keep[c as usize]);
        }
        out.truncate(n);
        for run in extra.chunk_by(|a, b| a == b) {
            let (c, n) = (run[0], run.len());
            if !self.keep[c as usize] {
                continue;
            }
            match out.binary_search_by_key(&c, |e| e.0) {
                Ok(i) => out[i].1 += n as f32,
                Err(i) => out.insert(i, (c, n as f32)),
            }
        }
        for e in &mut out {
            e.1 = (self.tf.get(f64::from(e.1)) * self.model.idf[e.0 as usize]) as f32;
        }
        out
    }
}

/// TF-IDF rows of a count matrix over the columns `keep` marks, each at unit length, weighted
/// when read. Each row's norm is found once up front; a row read later gets the same `f32`
/// weights, to the bit, as the materialised matrix ([`Weighted::to_sparse`]).
pub struct Weighted<'a> {
    model: &'a TfidfModel,
    counts: &'a Sparse,
    keep: Vec<bool>,
    tf: TfTable<'a>,
    /// Each row's kept non-zeros and norm.
    shapes: Vec<(usize, f64)>,
}

impl<'a> Weighted<'a> {
    fn new(model: &'a TfidfModel, counts: &'a Sparse, keep: Vec<bool>) -> Self {
        let mut w = Weighted {
            model,
            counts,
            keep,
            tf: model.tf_table(),
            shapes: Vec::new(),
        };
        w.shapes = (0..counts.rows())
            .into_par_iter()
            .map(|r| {
                let (len, sq) = w.raw(r).fold((0, 0.0), |(n, s), (_, v)| (n + 1, s + v * v));
                (len, sq.sqrt())
            })
            .collect();
        w
    }

    /// Row `r`'s kept columns and weights before normalising.
    fn raw(&self, r: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let span = self.counts.indptr().outer_inds_sz(r);
        self.counts.indices()[span.clone()]
            .iter()
            .zip(&self.counts.data()[span])
            .filter(|&(&c, _)| self.keep[c as usize])
            .map(|(&c, &v)| (c, self.tf.get(f64::from(v)) * self.model.idf[c as usize]))
    }

    pub fn rows(&self) -> usize {
        self.counts.rows()
    }

    pub fn cols(&self) -> usize {
        self.counts.cols()
    }

    pub fn nnz(&self) -> usize {
        self.shapes.iter().map(|s| s.0).sum()
    }

    /// Row `r`'s non-zeros at unit length, columns ascending.
    pub fn row(&self, r: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let norm = self.shapes[r].1;
        self.raw(r).map(move |(c, v)| {
            let v = if norm > 0.0 { v / norm } else { v };
            (c, v as f32)
        })
    }

    /// The rows `rows`, in that order, as a CSR matrix.
    pub fn select(&self, rows: &[usize]) -> Sparse {
        self.build(rows.len(), |i| rows[i])
    }

    /// Every row as a CSR matrix. The row lengths are known, so each block of rows is
    /// weighted in parallel straight into its slot of one matrix (at a million articles, a
    /// vector per row would cost seconds in allocation alone).
    pub fn to_sparse(&self) -> Sparse {
        self.build(self.rows(), |i| i)
    }

    /// `n` rows, the `i`th being row `source(i)`.
    fn build(&self, n: usize, source: impl Fn(usize) -> usize + Sync) -> Sparse {
        const BLOCK: usize = 4096;
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        for i in 0..n {
            indptr.push(indptr[i] + self.shapes[source(i)].0);
        }
        let nnz = indptr[n];
        let (mut indices, mut data) = (vec![0u32; nnz], vec![0f32; nnz]);
        let ranges: Vec<std::ops::Range<usize>> = (0..n)
            .step_by(BLOCK)
            .map(|start| start..(start + BLOCK).min(n))
            .collect();
        let lens = ranges.iter().map(|r| indptr[r.end] - indptr[r.start]);
        let slots = split_by_lengths(&mut indices, &mut data, lens);
        ranges
            .into_par_iter()
            .zip(slots)
            .for_each(|(rows, (idx, val))| {
                let mut at = 0;
                for i in rows {
                    for (c, v) in self.row(source(i)) {
                        idx[at] = c;
                        val[at] = v;
                        at += 1;
                    }
                }
            });
        Sparse::new((n, self.model.n_terms()), indptr, indices, data)
    }
}

/// `tf(n)` for the counts most terms have in an article, computed once: a logarithm per
/// distinct term of every article is a library call that keeps the processor from
/// overlapping the article's IDF loads. The same function fills the table, so the weights
/// are the same to the bit.
struct TfTable<'m> {
    small: [f64; 64],
    model: &'m TfidfModel,
}

impl TfTable<'_> {
    fn get(&self, n: f64) -> f64 {
        let i = n as usize;
        if i < self.small.len() && i as f64 == n {
            self.small[i]
        } else {
            self.model.tf(n)
        }
    }
}

/// Term hash → `V`, by open addressing (linear probing, at most half full; a slot holding
/// `free` is empty). Counting and fitting look up every term occurrence of every article,
/// and in a vocabulary of hundreds of thousands of terms nearly every lookup misses the
/// cache: a general map resolves one miss after another, each behind a branch on what the
/// last one found. Here an article's home slots can be loaded all at once first
/// ([`TermTable::warm`]), so their misses overlap, and the lookups that follow find them in
/// cache.
#[derive(Clone, PartialEq)]
pub(crate) struct TermTable<V> {
    slots: Vec<(u64, V)>,
    len: usize,
    shift: u32,
    free: V,
}

impl<V> std::fmt::Debug for TermTable<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TermTable({} of {} slots)", self.len, self.slots.len())
    }
}

impl<V: Copy + PartialEq> TermTable<V> {
    /// An empty table of `n` slots (a power of two). Its memory is written here, not taken
    /// zeroed from the allocator: fresh zeroed pages are first mapped to the kernel's shared
    /// zero page by the lookups that read them, and the first count written to each then
    /// costs a second fault and a TLB flush on every core.
    fn with_slots(n: usize, free: V) -> Self {
        let mut slots = Vec::with_capacity(n);
        slots.resize(n, (0, free));
        TermTable {
            slots,
            len: 0,
            shift: 64 - n.trailing_zeros(),
            free,
        }
    }

    fn home(&self, h: u64) -> usize {
        (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The slot holding `h`, or the free one where it would go.
    fn position(&self, h: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.home(h);
        while self.slots[i].1 != self.free && self.slots[i].0 != h {
            i = (i + 1) & mask;
        }
        i
    }

    pub(crate) fn get(&self, h: u64) -> Option<V> {
        let value = self.slots[self.position(h)].1;
        (value != self.free).then_some(value)
    }

    /// `h`'s value when it is held.
    fn get_mut(&mut self, h: u64) -> Option<&mut V> {
        let i = self.position(h);
        let free = self.free;
        Some(&mut self.slots[i].1).filter(|v| **v != free)
    }

    /// Loads `h`'s home slot: an independent load with no branch on what it finds.
    fn peek(&self, h: u64) -> u64 {
        self.slots[self.home(h)].0
    }

    /// Loads the home slots of `hashes`, which the processor issues together.
    pub(crate) fn warm(&self, hashes: impl IntoIterator<Item = u64>) {
        std::hint::black_box(hashes.into_iter().fold(0, |acc, h| acc ^ self.peek(h)));
    }

    /// `h`'s value, `free` if it is new (then it counts as held: the caller sets it).
    fn value(&mut self, h: u64) -> &mut V {
        if (self.len + 1) * 2 > self.slots.len() {
            let bigger = Self::with_slots(self.slots.len() * 2, self.free);
            for (h, v) in std::mem::replace(self, bigger).into_entries() {
                let i = self.position(h);
                self.slots[i] = (h, v);
                self.len += 1;
            }
        }
        let i = self.position(h);
        if self.slots[i].1 == self.free {
            self.slots[i].0 = h;
            self.len += 1;
        }
        &mut self.slots[i].1
    }

    fn into_entries(self) -> impl Iterator<Item = (u64, V)> {
        let free = self.free;
        self.slots.into_iter().filter(move |s| s.1 != free)
    }
}

/// Term hash → column.
type ColumnIndex = TermTable<u32>;

impl ColumnIndex {
    /// Columns 0, 1, ... for `hashes` in order, in a table that never grows.
    fn new(hashes: impl ExactSizeIterator<Item = u64>) -> ColumnIndex {
        let n = (hashes.len() * 2).next_power_of_two().max(16);
        let mut index = TermTable::with_slots(n, u32::MAX);
        for (column, h) in hashes.enumerate() {
            *index.value(h) = column as u32;
        }
        index
    }
}

/// Term hash → (documents counted, the last of them, 1-based).
pub(crate) type DfTable = TermTable<(u32, u32)>;

impl Default for DfTable {
    fn default() -> Self {
        TermTable::with_slots(1024, (0, 0))
    }
}

impl DfTable {
    /// Counts `h` in document `d` (once per document: `d` only grows).
    fn count(&mut self, h: u64, d: u32) {
        Self::once(self.value(h), d);
    }

    /// Holds `h` with no document counted, for [`DfTable::count_held`] to count: a table of
    /// only the terms wanted. (Not `free`, which is no term, and no document's number.)
    pub(crate) fn hold(&mut self, h: u64) {
        *self.value(h) = (0, u32::MAX);
    }

    /// Counts `h` in document `d` as [`DfTable::count`] does, when the table holds `h`.
    pub(crate) fn count_held(&mut self, h: u64, d: u32) {
        if let Some(v) = self.get_mut(h) {
            Self::once(v, d);
        }
    }

    fn once(v: &mut (u32, u32), d: u32) {
        if v.1 != d {
            *v = (v.0 + 1, d);
        }
    }

    /// Adds `other`'s counts to this table's, slot by slot: `other` is a copy of this table
    /// counted apart, its terms in the same slots (unlike [`DfTable::add`]'s tables).
    pub(crate) fn add_counts(&mut self, other: &DfTable) {
        debug_assert!(self.slots.len() == other.slots.len() && self.len == other.len);
        let free = self.free;
        for (a, b) in self.slots.iter_mut().zip(&other.slots) {
            if a.1 != free {
                a.1 .0 += b.1 .0;
            }
        }
    }

    /// Adds another table's entry: its count, and its last document if `h` is new here.
    fn add(&mut self, h: u64, n: u32, last: u32) {
        let v = self.value(h);
        if v.1 == 0 {
            *v = (n, last);
        } else {
            v.0 += n;
        }
    }

    /// `(hash, count, last document)` of every term.
    fn entries(self) -> impl Iterator<Item = (u64, u32, u32)> {
        self.into_entries().map(|(h, (n, last))| (h, n, last))
    }
}

/// `a` and `b` cut into consecutive pieces of `lens`, pairwise: the slots that blocks of a
/// CSR matrix's rows are written into, each by its own job.
fn split_by_lengths<'m, A, B>(
    mut a: &'m mut [A],
    mut b: &'m mut [B],
    lens: impl IntoIterator<Item = usize>,
) -> Vec<(&'m mut [A], &'m mut [B])> {
    lens.into_iter()
        .map(|len| {
            let (x, rest) = std::mem::take(&mut a).split_at_mut(len);
            a = rest;
            let (y, rest) = std::mem::take(&mut b).split_at_mut(len);
            b = rest;
            (x, y)
        })
        .collect()
}

/// Builds a CSR matrix directly from rows whose column indices are sorted and distinct, with
/// no intermediate triplets (at a million articles those cost gigabytes).
/// Rows computed in parallel a chunk at a time and appended to one CSR matrix, so that the
/// per-row vectors of only one chunk exist beside it: built all at once, they would be a
/// second, fragmented copy of the matrix at the run's peak. Rows keep their order, so the
/// matrix is the same whatever the threads. What each row gives beside its entries goes to
/// `take` a chunk at a time, in order, for the same reason.
fn sparse_by_chunks<T: Sync, X: Send>(
    items: &[T],
    n_cols: usize,
    row: impl Fn(&T) -> (Vec<(u32, f32)>, X) + Sync,
    mut take: impl FnMut(Vec<X>),
) -> Sparse {
    const CHUNK: usize = 16_384;
    // Rows copied into the matrix per block, in parallel: copied by one thread, a chunk's
    // rows left the other core idle for a fifth of the counting.
    const BLOCK: usize = 1024;
    let mut indptr = Vec::with_capacity(items.len() + 1);
    let (mut indices, mut data) = (Vec::new(), Vec::new());
    indptr.push(0);
    for (i, chunk) in items.chunks(CHUNK).enumerate() {
        let (rows, x): (Vec<Vec<(u32, f32)>>, Vec<X>) = chunk.par_iter().map(&row).unzip();
        take(x);
        if i == 0 {
            // Room for every row at the first chunk's density (and a little more), so the
            // matrix is not copied as it grows; the last shrink is then in place.
            let per_row = rows.iter().map(Vec::len).sum::<usize>() as f64 / chunk.len() as f64;
            let guess = (per_row * items.len() as f64 * 1.05) as usize;
            indices.reserve_exact(guess);
            data.reserve_exact(guess);
        }
        let start = indices.len();
        let mut blocks = Vec::with_capacity(rows.len().div_ceil(BLOCK));
        for block in rows.chunks(BLOCK) {
            for r in block {
                indptr.push(indptr[indptr.len() - 1] + r.len());
            }
            blocks.push(block.iter().map(Vec::len).sum::<usize>());
        }
        let added = indptr[indptr.len() - 1] - start;
        indices.reserve(added);
        data.reserve(added);
        // The chunk's entries are written straight into the matrix's spare room, a block of
        // rows per job: zeroing the room first (`resize`) wrote every entry twice, on one
        // thread (a tenth of the stage at 200,000 articles), and zeroing it all up front
        // made the unused end of the guess resident (74 MB at a million).
        let slots = split_by_lengths(
            &mut indices.spare_capacity_mut()[..added],
            &mut data.spare_capacity_mut()[..added],
            blocks,
        );
        rows.into_par_iter()
            .chunks(BLOCK)
            .zip(slots)
            .for_each(|(block, (idx, val))| {
                let mut written = 0;
                for ((c, v), (i, d)) in block.into_iter().flatten().zip(idx.iter_mut().zip(val)) {
                    i.write(c);
                    d.write(v);
                    written += 1;
                }
                // The blocks' lengths were summed from these rows: every slot is written.
                assert_eq!(written, idx.len(), "a block's rows fill its slots");
            });
        // SAFETY: the blocks tile `start..start + added` and each wrote every slot of its
        // block (asserted above), so those entries are initialised.
        unsafe {
            indices.set_len(start + added);
            data.set_len(start + added);
        }
    }
    indices.shrink_to_fit();
    data.shrink_to_fit();
    Sparse::new((items.len(), n_cols), indptr, indices, data)
}

/// The rows `rows` of `m`, in that order, copied slice by slice into one CSR matrix (for
/// the articles kept after pruning, or a sample to fit on).
pub fn select_rows(m: &Sparse, rows: &[usize]) -> Sparse {
    let (indptr_in, columns, values) = (m.indptr(), m.indices(), m.data());
    let nnz = rows.iter().map(|&r| indptr_in.outer_inds_sz(r).len()).sum();
    let mut indptr = Vec::with_capacity(rows.len() + 1);
    let (mut indices, mut data) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
    indptr.push(0);
    for &r in rows {
        let span = indptr_in.outer_inds_sz(r);
        indices.extend_from_slice(&columns[span.clone()]);
        data.extend_from_slice(&values[span]);
        indptr.push(indices.len());
    }
    Sparse::new((rows.len(), m.cols()), indptr, indices, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Analyzer;

    fn docs(texts: &[&str]) -> (Vec<Doc>, StemNames) {
        let a = Analyzer::english();
        let tokens: Vec<Tokens> = texts.iter().map(|t| a.analyze(t)).collect();
        prepare(&tokens)
    }

    /// A vocabulary of every term in two documents or more, however common.
    fn fit_every_term(docs: &[Doc], names: &StemNames) -> TfidfModel {
        TfidfParams {
            max_df: 1.0,
            ..Default::default()
        }
        .check()
        .unwrap()
        .fit(docs, names)
        .unwrap()
    }

    /// The document frequencies a model was fitted with are those its counts of the same
    /// documents give, phrases left out as the stories read them; a model fitted on other
    /// documents has its own, which is why runs with a saved model count them.
    #[test]
    fn fitted_document_frequencies_are_the_counted_ones() {
        let d = docs(&[
            "Gaza famine worsens as aid stalls",
            "aid convoys reach Gaza famine areas",
            "famine warnings as aid convoys stall in Gaza",
            "aid aid aid",
            "nothing of the vocabulary",
        ]);
        let m = fit_every_term(&d.0, &d.1);
        let (counts, _, _) = m.clustering_counts(&d.0, false);
        let words = m.words_with(&counts);
        let counted = words.df();
        assert!(counted.contains(&4) && counted.contains(&0));
        assert_eq!(words.fitted_df(), counted);
        let (other, _, _) = m.clustering_counts(&d.0[..2], false);
        assert_ne!(m.words_with(&other).df(), counted);
    }

    /// A document's lead columns are those of the vocabulary's words among its first `lead`
    /// stems, one per use, ascending (a word out of the vocabulary is not among them); the
    /// story pass counts them once more in the document's row.
    #[test]
    fn leads_are_the_columns_of_the_lead_words() {
        let (mut d, names) = docs(&[
            "famine aid Gaza famine zebra convoys",
            "aid Gaza stalls famine",
            "convoys stalls",
            "famine Gaza aid",
        ]);
        (d[0].lead, d[1].lead, d[2].lead, d[3].lead) = (5, 1, 2, 0);
        let m = fit_every_term(&d, &names);
        let c = |t: &str| m.term_index(t).unwrap() as u32;
        assert!(m.term_index("zebra").is_none());
        let (counts, _, leads) = m.clustering_counts(&d, true);
        assert!(m.clustering_counts(&d, false).2.of(0).is_empty());
        let mut first = vec![c("famin"), c("aid"), c("gaza"), c("famin")];
        first.sort_unstable();
        assert_eq!(leads.of(0), first);
        let mut third = [c("convoy"), c("stall")];
        third.sort_unstable();
        assert_eq!(
            (leads.of(1), leads.of(2), leads.of(3)),
            (&[c("aid")][..], &third[..], &[][..])
        );
        assert_eq!(leads.select(&[1, 0]).of(1), first);
        let words = m.words_with(&counts);
        let famine = |row: Vec<(u32, f32)>| row.iter().find(|e| e.0 == c("famin")).unwrap().1;
        assert!(famine(words.row(0, leads.of(0))) > famine(words.row(0, &[])));
    }

    /// A fitted model's column index (built from the hashes counted) is the one its saved
    /// parts rebuild from the terms' names, bigrams included, and its vocabulary is sorted.
    #[test]
    fn fitted_index_matches_the_one_rebuilt_from_names() {
        let d = docs(&[
            "Gaza famine worsens as aid stalls",
            "aid convoys reach Gaza famine areas",
            "famine warnings as aid convoys stall in Gaza",
        ]);
        let m = fit_every_term(&d.0, &d.1);
        assert!(
            m.vocabulary.iter().any(|t| t.contains(' ')),
            "{:?}",
            m.vocabulary
        );
        assert!(m.vocabulary.windows(2).all(|w| w[0] < w[1]));
        let rebuilt = TfidfModel::from_parts(
            m.vocabulary.clone(),
            m.idf.clone(),
            m.df.clone(),
            m.n_docs,
            m.sublinear_tf(),
            m.bigrams(),
        );
        assert_eq!(rebuilt, m);
    }

    #[test]
    fn checks_params() {
        let bad = TfidfParams {
            min_df: 0,
            ..Default::default()
        };
        assert_eq!(bad.check(), Err(VectorizeError::MinDf(0)));
        let bad = TfidfParams {
            max_df: 1.5,
            ..Default::default()
        };
        assert_eq!(bad.check(), Err(VectorizeError::MaxDf(1.5)));
    }

    #[test]
    fn prunes_by_document_frequency() {
        let d = docs(&["gaza famine", "gaza aid", "gaza talks", "oil price oil"]);
        let params = TfidfParams {
            min_df: 1,
            max_df: 0.5,
            sublinear_tf: true,
            bigrams: false,
        };
        let m = params.check().unwrap().fit(&d.0, &d.1).unwrap();
        // gaza is in 3 of 4 documents (> 0.5): pruned; everything else occurs once.
        assert_eq!(m.vocabulary, ["aid", "famin", "oil", "price", "talk"]);
        let p2 = TfidfParams {
            min_df: 2,
            max_df: 1.0,
            ..params
        };
        assert_eq!(
            p2.check().unwrap().fit(&d.0, &d.1).unwrap().vocabulary,
            ["gaza"]
        );
        let p3 = TfidfParams { min_df: 5, ..p2 };
        assert!(matches!(
            p3.check().unwrap().fit(&d.0, &d.1),
            Err(VectorizeError::EmptyVocabulary { .. })
        ));
    }

    /// Hand-computed: n=3; idf(oil)=ln(4/3)+1, idf(price)=ln(4/2)+1; doc 1 has oil twice, so
    /// tf(oil)=1+ln 2; the row (2.1802, 1.6931) normalised is (0.78981, 0.61336).
    #[test]
    fn tfidf_matches_hand_computed_values() {
        let d = docs(&["oil oil price", "oil tanker", "tanker attack"]);
        let params = TfidfParams {
            min_df: 1,
            max_df: 1.0,
            sublinear_tf: true,
            bigrams: false,
        };
        let m = params.check().unwrap().fit(&d.0, &d.1).unwrap();
        assert_eq!(m.vocabulary, ["attack", "oil", "price", "tanker"]);
        assert!((m.idf[1] - ((4.0f64 / 3.0).ln() + 1.0)).abs() < 1e-12);
        let x = m.transform(&d.0);
        let get = |r: usize, c: usize| f64::from(x.get(r, c).copied().unwrap_or(0.0));
        assert!((get(0, 1) - 0.7898069290660905).abs() < 1e-6);
        assert!((get(0, 2) - 0.6133555370249717).abs() < 1e-6);
        assert_eq!(get(0, 0), 0.0);
        assert!((get(1, 1) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert!((get(1, 3) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        // Unseen terms are ignored; a document with none has an all-zero row.
        let y = m.transform(&docs(&["unrelated words"]).0);
        assert_eq!(y.nnz(), 0);
    }

    #[test]
    fn column_index_finds_colliding_terms_and_nothing_else() {
        // Five hashes with the same home slot in a 16-slot table, so lookups must probe.
        let probe = ColumnIndex::new([0u64].into_iter());
        let same: Vec<u64> = (0u64..)
            .filter(|&h| probe.home(h) == probe.home(0))
            .take(6)
            .collect();
        let index = ColumnIndex::new(same[..5].iter().copied());
        assert_eq!(index.slots.len(), 16);
        for (column, &h) in same[..5].iter().enumerate() {
            assert_eq!(index.get(h), Some(column as u32));
        }
        assert_eq!(index.get(same[5]), None);
        assert_eq!(index.get(u64::MAX), None);
        index.warm(same.iter().copied());
    }

    #[test]
    fn document_frequency_tables_count_once_per_document_through_growth_and_merge() {
        // 3,000 terms (the table starts at 1,024 slots, so it grows twice); term t is in
        // documents 1..=1 + t % 3, twice in each, and the other table has each term once.
        let mut a = DfTable::default();
        for d in 1..=3u32 {
            for t in 0..3000u64 {
                if d <= 1 + (t % 3) as u32 {
                    a.count(pair(t, 7), d);
                    a.count(pair(t, 7), d);
                }
            }
        }
        assert_eq!(a.len, 3000);
        let mut b = DfTable::default();
        for t in 0..3000u64 {
            b.count(pair(t, 7), 9);
        }
        b.count(pair(5000, 7), 9);
        for (h, n, last) in b.entries() {
            a.add(h, n, last);
        }
        let counts: HashMap<u64, (u32, u32)> =
            a.entries().map(|(h, n, last)| (h, (n, last))).collect();
        assert_eq!(counts.len(), 3001);
        for t in 0..3000u64 {
            assert_eq!(
                counts[&pair(t, 7)],
                (2 + (t % 3) as u32, 1 + (t % 3) as u32)
            );
        }
        assert_eq!(counts[&pair(5000, 7)], (1, 9));
    }

    /// A vocabulary of a word and a phrase, "aid" and "gaza famin".
    fn word_and_phrase() -> TfidfModel {
        TfidfModel::from_parts(
            vec!["aid".into(), "gaza famin".into()],
            vec![1.5, 2.0],
            vec![2, 1],
            4,
            true,
            true,
        )
    }

    /// Counting the single words only leaves what clustering reads, each article's coverage
    /// and whether it has a term as counting every column does: an article whose one
    /// vocabulary term is a phrase still has a term, and still covers the vocabulary. When
    /// no article uses a single word, clustering reads every term, so all are counted.
    #[test]
    fn clustering_counts_keep_what_clustering_reads() {
        let m = word_and_phrase();
        let (d, _) = docs(&[
            "Gaza famine",
            "aid to Gaza famine areas",
            "nothing here",
            "aid",
        ]);
        let (all, seen_all) = m.counts_of(&d, None);
        let (counted, seen, _) = m.clustering_counts(&d, false);
        assert_eq!(seen, seen_all);
        let has: Vec<bool> = seen.iter().map(|s| s.has_terms).collect();
        assert_eq!(has, [true, true, false, true]);
        assert!(seen[0].coverage > 0.0 && seen[1].coverage < seen[3].coverage);
        assert_eq!((counted.indices(), all.nnz()), (&[0, 0][..], 4));
        assert_eq!(
            m.clustering_weights(&counted).to_sparse(),
            m.clustering_weights(&all).to_sparse()
        );
        let (d, _) = docs(&["Gaza famine", "the Gaza famine"]);
        let (phrases, seen, _) = m.clustering_counts(&d, false);
        assert_eq!(phrases.indices(), [1, 1]);
        assert!(seen.iter().all(|s| s.has_terms));
    }

    #[test]
    fn bigrams_are_adjacent_stem_pairs() {
        let d = docs(&["gaza famine warning", "gaza famine relief"]);
        let params = TfidfParams {
            min_df: 2,
            max_df: 1.0,
            sublinear_tf: false,
            bigrams: true,
        };
        let m = params.check().unwrap().fit(&d.0, &d.1).unwrap();
        assert_eq!(m.vocabulary, ["famin", "gaza", "gaza famin"]);
    }
}
