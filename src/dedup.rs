//! Duplicates: wire services and aggregators repeat stories, and one story counted five times
//! would distort every trend. Exact copies (same words after normalising case and spacing) and
//! near-copies (MinHash over word shingles, found by locality-sensitive hashing, so the cost
//! grows with the corpus, not with its square) are set aside; the first copy seen is kept.

use rustc_hash::FxHashMap;

use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use unicode_normalization::char::is_combining_mark;

use crate::prefetch;

/// Words per shingle: long enough that unrelated stories rarely share shingles, short enough
/// that a changed word costs only a few.
const SHINGLE: usize = 5;
/// LSH bands × rows = signature length. With 20 bands of 6 rows, a pair at Jaccard 0.8 is a
/// candidate with probability 0.998, a pair at 0.5 with 0.27; candidates are then checked on
/// the whole signature.
pub const BANDS: usize = 20;
const ROWS: usize = 6;
const SIGNATURE: usize = BANDS * ROWS;
/// A band bucket shared by more canonical articles than this is boilerplate, not news: only its
/// most recent members are compared, which keeps the cost linear on degenerate inputs.
const MAX_BUCKET_CANDIDATES: usize = 64;
/// End of a bucket chain.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq)]
pub struct DedupParams {
    /// Estimated Jaccard similarity of word shingles at or above which an article is a
    /// near-duplicate.
    pub threshold: f64,
}

/// A threshold that is not a similarity (NaN, 0 or below, above 1).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`duplicate_threshold` must be above 0 and at most 1 (a word-shingle Jaccard similarity); got {0}")]
pub struct ThresholdError(pub f64);

impl DedupParams {
    /// At 0 everything would be a copy of everything; above 1 (or NaN) nothing could be.
    pub fn check(&self) -> Result<(), ThresholdError> {
        if self.threshold > 0.0 && self.threshold <= 1.0 {
            Ok(())
        } else {
            Err(ThresholdError(self.threshold))
        }
    }
}

impl Default for DedupParams {
    fn default() -> Self {
        DedupParams { threshold: 0.8 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Duplicate {
    /// Index of the dropped copy in the input.
    pub index: usize,
    /// Index of the kept article it copies.
    pub duplicate_of: usize,
    /// 1.0 for exact copies, else the estimated Jaccard similarity.
    pub similarity: f64,
    pub exact: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dedup {
    pub duplicates: Vec<Duplicate>,
    /// Per input article: how many times it was seen (1 + its copies; 0 for a copy).
    pub times_seen: Vec<usize>,
}

impl Dedup {
    pub fn is_duplicate(&self, i: usize) -> bool {
        self.times_seen[i] == 0
    }
}

/// SplitMix64 finaliser: a cheap, well-mixed 64-bit hash of a 64-bit value.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a step over one lower-cased character's code point.
fn step(h: u64, c: u64) -> u64 {
    (h ^ c).wrapping_mul(0x0000_0100_0000_01b3)
}

/// Hashes of the words of a text, lower-cased and with accents taken off on the fly (no
/// per-word allocation; see [`fold_into`]). News is mostly ASCII, whose bytes need no
/// decoding as characters.
fn word_hashes(text: &str) -> Vec<u64> {
    // Outside ASCII, news mostly has punctuation and spaces (curly quotes, dashes, no-break
    // spaces): they only part words (0 in the table), as every byte of them does in the byte
    // reading.
    let table = points();
    let parts_words = |c: char| table.get(c as usize) == Some(&0);
    if text.is_ascii() || text.chars().all(|c| c.is_ascii() || parts_words(c)) {
        byte_word_hashes(text.as_bytes())
    } else {
        char_word_hashes(text)
    }
}

/// Each byte lower-cased when it is an ASCII letter or digit, else 0.
const WORD_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    t
};

/// [`word_hashes`] of text whose only letters and digits are ASCII, as [`char_word_hashes`]
/// makes them (any other character parts words, and so does each of its bytes), without
/// decoding characters. Read without a branch per byte: where words end is no pattern the
/// processor can guess, and the byte loop is most of the fingerprinting.
fn byte_word_hashes(bytes: &[u8]) -> Vec<u64> {
    two_chains(bytes, |&b| u32::from(WORD_BYTE[usize::from(b)]))
}

/// [`word_hashes`] of any text, as [`byte_word_hashes`] reads bytes: each character made
/// first into what its words' hashes step over (its lower-case code points, or a 0 that parts
/// words), so that the hashing is again two chains without a branch. Stepping through the
/// characters themselves, a branch on each (is it ASCII, a letter, the end of a word) made a
/// text with one accented letter a third slower to fingerprint than one without.
fn char_word_hashes(text: &str) -> Vec<u64> {
    let table = points();
    let mut points: Vec<u32> = Vec::with_capacity(text.len());
    for c in text.chars() {
        match table.get(c as usize) {
            Some(&p) if p < MARK => points.push(p),
            Some(&MARK) => {}
            _ => fold_into(c, &mut points),
        }
    }
    two_chains(&points, |&p| p)
}

/// What character `c` steps its word's hash over, added to `points`: nothing for a
/// diacritic ([`is_diacritic`]); 0, which parts words, for anything but a letter, a digit or
/// another mark; else its lower case with its diacritics taken off (each code point
/// decomposed, its diacritics left out: "É" is "e"). So a copy written decomposed ("e" and a
/// combining accent, as text from some systems comes), or with its accents or Arabic vowel
/// signs dropped, has its original's words: a feed that mixed composed and decomposed copies
/// of 100,000 articles had a quarter of them go unmatched. The marks that are part of a
/// script's spelling (Devanagari's vowel signs and virama, Thai's vowels) stay in the word.
/// A lower-case form is never U+0000, so it never parts words.
fn fold_into(c: char, points: &mut Vec<u32>) {
    use unicode_normalization::char::decompose_canonical;
    if is_diacritic(c) {
        return;
    }
    if is_combining_mark(c) {
        points.push(u32::from(c));
        return;
    }
    if !c.is_alphanumeric() {
        points.push(0);
        return;
    }
    for lower in c.to_lowercase() {
        decompose_canonical(lower, |d| {
            if !is_diacritic(d) {
                points.push(u32::from(d));
            }
        });
    }
}

/// Marks that write accents and vowel signs a text may carry or leave out: the combining
/// diacritical marks (and their supplements, extensions and half marks), Cyrillic's, Hebrew's
/// points and Arabic's vowel signs and Quranic marks. The Vietnamese tones are among them,
/// so "má" and "mà" are one word to the fingerprints.
fn is_diacritic(c: char) -> bool {
    matches!(
        u32::from(c),
        0x300..=0x36f
            | 0x1ab0..=0x1aff
            | 0x1dc0..=0x1dff
            | 0x20d0..=0x20ff
            | 0xfe20..=0xfe2f
            | 0x483..=0x489
            | 0x591..=0x5c7
            | 0x610..=0x61a
            | 0x64b..=0x65f
            | 0x670
            | 0x6d6..=0x6ed
    ) && is_combining_mark(c)
}

/// Characters below this have their points in a table ([`points`]): the alphabets written
/// with two bytes (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic), those of South and
/// South-East Asia, Georgian, Vietnamese and the punctuation. Looking up whether a character
/// is a letter and its lower case in Unicode's own tables took most of the time of
/// fingerprinting Cyrillic text.
const TABLED: u32 = 0x3000;

/// In [`points`], a diacritic: it adds nothing.
const MARK: u32 = u32::MAX - 1;

/// In [`points`], a character that [`fold_into`] makes several code points.
const SEVERAL: u32 = u32::MAX;

/// What each character below [`TABLED`] steps a word's hash over ([`fold_into`]): its one
/// code point, 0 when it parts words, [`MARK`] or [`SEVERAL`].
fn points() -> &'static [u32] {
    static POINTS: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    POINTS.get_or_init(|| {
        let mut folded = Vec::new();
        (0..TABLED)
            .map(|p| {
                let Some(c) = char::from_u32(p) else {
                    return 0;
                };
                folded.clear();
                fold_into(c, &mut folded);
                match folded.as_slice() {
                    [] => MARK,
                    [one] => *one,
                    _ => SEVERAL,
                }
            })
            .collect()
    })
}

/// The words' hashes of `units` (bytes or code points), each made into what a word's hash
/// steps over by `point` (0: a gap). Each step of a word's hash waits on the last, so the
/// units are read as two halves at once, cut between words, each with its own chain.
#[inline(always)]
fn two_chains<T>(units: &[T], point: impl Fn(&T) -> u32) -> Vec<u64> {
    let mid = units.len() / 2;
    let cut = units[mid..]
        .iter()
        .position(|u| point(u) == 0)
        .map_or(units.len(), |p| mid + p);
    let (a, b) = units.split_at(cut);
    let (mut first, mut second) = (Chain::for_units(a.len()), Chain::for_units(b.len()));
    let common = a.len().min(b.len());
    for (x, y) in a[..common].iter().zip(&b[..common]) {
        first.feed(point(x));
        second.feed(point(y));
    }
    a[common..].iter().for_each(|x| first.feed(point(x)));
    b[common..].iter().for_each(|y| second.feed(point(y)));
    let mut hashes = first.finish();
    hashes.extend_from_slice(&second.finish());
    hashes.iter_mut().for_each(|h| *h = mix(*h));
    hashes
}

/// One run of units' words as [`two_chains`] reads them: the hash of the word being read,
/// and the words ended so far, written to a slot that each unit writes whether or not a word
/// ended there.
struct Chain {
    hash: u64,
    in_word: bool,
    words: Vec<u64>,
    ended: usize,
}

impl Chain {
    /// A word takes at least one unit and the gap after it one more.
    fn for_units(n: usize) -> Chain {
        Chain {
            hash: 0,
            in_word: false,
            words: vec![0; n / 2 + 1],
            ended: 0,
        }
    }

    /// Steps over `point`, a lower-case code point, or 0 for a gap.
    #[inline(always)]
    fn feed(&mut self, point: u32) {
        let alnum = point != 0;
        self.words[self.ended] = self.hash;
        self.ended += usize::from(self.in_word & !alnum);
        let stepped = step(self.hash, u64::from(point));
        self.hash = if alnum { stepped } else { 0 };
        self.in_word = alnum;
    }

    /// The words' unmixed hashes, the last word's too.
    fn finish(mut self) -> Vec<u64> {
        if self.in_word {
            self.words[self.ended] = self.hash;
            self.ended += 1;
        }
        self.words.truncate(self.ended);
        self.words
    }
}

/// What the matching reads of a text: the hash of its normalised words (exact copies), its
/// MinHash signature and the signature's band keys. Public so that copies can be found where
/// the texts are not all in one process: Spark computes fingerprints per partition, groups
/// the band keys across partitions, and hands the articles that share one to
/// [`duplicates_among`].
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    signature: Signature,
    exact: u64,
    /// The signature's band keys, computed with it in parallel (they are sorted into
    /// [`Buckets`] before the sequential matching).
    bands: [u64; BANDS],
}

/// Rows of a [`Half`]: the signature's, then rows equal in every signature, so that a half
/// fills whole cache lines.
const PADDED: usize = 128;
const _: () = assert!(SIGNATURE <= PADDED && PADDED.is_multiple_of(ROWS_AT_A_TIME));

/// A signature's 32-bit values split in halves, the low 16 bits of every row before the high
/// ones. The sequential matching reads a candidate's signature from anywhere in memory, and
/// most candidates differ on too many rows: they are ruled out on their low halves alone, four
/// aligned cache lines, where the whole signature was eight unaligned ones. Only a candidate
/// that passes is compared on its high halves as well, so the similarity is that of the
/// 32-bit values.
#[derive(Debug, Clone, PartialEq)]
struct Signature {
    low: Half,
    high: Half,
}

#[derive(Debug, Clone, PartialEq)]
#[repr(align(64))]
struct Half([u16; PADDED]);

impl Signature {
    fn new(values: &[u32; SIGNATURE]) -> Signature {
        let (mut low, mut high) = (Half([0; PADDED]), Half([0; PADDED]));
        for ((l, h), &v) in low.0.iter_mut().zip(&mut high.0).zip(values) {
            (*l, *h) = (v as u16, (v >> 16) as u16);
        }
        Signature { low, high }
    }

    /// Asks for the whole signature, each of its eight lines: a candidate found through a
    /// shared band is most often a reworded copy, whose low halves pass and whose high halves
    /// are read as well. Asked for only its first line or two, the matching at a million
    /// syndicated articles waited on the others one after another.
    fn ask_ahead(&self) {
        for row in (0..PADDED).step_by(ROWS_AT_A_TIME) {
            prefetch(&self.low.0[row]);
            prefetch(&self.high.0[row]);
        }
    }

    fn value(&self, row: usize) -> u32 {
        u32::from(self.high.0[row]) << 16 | u32::from(self.low.0[row])
    }
}

/// Bytes of [`Fingerprint::to_bytes`].
pub const FINGERPRINT_BYTES: usize = 8 * (1 + BANDS) + 4 * SIGNATURE;

impl Fingerprint {
    pub fn exact(&self) -> u64 {
        self.exact
    }

    /// The band keys: two texts that share one are compared.
    pub fn bands(&self) -> &[u64] {
        &self.bands
    }

    /// Little-endian: the exact hash, the band keys, the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FINGERPRINT_BYTES);
        out.extend(self.exact.to_le_bytes());
        self.bands.iter().for_each(|b| out.extend(b.to_le_bytes()));
        (0..SIGNATURE).for_each(|r| out.extend(self.signature.value(r).to_le_bytes()));
        out
    }

    /// What [`Fingerprint::to_bytes`] wrote, or `None` for bytes of another length.
    pub fn from_bytes(bytes: &[u8]) -> Option<Fingerprint> {
        if bytes.len() != FINGERPRINT_BYTES {
            return None;
        }
        let (words, values) = bytes.split_at(8 * (1 + BANDS));
        let mut words = words
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
        let exact = words.next()?;
        let mut bands = [0u64; BANDS];
        bands.iter_mut().zip(words).for_each(|(b, w)| *b = w);
        let mut signature = [0u32; SIGNATURE];
        signature
            .iter_mut()
            .zip(values.chunks_exact(4))
            .for_each(|(v, c)| *v = u32::from_le_bytes(c.try_into().expect("4 bytes")));
        Some(Fingerprint {
            signature: Signature::new(&signature),
            exact,
            bands,
        })
    }
}

/// One-permutation MinHash (Li, Owen and Zhang 2012) with optimal densification (Shrivastava
/// 2017): each shingle hash falls in one of the `SIGNATURE` bins and only lowers that bin's
/// minimum, one update per shingle instead of one per slot, with the same estimate of the
/// Jaccard similarity. A bin no shingle fell in borrows the value of a bin picked by a fixed
/// hash sequence, so two texts with the same non-empty bins fill their empty ones alike.
/// Values keep 32 bits: bins rarely agree by chance (2⁻³²) and signatures take half the room.
pub fn fingerprint(text: &str) -> Fingerprint {
    let words = word_hashes(text);
    let exact = words
        .iter()
        .fold(words.len() as u64, |acc, &w| mix(acc ^ w));
    let mut mins = [u64::MAX; SIGNATURE];
    let width = SHINGLE.min(words.len()).max(1);
    for shingle in words.windows(width) {
        // Word hashes are already mixed: rotating them by position and mixing once gives a
        // well-spread, order-aware shingle hash at a fifth of the cost of mixing each word.
        let h = mix(shingle.iter().fold(0u64, |acc, &w| acc.rotate_left(17) ^ w));
        // Bin from the high bits (multiply-shift range reduction), value from the low ones.
        let bin = (((h >> 32) * SIGNATURE as u64) >> 32) as usize;
        let v = h & 0xffff_ffff;
        if v < mins[bin] {
            mins[bin] = v;
        }
    }
    let mut signature = [u32::MAX; SIGNATURE];
    if mins.iter().any(|&m| m != u64::MAX) {
        for (j, slot) in signature.iter_mut().enumerate() {
            let mut from = j;
            let mut attempt = 0u64;
            while mins[from] == u64::MAX {
                attempt += 1;
                from = (mix((j as u64) << 32 | attempt) % SIGNATURE as u64) as usize;
            }
            *slot = mins[from] as u32;
        }
    }
    let mut bands = [0; BANDS];
    for (b, (key, rows)) in bands.iter_mut().zip(signature.chunks(ROWS)).enumerate() {
        *key = rows
            .iter()
            .fold(b as u64, |acc, &r| mix(acc.rotate_left(32) ^ r as u64));
    }
    Fingerprint {
        signature: Signature::new(&signature),
        exact,
        bands,
    }
}

/// Rows compared at a time before checking whether too many already differ: a cache line of
/// low halves.
const ROWS_AT_A_TIME: usize = 32;

/// The similarity of two signatures, or `None` once more than `allowed` rows differ: most
/// candidates share a band by chance or are reworded copies well below the threshold, and
/// rows whose low halves differ differ, so their low halves, read a line at a time, rule
/// most out.
fn similarity_within(a: &Signature, b: &Signature, allowed: usize) -> Option<f64> {
    let mut differ = 0;
    for (x, y) in a
        .low
        .0
        .chunks_exact(ROWS_AT_A_TIME)
        .zip(b.low.0.chunks_exact(ROWS_AT_A_TIME))
    {
        differ += x.iter().zip(y).filter(|(x, y)| x != y).count();
        if differ > allowed {
            return None;
        }
    }
    // Rows whose low halves agree differ when their high halves do.
    let differ = differ
        + (a.low.0.iter().zip(&a.high.0))
            .zip(b.low.0.iter().zip(&b.high.0))
            .filter(|((al, ah), (bl, bh))| al == bl && ah != bh)
            .count();
    (differ <= allowed).then(|| (SIGNATURE - differ) as f64 / SIGNATURE as f64)
}

/// Most rows two signatures may differ on and still be similar at `threshold`, by the same
/// division [`similarity_within`] makes (`None`: no two signatures are).
fn allowed_differences(threshold: f64) -> Option<usize> {
    (0..=SIGNATURE)
        .find(|&m| m as f64 / SIGNATURE as f64 >= threshold)
        .map(|m| SIGNATURE - m)
}

/// `values` as atomics, for threads to write at places no two share (std's own
/// `AtomicU32::from_mut_slice` is not stable yet). The cells borrow `values` for as long as
/// they live.
fn as_cells(values: &mut [u32]) -> &[AtomicU32] {
    const _: () = assert!(std::mem::align_of::<AtomicU32>() == std::mem::align_of::<u32>());
    // SAFETY: `AtomicU32` has the size and bit validity of `u32`, and here its alignment
    // (checked above); the unique borrow of `values` is held by the returned cells.
    unsafe { &*(values as *mut [u32] as *const [AtomicU32]) }
}

/// Every article's band keys, sorted: a band bucket is a run of equal keys, its members in
/// input order, so an article's earlier bucket-mates are read from the places just before
/// its own, near each other in memory, where chains through a hash map of the last member
/// jumped across memory at every step. Sorted in parallel.
struct Buckets {
    places: Vec<Place>,
    /// Per article and band (`i * BANDS + b`), its place.
    place_of: Vec<u32>,
}

/// A place in [`Buckets`], what is read of it together.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    key: u64,
    /// The article and band there, `i * BANDS + b` (article numbers up to 2³²/[`BANDS`],
    /// 200 million, far more than fit in memory).
    slot: u32,
    /// The place of the last kept article at or before this one in its bucket ([`NONE`]
    /// until decided), set as each article is decided, in input order.
    kept: u32,
}

impl Buckets {
    fn new(prints: &[Fingerprint]) -> Buckets {
        // By slot, so that rayon writes each place straight where it goes: gathered article
        // by article (`flat_map_iter`), the places of unknown count were collected in pieces
        // and copied together, and at a million articles (20 million places, 320 MB) that
        // took longer than sorting them.
        let mut places: Vec<Place> = (0..prints.len() * BANDS)
            .into_par_iter()
            .map(|slot| Place {
                key: prints[slot / BANDS].bands[slot % BANDS],
                slot: slot as u32,
                kept: NONE,
            })
            .collect();
        places.par_sort_unstable();
        // Every slot's place, written on both cores: each write lands somewhere in a table of
        // 80 MB at a million articles, and one core waited on them one after another.
        let mut place_of = vec![0u32; places.len()];
        let cells = as_cells(&mut place_of);
        places
            .par_iter()
            .enumerate()
            .for_each(|(p, place)| cells[place.slot as usize].store(p as u32, Relaxed));
        Buckets { places, place_of }
    }

    /// The place of the last kept article before place `p` in its bucket, or [`NONE`].
    fn kept_before(&self, p: usize) -> u32 {
        match p.checked_sub(1).map(|q| &self.places[q]) {
            Some(q) if q.key == self.places[p].key => q.kept,
            _ => NONE,
        }
    }

    fn article(&self, p: u32) -> u32 {
        self.places[p as usize].slot / BANDS as u32
    }
}

/// Finds the copies among `texts`, in order: each text is compared with the kept texts before
/// it, so the first copy seen is the one kept. Fingerprints are computed in parallel; the
/// matching itself is sequential, so the result does not depend on the number of threads.
pub fn find_duplicates(texts: &[&str], params: &DedupParams) -> Dedup {
    let prints: Vec<Fingerprint> = texts.par_iter().map(|t| fingerprint(t)).collect();
    duplicates_among(&prints, params)
}

/// [`find_duplicates`] of texts known by their fingerprints, in input order. The copies found
/// among a subset of a corpus that holds every article sharing an exact hash or a band key
/// with another (in order) are those of the whole corpus: an article that shares neither is
/// kept, and is no other's candidate.
pub fn duplicates_among(prints: &[Fingerprint], params: &DedupParams) -> Dedup {
    // Sized for every article up front: growing the map would rehash it, in this sequential
    // part, several times over (holding old and new tables at once).
    let mut exact: FxHashMap<u64, u32> =
        FxHashMap::with_capacity_and_hasher(prints.len(), Default::default());
    let mut buckets = Buckets::new(prints);
    let mut times_seen = vec![1usize; prints.len()];
    let mut duplicates = Vec::new();
    let mut candidates: Vec<u32> = Vec::new();
    let allowed = allowed_differences(params.threshold);
    for (i, fp) in prints.iter().enumerate() {
        let places: [u32; BANDS] = buckets.place_of[i * BANDS..(i + 1) * BANDS]
            .try_into()
            .expect("BANDS places per article");
        let copy_of = if let Some(&first) = exact.get(&fp.exact) {
            Some((first as usize, 1.0, true))
        } else {
            candidates.clear();
            // Each band's walk starts at the place before the article's own: asked for at
            // once, the twenty scattered lines arrive together instead of one per band.
            for &p in &places {
                prefetch(&buckets.places[(p as usize).saturating_sub(1)]);
            }
            for &p in &places {
                let mut at = buckets.kept_before(p as usize);
                for _ in 0..MAX_BUCKET_CANDIDATES {
                    if at == NONE {
                        break;
                    }
                    let c = buckets.article(at);
                    // Asked for now, its signature arrives while the other bands are walked.
                    prints[c as usize].signature.ask_ahead();
                    candidates.push(c);
                    at = buckets.kept_before(at as usize);
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            allowed
                .and_then(|allowed| {
                    candidates
                        .iter()
                        .filter_map(|&c| {
                            similarity_within(&fp.signature, &prints[c as usize].signature, allowed)
                                .map(|s| (c as usize, s))
                        })
                        .filter(|&(_, s)| s >= params.threshold)
                        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                })
                .map(|(first, sim)| (first, sim, false))
        };
        match copy_of {
            Some((first, similarity, exact)) => {
                duplicates.push(Duplicate {
                    index: i,
                    duplicate_of: first,
                    similarity,
                    exact,
                });
                times_seen[first] += 1;
                times_seen[i] = 0;
                for &p in &places {
                    buckets.places[p as usize].kept = buckets.kept_before(p as usize);
                }
            }
            None => {
                exact.insert(fp.exact, i as u32);
                for &p in &places {
                    buckets.places[p as usize].kept = p;
                }
            }
        }
    }
    Dedup {
        duplicates,
        times_seen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    /// Words' hashes as the reading character by character defines them (lower case,
    /// decomposed, diacritics left out, other marks kept): the reference the two-chain
    /// readings are tested against.
    fn any_word_hashes(text: &str) -> Vec<u64> {
        let mut out = Vec::with_capacity(text.len() / 5);
        let mut h: u64 = 0;
        let mut in_word = false;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let alnum = if b.is_ascii() {
                i += 1;
                let alnum = b.is_ascii_alphanumeric();
                if alnum {
                    h = step(h, u64::from(b.to_ascii_lowercase()));
                }
                alnum
            } else {
                // `i` is always at a character boundary: whole characters are stepped over.
                let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) else {
                    break;
                };
                i += c.len_utf8();
                if is_diacritic(c) {
                    continue;
                }
                let alnum = c.is_alphanumeric() || is_combining_mark(c);
                if is_combining_mark(c) {
                    h = step(h, c as u64);
                } else if alnum {
                    use unicode_normalization::UnicodeNormalization;
                    h = c
                        .to_lowercase()
                        .nfd()
                        .filter(|&d| !is_diacritic(d))
                        .fold(h, |h, d| step(h, d as u64));
                }
                alnum
            };
            if alnum {
                in_word = true;
            } else if in_word {
                out.push(mix(h));
                h = 0;
                in_word = false;
            }
        }
        if in_word {
            out.push(mix(h));
        }
        out
    }

    proptest! {
        // A fixed seed and no saved failures, as the other property tests.
        #![proptest_config(Config {
            cases: 2000,
            rng_seed: RngSeed::Fixed(20261207),
            failure_persistence: None,
            ..Config::default()
        })]

        /// Text read by its bytes, as two halves at once without branches, gives the words'
        /// hashes the general reading gives: words at the cut, at either end, runs of gaps,
        /// one byte, punctuation, spaces, format marks and emoji from outside ASCII (none a
        /// letter, digit or combining mark).
        #[test]
        fn byte_words_hash_as_any_text_does(
            text in "[a-zA-Z0-9 .,'\\n\u{2019}\u{201c}\u{2014}\u{a0}\u{ad}\u{200d}\u{1F600}-]{0,80}",
        ) {
            prop_assert_eq!(byte_word_hashes(text.as_bytes()), any_word_hashes(&text));
        }

        /// Text whose letters are all ASCII is read by its bytes, and text with letters from
        /// outside ASCII as characters: either way, the same hashes.
        #[test]
        fn any_text_hashes_as_its_characters_do(
            text in "[a-zA-Z0-9 .,'\\n\u{2019}\u{201c}\u{2014}\u{2026}\u{a0}\u{3000}\u{301}éÜßİ]{0,80}",
        ) {
            prop_assert_eq!(word_hashes(&text), any_word_hashes(&text));
        }

        /// Text read as code points gives the same hashes whatever its letters: accented,
        /// Greek, Cyrillic, Han, one whose lower case is two code points (İ), the Turkish
        /// dotless ı, ß, combining accents, Devanagari's vowel signs and virama, Hebrew's
        /// points, superscript digits and fractions (alphanumeric too), ordinal indicators,
        /// emoji.
        #[test]
        fn text_of_any_letters_hashes_as_its_characters_do(
            text in "[a-zA-Z0-9 .,'\\n\u{2019}\u{a0}\u{2014}éÉÿŸİıßẞ\u{301}\u{308}αΑΩσςЖжЁёعةשदि\u{94d}\u{5b4}\u{1C90}²½ªº々\u{3000}中文\u{1F600}-]{0,80}",
        ) {
            prop_assert_eq!(char_word_hashes(&text), any_word_hashes(&text));
        }
    }

    /// A copy written decomposed, or with its accents or vowel signs dropped, has its
    /// original's words; other letters stay apart.
    #[test]
    fn accents_and_marks_leave_words_as_they_are() {
        use unicode_normalization::UnicodeNormalization;
        let text = "Brasíl and México: São Paulo's naïve café, Ελλάδα, Ёлка, أيضاً";
        let decomposed: String = text.nfd().collect();
        let bare = "Brasil and Mexico: Sao Paulo's naive cafe, Ελλαδα, Елка, أيضا";
        assert_eq!(word_hashes(&decomposed), word_hashes(text));
        assert_eq!(word_hashes(bare), word_hashes(text));
        assert_eq!(word_hashes("ÉTÉ"), word_hashes("ete"));
        assert_ne!(word_hashes("straße"), word_hashes("strase"));
        assert_ne!(word_hashes("año"), word_hashes("a o"));
        assert_eq!(word_hashes("cafe\u{301}s x"), word_hashes("caf\u{e9}s x"));
        assert_eq!(word_hashes("cafe\u{301}s x").len(), 2);
        // A script's own marks are its spelling: Hindi's "kaam" (work) is not "kam" (less),
        // nor is "kya" (with a virama) two words.
        assert_ne!(
            word_hashes("\u{915}\u{93e}\u{92e}"),
            word_hashes("\u{915}\u{92e}")
        );
        assert_eq!(word_hashes("\u{915}\u{94d}\u{92f}\u{93e} x").len(), 2);
    }

    /// Every character the table holds, and some beyond it, alone, inside a word and between
    /// two: the table says what Unicode's own tables say.
    #[test]
    fn each_tabled_character_hashes_as_it_reads() {
        let beyond = [0x3000, 0x3005, 0x3007, 0x4e2d, 0xff21, 0x1_0400, 0x1_f600];
        for c in (0..TABLED + 16).chain(beyond).filter_map(char::from_u32) {
            let text = format!("{c} a{c}b{c}{c}c {c}d{c}");
            assert_eq!(char_word_hashes(&text), any_word_hashes(&text), "{c:?}");
        }
    }

    #[test]
    fn long_ascii_words_and_texts_hash_as_any_text_does() {
        let long = "a".repeat(1000);
        let texts = [
            long.clone(),
            format!("a {long}"),
            format!("{long} b"),
            format!("Shr 25 cts vs 21 cts. {LONG_STORY} {long}"),
            LONG_STORY.repeat(3),
        ];
        for text in &texts {
            assert_eq!(byte_word_hashes(text.as_bytes()), any_word_hashes(text));
            assert_eq!(char_word_hashes(text), any_word_hashes(text));
            let accented = text.replace('a', "á");
            assert_eq!(char_word_hashes(&accented), any_word_hashes(&accented));
        }
    }

    const STORY: &str = "Russian President Vladimir Putin has sent a message to his Syrian \
        counterpart Ahmad al-Sharaa, the Kremlin announced on Thursday, underscoring its \
        significance in both timing and content against the backdrop of recent developments \
        in the coastal regions and mounting challenges to the leadership of the country.";

    /// The copies found among the articles that share a key with another are those of the
    /// whole corpus, and a fingerprint survives its bytes.
    #[test]
    fn copies_among_the_articles_sharing_a_key_are_the_corpus_copies() {
        let edited = LONG_STORY.replace("wheat", "grain");
        let other = "Oil prices rose sharply on Monday after OPEC agreed to cut output.";
        let texts = [other, LONG_STORY, "Gold fell.", &edited, STORY, LONG_STORY];
        let params = DedupParams::default();
        let whole = find_duplicates(&texts, &params);
        let prints: Vec<Fingerprint> = texts.iter().map(|t| fingerprint(t)).collect();
        let shares = |i: usize| {
            (0..texts.len()).any(|j| {
                j != i
                    && (prints[j].exact() == prints[i].exact()
                        || prints[j]
                            .bands()
                            .iter()
                            .zip(prints[i].bands())
                            .any(|(a, b)| a == b))
            })
        };
        let subset: Vec<usize> = (0..texts.len()).filter(|&i| shares(i)).collect();
        assert_eq!(subset, [1, 3, 5]);
        let again: Vec<Fingerprint> = subset
            .iter()
            .map(|&i| Fingerprint::from_bytes(&prints[i].to_bytes()).unwrap())
            .collect();
        assert_eq!(
            again,
            subset
                .iter()
                .map(|&i| prints[i].clone())
                .collect::<Vec<_>>()
        );
        let part = duplicates_among(&again, &params);
        let mapped: Vec<(usize, usize, bool)> = part
            .duplicates
            .iter()
            .map(|d| (subset[d.index], subset[d.duplicate_of], d.exact))
            .collect();
        let want: Vec<(usize, usize, bool)> = whole
            .duplicates
            .iter()
            .map(|d| (d.index, d.duplicate_of, d.exact))
            .collect();
        assert_eq!(mapped, want);
        assert_eq!(want, [(3, 1, false), (5, 1, true)]);
        assert!(Fingerprint::from_bytes(&[0; 3]).is_none());
    }

    #[test]
    fn exact_copies_ignore_case_and_spacing() {
        let copy = STORY.to_uppercase().replace(' ', "  ");
        let other = "Oil prices rose sharply on Monday after OPEC agreed to cut output.";
        let d = find_duplicates(&[STORY, other, &copy, STORY], &DedupParams::default());
        assert_eq!(d.times_seen, [3, 1, 0, 0]);
        assert_eq!(d.duplicates.len(), 2);
        assert!(d.duplicates.iter().all(|x| x.exact && x.duplicate_of == 0));
    }

    /// Two paragraphs, about a hundred shingles: enough for a close estimate.
    const LONG_STORY: &str = "Russian President Vladimir Putin has sent a message to his \
        Syrian counterpart Ahmad al-Sharaa, the Kremlin announced on Thursday, underscoring its \
        significance in both timing and content against the backdrop of recent developments \
        in the coastal regions and mounting challenges to the leadership of the country. \
        Diplomats in Damascus said the letter proposed a review of the agreements on the naval \
        base at Tartus and the air base at Hmeimim, which Moscow wants to keep, while the new \
        government seeks compensation, wheat deliveries and help to rebuild power stations \
        damaged during fourteen years of war.";

    #[test]
    fn near_copies_above_threshold_only() {
        // One word changed mid-text (a correction): 5 of about 100 shingles differ, Jaccard
        // about 0.9.
        let edited = LONG_STORY.replace("wheat", "grain");
        // A quarter of the words changed: well below the threshold.
        let rewritten: String = LONG_STORY
            .split(' ')
            .enumerate()
            .map(|(i, w)| if i % 4 == 0 { "changed" } else { w })
            .collect::<Vec<_>>()
            .join(" ");
        let d = find_duplicates(&[LONG_STORY, &edited, &rewritten], &DedupParams::default());
        assert_eq!(d.duplicates.len(), 1, "{:?}", d.duplicates);
        let dup = d.duplicates[0];
        assert_eq!((dup.index, dup.duplicate_of, dup.exact), (1, 0, false));
        assert!(
            dup.similarity >= 0.8 && dup.similarity < 0.99,
            "{}",
            dup.similarity
        );
        assert!(!d.is_duplicate(2));
        // A stricter threshold keeps the edited copy.
        let strict = find_duplicates(&[LONG_STORY, &edited], &DedupParams { threshold: 0.99 });
        assert!(strict.duplicates.is_empty());
    }

    #[test]
    fn a_comparison_stops_once_the_threshold_is_out_of_reach() {
        assert_eq!(allowed_differences(0.8), Some(24));
        assert_eq!(allowed_differences(1.0), Some(0));
        let same = [7u32; SIGNATURE];
        let a = Signature::new(&same);
        let mut values = same;
        values[..24].iter_mut().for_each(|v| *v = 8);
        assert_eq!(
            similarity_within(&a, &Signature::new(&values), 24),
            Some(0.8)
        );
        values[SIGNATURE - 1] = 8;
        assert_eq!(similarity_within(&a, &Signature::new(&values), 24), None);
        assert_eq!(similarity_within(&a, &a, 0), Some(1.0));
        // Rows that agree on their low halves only still differ.
        let mut values = same;
        values[..24].iter_mut().for_each(|v| *v = 8);
        values[24] = 7 | 1 << 16;
        assert_eq!(similarity_within(&a, &Signature::new(&values), 24), None);
        values[24] = 7;
        values[0] = 7 | 1 << 20;
        assert_eq!(
            similarity_within(&a, &Signature::new(&values), 24),
            Some(0.8)
        );
    }

    #[test]
    fn a_copy_is_found_past_many_kept_bucket_mates() {
        // Forty distinct stories that share nothing, then a copy of the first: it must find
        // its original wherever the original stands among the kept.
        let stories: Vec<String> = (0..40)
            .map(|i| {
                (0..80)
                    .map(|j| format!("w{i}x{j}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let mut texts: Vec<&str> = stories.iter().map(String::as_str).collect();
        let copy = stories[0].replace("w0x40 ", "changed ");
        texts.push(&copy);
        let d = find_duplicates(&texts, &DedupParams::default());
        assert_eq!(d.duplicates.len(), 1, "{:?}", d.duplicates);
        assert_eq!(
            (d.duplicates[0].index, d.duplicates[0].duplicate_of),
            (40, 0)
        );
    }

    #[test]
    fn short_texts_compare_whole() {
        let d = find_duplicates(
            &["Gaza famine", "gaza  FAMINE", "Gaza"],
            &DedupParams::default(),
        );
        assert_eq!(d.times_seen, [2, 0, 1]);
    }
}
