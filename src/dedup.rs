//! Duplicates: wire services and aggregators repeat stories, and one story counted five times
//! would distort every trend. Exact copies (same words after normalising case and spacing) and
//! near-copies (MinHash over word shingles, found by locality-sensitive hashing, so the cost
//! grows with the corpus, not with its square) are set aside; the first copy seen is kept.

use rustc_hash::FxHashMap;

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

/// Hashes of the words of a text, lower-cased on the fly (no per-word allocation). Bytes
/// below 128 are taken as they are, the rest decoded as characters: news is mostly ASCII,
/// and decoding every character would cost a third of the fingerprinting.
fn word_hashes(text: &str) -> Vec<u64> {
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
            let alnum = c.is_alphanumeric();
            if alnum {
                h = c.to_lowercase().fold(h, |h, lc| step(h, lc as u64));
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

struct Fingerprint {
    exact: u64,
    signature: [u32; SIGNATURE],
    /// The signature's band keys, computed with it in parallel: the matching that uses
    /// them is sequential.
    bands: [u64; BANDS],
}

/// One-permutation MinHash (Li, Owen and Zhang 2012) with optimal densification (Shrivastava
/// 2017): each shingle hash falls in one of the `SIGNATURE` bins and only lowers that bin's
/// minimum, one update per shingle instead of one per slot, with the same estimate of the
/// Jaccard similarity. A bin no shingle fell in borrows the value of a bin picked by a fixed
/// hash sequence, so two texts with the same non-empty bins fill their empty ones alike.
/// Values keep 32 bits: bins rarely agree by chance (2⁻³²) and signatures take half the room.
fn fingerprint(text: &str) -> Fingerprint {
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
        exact,
        signature,
        bands,
    }
}

fn similarity(a: &[u32; SIGNATURE], b: &[u32; SIGNATURE]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / SIGNATURE as f64
}

/// Finds the copies among `texts`, in order: each text is compared with the kept texts before
/// it, so the first copy seen is the one kept. Fingerprints are computed in parallel; the
/// matching itself is sequential, so the result does not depend on the number of threads.
pub fn find_duplicates(texts: &[&str], params: &DedupParams) -> Dedup {
    let prints: Vec<Fingerprint> = texts.par_iter().map(|t| fingerprint(t)).collect();
    // Sized for every article up front: growing the maps would rehash them, in this
    // sequential part, several times over (holding old and new tables at once).
    let mut exact: FxHashMap<u64, u32> =
        FxHashMap::with_capacity_and_hasher(texts.len(), Default::default());
    // Band buckets as chains: `latest[key]` is the last kept article in the bucket, and
    // `previous[i * BANDS + b]` the one kept before article `i` in its band-`b` bucket. At a
    // million articles this takes a tenth of the room of a vector per bucket.
    let mut latest: FxHashMap<u64, u32> =
        FxHashMap::with_capacity_and_hasher(texts.len() * BANDS, Default::default());
    let mut previous: Vec<u32> = vec![NONE; texts.len() * BANDS];
    let mut times_seen = vec![1usize; texts.len()];
    let mut duplicates = Vec::new();
    let mut candidates: Vec<u32> = Vec::new();
    for (i, fp) in prints.iter().enumerate() {
        if let Some(&first) = exact.get(&fp.exact) {
            duplicates.push(Duplicate {
                index: i,
                duplicate_of: first as usize,
                similarity: 1.0,
                exact: true,
            });
            times_seen[first as usize] += 1;
            times_seen[i] = 0;
            continue;
        }
        candidates.clear();
        for (b, key) in fp.bands.iter().enumerate() {
            let mut member = latest.get(key).copied().unwrap_or(NONE);
            for _ in 0..MAX_BUCKET_CANDIDATES {
                if member == NONE {
                    break;
                }
                candidates.push(member);
                member = previous[member as usize * BANDS + b];
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let best = candidates
            .iter()
            .map(|&c| {
                (
                    c as usize,
                    similarity(&fp.signature, &prints[c as usize].signature),
                )
            })
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
        exact.insert(fp.exact, i as u32);
        for (b, &key) in fp.bands.iter().enumerate() {
            if let Some(before) = latest.insert(key, i as u32) {
                previous[i * BANDS + b] = before;
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
    fn short_texts_compare_whole() {
        let d = find_duplicates(
            &["Gaza famine", "gaza  FAMINE", "Gaza"],
            &DedupParams::default(),
        );
        assert_eq!(d.times_seen, [2, 0, 1]);
    }
}
