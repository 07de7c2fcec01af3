//! Duplicates: wire services and aggregators repeat stories, and one story counted five times
//! would distort every trend. Exact copies (same words after normalising case and spacing) and
//! near-copies (MinHash over word shingles, found by locality-sensitive hashing, so the cost
//! grows with the corpus, not with its square) are set aside; the first copy seen is kept.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use rayon::prelude::*;

/// Words per shingle: long enough that unrelated stories rarely share shingles, short enough
/// that a changed word costs only a few.
const SHINGLE: usize = 5;
/// LSH bands × rows = signature length. With 20 bands of 6 rows, a pair at Jaccard 0.8 is a
/// candidate with probability 0.998, a pair at 0.5 with 0.27; candidates are then checked on
/// the whole signature.
const BANDS: usize = 20;
const ROWS: usize = 6;
const SIGNATURE: usize = BANDS * ROWS;
/// A band bucket shared by more canonical articles than this is boilerplate, not news: only its
/// most recent members are compared, which keeps the cost linear on degenerate inputs.
const MAX_BUCKET_CANDIDATES: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct DedupParams {
    /// Estimated Jaccard similarity of word shingles at or above which an article is a
    /// near-duplicate.
    pub threshold: f64,
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

fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
    // DefaultHasher::new() has fixed keys: the same text hashes the same in every run.
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// SplitMix64 finaliser: a cheap, well-mixed 64-bit hash of a 64-bit value.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The MinHash family: `h_i(x) = a_i·x + b_i mod 2⁶⁴` with odd `a_i`, one multiply-add per
/// slot, over an already well-mixed `x`.
struct Family {
    a: [u64; SIGNATURE],
    b: [u64; SIGNATURE],
}

fn family() -> &'static Family {
    static FAMILY: std::sync::OnceLock<Family> = std::sync::OnceLock::new();
    FAMILY.get_or_init(|| {
        let mut a = [0u64; SIGNATURE];
        let mut b = [0u64; SIGNATURE];
        for i in 0..SIGNATURE {
            a[i] = mix(2 * i as u64) | 1;
            b[i] = mix(2 * i as u64 + 1);
        }
        Family { a, b }
    })
}

/// Hashes of the words of a text, lower-cased on the fly (no per-word allocation).
fn word_hashes(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut h: u64 = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            for lc in c.to_lowercase() {
                h = (h ^ lc as u64).wrapping_mul(0x0000_0100_0000_01b3); // FNV-1a step
            }
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

struct Fingerprint {
    exact: u64,
    signature: [u64; SIGNATURE],
}

fn fingerprint(text: &str) -> Fingerprint {
    let words = word_hashes(text);
    let exact = words
        .iter()
        .fold(words.len() as u64, |acc, &w| mix(acc ^ w));
    let mut signature = [u64::MAX; SIGNATURE];
    let width = SHINGLE.min(words.len()).max(1);
    let fam = family();
    for shingle in words.windows(width) {
        let h = shingle
            .iter()
            .fold(0u64, |acc, &w| mix(acc.rotate_left(17) ^ w));
        for ((slot, &a), &b) in signature.iter_mut().zip(&fam.a).zip(&fam.b) {
            let v = h.wrapping_mul(a).wrapping_add(b);
            if v < *slot {
                *slot = v;
            }
        }
    }
    Fingerprint { exact, signature }
}

fn similarity(a: &[u64; SIGNATURE], b: &[u64; SIGNATURE]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / SIGNATURE as f64
}

/// Finds the copies among `texts`, in order: each text is compared with the kept texts before
/// it, so the first copy seen is the one kept. Fingerprints are computed in parallel; the
/// matching itself is sequential, so the result does not depend on the number of threads.
pub fn find_duplicates(texts: &[&str], params: &DedupParams) -> Dedup {
    let prints: Vec<Fingerprint> = texts.par_iter().map(|t| fingerprint(t)).collect();
    let mut exact: HashMap<u64, usize> = HashMap::with_capacity(texts.len());
    let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut times_seen = vec![1usize; texts.len()];
    let mut duplicates = Vec::new();
    let mut candidates: Vec<usize> = Vec::new();
    for (i, fp) in prints.iter().enumerate() {
        if let Some(&first) = exact.get(&fp.exact) {
            duplicates.push(Duplicate {
                index: i,
                duplicate_of: first,
                similarity: 1.0,
                exact: true,
            });
            times_seen[first] += 1;
            times_seen[i] = 0;
            continue;
        }
        let band_keys: Vec<u64> = fp
            .signature
            .chunks(ROWS)
            .enumerate()
            .map(|(b, rows)| hash_of(&(b, rows)))
            .collect();
        candidates.clear();
        for key in &band_keys {
            if let Some(members) = buckets.get(key) {
                let recent = members.len().saturating_sub(MAX_BUCKET_CANDIDATES);
                candidates.extend_from_slice(&members[recent..]);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let best = candidates
            .iter()
            .map(|&c| (c, similarity(&fp.signature, &prints[c].signature)))
            .filter(|&(_, s)| s >= params.threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some((first, sim)) = best {
            duplicates.push(Duplicate {
                index: i,
                duplicate_of: first,
                similarity: sim,
                exact: false,
            });
            times_seen[first] += 1;
            times_seen[i] = 0;
            continue;
        }
        exact.insert(fp.exact, i);
        for key in band_keys {
            buckets.entry(key).or_default().push(i);
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

    const STORY: &str = "Russian President Vladimir Putin has sent a message to his Syrian \
        counterpart Ahmad al-Sharaa, the Kremlin announced on Thursday, underscoring its \
        significance in both timing and content against the backdrop of recent developments \
        in the coastal regions and mounting challenges to the leadership of the country.";

    #[test]
    fn exact_copies_ignore_case_and_spacing() {
        let copy = STORY.to_uppercase().replace(' ', "  ");
        let other = "Oil prices rose sharply on Monday after OPEC agreed to cut output.";
        let d = find_duplicates(&[STORY, other, &copy, STORY], &DedupParams::default());
        assert_eq!(d.times_seen, [3, 1, 0, 0]);
        assert_eq!(d.duplicates.len(), 2);
        assert!(d.duplicates.iter().all(|x| x.exact && x.duplicate_of == 0));
    }

    #[test]
    fn near_copies_above_threshold_only() {
        // The last word changed (a correction): one shingle of 48 differs.
        let edited = STORY.replace("country.", "nation.");
        // A quarter of the words changed: well below the threshold.
        let rewritten: String = STORY
            .split(' ')
            .enumerate()
            .map(|(i, w)| if i % 4 == 0 { "changed" } else { w })
            .collect::<Vec<_>>()
            .join(" ");
        let d = find_duplicates(&[STORY, &edited, &rewritten], &DedupParams::default());
        assert_eq!(d.duplicates.len(), 1, "{:?}", d.duplicates);
        let dup = d.duplicates[0];
        assert_eq!((dup.index, dup.duplicate_of, dup.exact), (1, 0, false));
        assert!(
            dup.similarity >= 0.8 && dup.similarity < 1.0,
            "{}",
            dup.similarity
        );
        assert!(!d.is_duplicate(2));
        // A stricter threshold keeps the edited copy.
        let strict = find_duplicates(&[STORY, &edited], &DedupParams { threshold: 0.99 });
        assert!(strict.duplicates.is_empty());
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
