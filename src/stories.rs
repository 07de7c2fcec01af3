//! Stories: the events under the themes. A theme is a beat ("crude oil"); a story is what
//! happened in it ("Iranian missiles at Hormuz"): articles close in content *and* in time.
//!
//! Found by single-pass clustering, the classic method of topic detection and tracking
//! (Allan et al., 1998): articles are read in date order, and each joins the open story whose
//! centroid is nearest in TF-IDF space, when its cosine similarity reaches
//! [`StoryParams::threshold`], or starts a story of its own. A story closes when it has had
//! no article for [`StoryParams::window_days`]. TF-IDF words rather than the LSA's directions
//! or two-word phrases: an event is told by its names and places ("Zeebrugge", "Piedmont"),
//! which a hundred directions fitted to the beats blur together, and two reports of it share
//! its words far more often than its phrases.
//!
//! Stories are not confined to a theme: an event often crosses beats (Ecuador's earthquake
//! in oil and in debt; a takeover in acquisitions and in share prices). Confined, the labelled
//! events of `bench/stories/` scored BCubed F1 0.67 against 0.77. A story is listed under the
//! theme most of its articles are in. The pass is sequential and its sums run in reading
//! order, so the stories are the same whatever the thread count, and every clustered article
//! is in exactly one story.

use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::corpus::{day_number, from_day_number, Article};
use crate::error::{Error, Result};
use crate::prefetch;
use crate::text::{snippet, Doc, TokenCache};
use crate::themes::{self, Texts};

/// An article is compared by its this many heaviest terms (renormalised): the names and
/// places that tell an event; the rest only adds cost.
const QUERY_TERMS: usize = 60;

/// How many of the stories that last used a term an article meets through it. On the
/// labelled events 32 gives F1 0.790 against 0.788 reading every open story (64: 0.787, 16:
/// 0.781); on a feed of 2,800 articles a day it keeps the pass near linear in the articles.
const SCAN_DEPTH: usize = 32;
/// Articles read per story for its name and terms, evenly spread.
const NAMING_SAMPLE: usize = 200;
/// Articles read for how common each candidate term is in the corpus.
const DF_SAMPLE: usize = 50_000;
/// Top terms kept per story.
const STORY_TERMS: usize = 6;
/// Longest name, in words.
const NAME_MAX_WORDS: usize = 4;
/// A phrase scoring at least this share of a listed word it contains replaces it.
const SUPERSEDE: f64 = 0.75;
/// Stories of at least this many articles are named from their words; a smaller one by its
/// most central headline (two reports of one event say it in their headlines, and naming
/// them was half the cost of finding stories).
const NAMED_FROM: usize = 3;
/// A name drawn from a headline is cut to this many characters.
const HEADLINE_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq)]
pub struct StoryParams {
    /// Cosine similarity of an article's TF-IDF terms to a story's centroid at or above which
    /// it joins the story.
    pub threshold: f64,
    /// Days without an article after which a story is closed: a later article on the same
    /// subject starts a new one.
    pub window_days: u32,
    /// A story that starts within this many days of an earlier one's last article is joined
    /// to it when their centroids, weighed by rarity, are [`StoryParams::rejoin_threshold`]
    /// alike: a takeover fight or a strike goes quiet for weeks and comes back under the same
    /// names (0: never).
    pub rejoin_days: u32,
    pub rejoin_threshold: f64,
    /// Days from a story's first article after which it grows harder to join: its threshold
    /// rises by [`AGE_GAIN`] of itself for every `age_days` more. The coverage of a beat
    /// (coffee after the quota talks failed, results notices) runs on day after day and
    /// would otherwise keep one story open for months; an event's long fight goes on
    /// through the rejoining, by its names (0: never).
    pub age_days: u32,
}

/// How much of itself a story's threshold rises by for every [`StoryParams::age_days`] past
/// the first.
const AGE_GAIN: f64 = 0.5;

impl Default for StoryParams {
    fn default() -> Self {
        StoryParams {
            threshold: 0.18,
            window_days: 7,
            rejoin_days: 45,
            rejoin_threshold: 0.4,
            age_days: 10,
        }
    }
}

/// Longest window: beyond a year a "story" is a theme.
pub const MAX_WINDOW_DAYS: u32 = 366;

impl StoryParams {
    /// Refuses a setting out of range, by the name the user gave it.
    pub fn check(&self) -> Result<()> {
        let cosine = |name: &str, v: f64| {
            if v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(Error::Settings(format!(
                    "`{name}` must be above 0 and at most 1 (a cosine similarity); got {v}"
                )))
            }
        };
        let days = |name: &str, v: u32| {
            if v <= MAX_WINDOW_DAYS {
                Ok(())
            } else {
                Err(Error::Settings(format!(
                    "`{name}` must be at most {MAX_WINDOW_DAYS} days; got {v}"
                )))
            }
        };
        cosine("story_threshold", self.threshold)?;
        days("story_window", self.window_days)?;
        cosine("rejoin_threshold", self.rejoin_threshold)?;
        days("story_rejoin", self.rejoin_days)?;
        days("story_age", self.age_days)
    }

    /// The cosine an article needs to join a story whose first article is `age` days before
    /// it.
    fn threshold_at(&self, age: i64) -> f64 {
        if self.age_days == 0 {
            return self.threshold;
        }
        let past = (age as f64 / f64::from(self.age_days) - 1.0).max(0.0);
        self.threshold * (1.0 + AGE_GAIN * past)
    }
}

/// One story: an event or developing story.
#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    /// A story carried on from a saved model keeps its id; new ones are numbered on from the
    /// model's next id (from 0 without one) in order of their first article.
    pub id: usize,
    /// The theme (its position in the [`themes::ThemeSet`]) most of its articles are in.
    pub theme: usize,
    pub name: String,
    /// Distinctive terms, as written (none for a single report).
    pub top_terms: Vec<String>,
    /// Clustered articles, in the order they were read (date, then input order).
    pub members: Vec<usize>,
    /// The member nearest the story's centroid: its most typical report.
    pub central: usize,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    /// Copies set aside by de-duplication that repeat one of its articles.
    pub copies: usize,
    /// Distinct sources among its articles and their copies: the input's `source` field, else
    /// the file.
    pub sources: usize,
    /// Whether it goes on from a story a saved model carried (same id), and when that story
    /// was first reported.
    pub continued: Option<NaiveDate>,
    /// Articles earlier runs gave it (0 for a new story).
    pub before: usize,
}

impl Story {
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// More than one report: a story to chart and list (a single report, however often
    /// copied, stays in the tables only).
    pub fn is_multi(&self) -> bool {
        self.members.len() > 1
    }
}

/// Every clustered article's story.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stories {
    /// In order of their first article; ids ascending for the new ones.
    pub stories: Vec<Story>,
    /// Per clustered article, the id of its story.
    pub assignments: Vec<usize>,
    /// The stories still open when the input ends, for a saved model to carry on.
    pub threads: Threads,
}

/// What stories are found from: each article's TF-IDF terms at unit length and its day (days
/// since 1970-01-01; `None` when undated). Not its theme: stories cross themes, and are
/// listed under one only once found ([`Stories::build`]), so they can be found while the
/// themes are named.
pub struct StoryInput<'a, R> {
    pub rows: R,
    /// Per term (column of the rows), the articles whose row has it: the caller holds the
    /// counts or the vocabulary they come from (`vectorize::WordsWith::df`, `fitted_df`), at
    /// less cost than reading every row once more.
    pub df: &'a [u32],
    pub days: &'a [Option<i32>],
    /// Each article's share of its TF-IDF length on vocabulary terms: the rest is words too
    /// rare to be kept, its own, which no other article matches. Without it, on a small
    /// corpus whose vocabulary keeps only shared words, every article would look like every
    /// other.
    pub coverage: &'a [f64],
    /// Stories a saved model carries from its last run.
    pub carried: &'a Threads,
}

/// The stories' members found, before naming: per story, its members in reading order and
/// most central member.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    pub groups: Vec<Group>,
    /// Each group's story id: a carried story's own, new ones numbered on from the carried
    /// `next_id` in order of their first article.
    pub ids: Vec<u64>,
    /// The carried stories with no article this time but still open.
    pub idle: Vec<Thread>,
    pub next_id: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub members: Vec<usize>,
    pub central: usize,
    /// The carried story it continues, as the model carried it.
    pub continues: Option<Thread>,
    /// Its state when still open at the end of the input.
    pub state: Option<ThreadState>,
}

/// An article's heaviest terms at unit length.
fn query(row: impl Iterator<Item = (u32, f32)>) -> Vec<(u32, f32)> {
    let mut terms: Vec<(u32, f32)> = row.filter(|t| t.1 > 0.0).collect();
    keep_heaviest(&mut terms, QUERY_TERMS);
    let norm = terms
        .iter()
        .map(|t| f64::from(t.1) * f64::from(t.1))
        .sum::<f64>()
        .sqrt();
    if norm > 0.0 {
        terms
            .iter_mut()
            .for_each(|t| t.1 = (f64::from(t.1) / norm) as f32);
    }
    terms
}

/// A term's weight, never negative: such floats order as their bits do, so a term's place in
/// [`keep_heaviest`] is one integer key (weight descending, then term), not two float
/// comparisons, in a selection made for every article of the pass.
trait Weight: Copy + Into<f64> {
    type Key: Ord + Copy;
    fn key(self, term: u32) -> Self::Key;
}

impl Weight for f32 {
    type Key = u64;
    fn key(self, term: u32) -> u64 {
        (u64::from(!self.to_bits()) << 32) | u64::from(term)
    }
}

impl Weight for f64 {
    type Key = u128;
    fn key(self, term: u32) -> u128 {
        (u128::from(!self.to_bits()) << 32) | u128::from(term)
    }
}

/// Keeps the `k` heaviest of `terms` (of equal weights, the lower term), by term. Rows come
/// sorted by term, so `k` or fewer in order are left as they are, and of more, the heaviest
/// term left out is found among the keys alone and it and the lighter ones dropped in place,
/// the rest staying in order: selecting among the terms themselves shuffles them, and they
/// were sorted back by term for every article of the pass. (That needs each term once, so
/// that keys are distinct: terms out of order or repeated are selected and sorted.)
fn keep_heaviest<W: Weight>(terms: &mut Vec<(u32, W)>, k: usize) {
    debug_assert!(terms.iter().all(|t| t.1.into().is_sign_positive()));
    if terms.len() > k && terms.windows(2).all(|w| w[0].0 < w[1].0) {
        let mut keys: Vec<W::Key> = terms.iter().map(|t| t.1.key(t.0)).collect();
        let (_, &mut bar, _) = keys.select_nth_unstable(k);
        terms.retain(|t| t.1.key(t.0) < bar);
    } else if terms.len() > k {
        terms.select_nth_unstable_by_key(k, |t| t.1.key(t.0));
        terms.truncate(k);
        terms.sort_unstable_by_key(|t| t.0);
    } else if !terms.is_sorted_by_key(|t| t.0) {
        terms.sort_unstable_by_key(|t| t.0);
    }
}

/// How rare a term used by `df` of `n` articles is: the log of the inverse of its share.
fn log_rarity(df: f64, n: f64) -> f64 {
    ((n + 1.0) / (df + 1.0)).ln()
}

/// A term's weight for stories, on top of its IDF: words that many reports use are a beat's
/// vocabulary ("shr", "qtr", "net" in earnings), not an event's, and would chain every report
/// of the beat into one story. A term is weighed down by the log of its share of the
/// articles, to [`BEAT_FLOOR`] for one in all of them: in effect a steeper IDF.
struct BeatWeight {
    /// Per term, its factor: worked out once, not once per article using it (a logarithm
    /// each, a hundred an article).
    factors: Vec<f32>,
    /// The factor of a term no article uses.
    unused: f32,
}

/// Terms in more than this share of the articles are left out: they tell no event from
/// another, and their long lists were most of the cost (the labelled events' F1 the same, 0.788,
/// with them and without; at 0.05, 0.780).
const MAX_SHARE: f64 = 0.1;
/// ... and in more articles than this: in a small input every word is in a tenth of it.
const MAX_SHARE_FROM: f64 = 50.0;
/// The weight left to a term used by every article. 0.3 gave the best F1 on the labelled
/// events (0.77; 0.75 at 0, 0.76 at 0.15).
const BEAT_FLOOR: f32 = 0.3;

impl BeatWeight {
    /// From each term's count of articles (`df`) among `n`.
    fn new(df: &[u32], n: usize) -> BeatWeight {
        let n = n as f64;
        let of = |df: u32| {
            let df = f64::from(df);
            if df > MAX_SHARE * n && df > MAX_SHARE_FROM {
                return 0.0;
            }
            let idf = log_rarity(df, n) / (n + 1.0).ln().max(f64::MIN_POSITIVE);
            BEAT_FLOOR + (1.0 - BEAT_FLOOR) * idf as f32
        };
        BeatWeight {
            factors: df.par_iter().map(|&d| of(d)).collect(),
            unused: of(0),
        }
    }

    fn factor(&self, term: u32) -> f32 {
        self.factors
            .get(term as usize)
            .copied()
            .unwrap_or(self.unused)
    }
}

/// The open stories' centroids (sums of their members' vectors) as postings: each term lists
/// the stories using it once, with the summed weight beside the story (the scan reads it
/// without a jump elsewhere in memory), so a story of many reports costs a lookup no more
/// than one of a single report. A list is kept in the order its stories last used the term,
/// and only its last `depth` are read ([`SCAN_DEPTH`] in the pass): on a dense feed every
/// common word is in thousands of open stories, and reading them all made the pass grow with
/// the square of the articles a day.
struct Centroids {
    /// Local term (see [`Locals`]) → (story, its summed weight of the term).
    postings: Vec<Vec<(u32, f32)>>,
    depth: usize,
}

impl Centroids {
    fn new(terms: usize, depth: usize) -> Centroids {
        Centroids {
            postings: vec![Vec::new(); terms],
            depth,
        }
    }

    /// The postings of term `t` that are read: the stories that last used it.
    fn recent(&self, t: u32) -> &[(u32, f32)] {
        let list = &self.postings[t as usize];
        &list[list.len().saturating_sub(self.depth)..]
    }

    /// Adds an article's vector `v` (local terms) to story `s`.
    fn add(&mut self, s: u32, v: &[(u32, f32)], new: bool) {
        for &(t, w) in v {
            let list = &mut self.postings[t as usize];
            // A story's first vector (its terms each once) is in no list yet: no search.
            let at = if new {
                None
            } else {
                list.iter().rposition(|e| e.0 == s)
            };
            match at {
                Some(i) => {
                    let mut e = list.remove(i);
                    e.1 += w;
                    list.push(e);
                }
                None => list.push((s, w)),
            }
            if list.len() > 2 * self.depth {
                list.drain(..list.len() - self.depth);
            }
        }
    }
}

/// Dense numbers for the terms the pass meets, so its postings are a list by term rather
/// than a hash map looked up twice per term of every article.
struct Locals {
    /// Term → local number + 1 (0: not met).
    of: Vec<u32>,
    term: Vec<u32>,
}

impl Locals {
    fn new(terms: impl Iterator<Item = u32>) -> Locals {
        let mut term: Vec<u32> = terms.collect();
        term.sort_unstable();
        term.dedup();
        let mut of = vec![0; term.last().map_or(0, |&t| t as usize + 1)];
        for (l, &t) in term.iter().enumerate() {
            of[t as usize] = l as u32 + 1;
        }
        Locals { of, term }
    }

    fn map(&self, v: &[(u32, f32)]) -> Vec<(u32, f32)> {
        v.iter()
            .filter_map(|&(t, w)| match self.of.get(t as usize) {
                Some(&l) if l > 0 => Some((l - 1, w)),
                _ => None,
            })
            .collect()
    }
}

/// A story being built: its members (the norm of its summed vectors is kept apart, beside
/// every other story's, where the scan reads it).
struct Open {
    members: Vec<usize>,
    /// The day of its first article ([`UNDATED_ARTICLE`]: a story of undated articles, which
    /// are read after every dated one).
    first: i64,
}

/// Days as the scan compares them: an undated article reads every story as open, and so
/// does every article a story of undated articles only (`d - l` far below any window).
const UNDATED_ARTICLE: i64 = -(1 << 40);
const UNDATED_STORY: i64 = 1 << 40;

fn article_day(day: Option<i32>) -> i64 {
    day.map_or(UNDATED_ARTICLE, i64::from)
}

fn story_day(last: i64) -> Option<i32> {
    (last != UNDATED_STORY).then_some(last as i32)
}

/// Articles whose vectors are made at a time while the block before them is read (and
/// stories whose centroids the rejoining makes at a time): enough to keep the other core busy
/// between blocks, few enough that the first block's wait is short.
const PASS_BLOCK: usize = 8192;

/// The pass's state: the stories being built and their postings.
struct Scan<'p> {
    p: &'p StoryParams,
    stories: Vec<Open>,
    centroids: Centroids,
    /// Per story, its dot product with the article being read, beside its last day: the
    /// scan reads both for every posting, in one place.
    scores: Vec<(i64, f64)>,
    /// The stories met by the article being read (the first `met`), at most one per posting
    /// read.
    touched: Vec<u32>,
    met: usize,
    /// Per story, |Σ member vectors|².
    norms: Vec<f64>,
}

impl Scan<'_> {
    /// Asks for what reading `now` and then `next` will wait on: the postings of `now`'s
    /// terms, and where `next`'s lists are. Each is somewhere in tables of hundreds of
    /// thousands of terms and stories; asked for together, the cache misses overlap instead of
    /// coming one after another (the scan at a million articles: 5.6 s -> 4.6 s).
    fn ask_ahead(&self, now: &[(u32, f32)], next: Option<&Vec<(u32, f32)>>) {
        for &(t, _) in now {
            let read = self.centroids.recent(t);
            read.iter()
                .step_by(8)
                .chain(read.last())
                .for_each(|p| prefetch(p));
        }
        for &(t, _) in next.into_iter().flatten() {
            prefetch(&self.centroids.postings[t as usize]);
        }
    }

    /// Reads the article at reading position `q`, of day `day` and vector `v`: it joins the
    /// nearest open story or starts one.
    fn read(&mut self, q: usize, day: i64, v: &[(u32, f32)]) {
        let Scan {
            p,
            stories,
            centroids,
            scores,
            touched,
            met,
            norms,
        } = self;
        let window = i64::from(p.window_days);
        for &(t, w) in v {
            let list = &mut centroids.postings[t as usize];
            // A story closed for this article is closed for every later one (they come in
            // date order): its postings go, in the same pass.
            // Without branches: which stories are open or met before is no pattern the
            // processor could predict, and a mispredicted branch per posting cost more than
            // the posting's own work.
            let from = list.len().saturating_sub(centroids.depth);
            let mut kept = from;
            for i in from..list.len() {
                let (s, sum) = list[i];
                let at = &mut scores[s as usize];
                let open = day - at.0 <= window;
                list[kept] = (s, sum);
                kept += usize::from(open);
                touched[*met] = s;
                *met += usize::from(open && at.1 == 0.0);
                at.1 += if open {
                    f64::from(w) * f64::from(sum)
                } else {
                    0.0
                };
            }
            list.truncate(kept);
        }
        // The nearest open story; of equally near ones, the first made.
        let mut best: Option<(usize, f64)> = None;
        for &s in &touched[..*met] {
            let s = s as usize;
            // A story's |Σ|² is 1 or more (each member adds its own remainder, 1), so its
            // cosine is at most its dot product: most stories met fall short on that alone,
            // without a square root and a division.
            if scores[s].1 < p.threshold {
                continue;
            }
            let cos = scores[s].1 / norms[s].sqrt().max(f64::MIN_POSITIVE);
            let first = stories[s].first;
            let age = if day == UNDATED_ARTICLE || first == UNDATED_ARTICLE {
                0
            } else {
                day - first
            };
            if cos >= p.threshold_at(age)
                && best.is_none_or(|(b, c)| cos > c || (cos == c && s < b))
            {
                best = Some((s, cos));
            }
        }
        let s = match best {
            Some((s, _)) => {
                norms[s] += 2.0 * scores[s].1 + 1.0;
                stories[s].members.push(q);
                if day != UNDATED_ARTICLE {
                    let last = &mut scores[s].0;
                    *last = if *last == UNDATED_STORY {
                        day
                    } else {
                        (*last).max(day)
                    };
                }
                s
            }
            None => {
                stories.push(Open {
                    members: vec![q],
                    first: day,
                });
                norms.push(1.0);
                scores.push((
                    if day == UNDATED_ARTICLE {
                        UNDATED_STORY
                    } else {
                        day
                    },
                    0.0,
                ));
                stories.len() - 1
            }
        };
        for &s in &touched[..*met] {
            scores[s as usize].1 = 0.0;
        }
        *met = 0;
        centroids.add(s as u32, v, best.is_none());
    }
}

/// Single-pass clustering of every article (read by day, then index).
fn single_pass<R>(
    p: &StoryParams,
    rows: &R,
    df: &[u32],
    days: &[Option<i32>],
    coverage: &[f64],
    carried: &[Thread],
    block_size: usize,
) -> Pass
where
    R: Fn(usize) -> Vec<(u32, f32)> + Sync,
{
    let mut order: Vec<usize> = (0..days.len()).collect();
    order.sort_by_key(|&i| (days[i].unwrap_or(i32::MAX), i));
    let beat = BeatWeight::new(df, days.len());
    let locals = Locals::new(
        (0..df.len() as u32)
            .filter(|&t| df[t as usize] > 0)
            .chain(carried.iter().flat_map(|t| t.centroid.iter().map(|c| c.0))),
    );
    // Each vector's length is the article's coverage; its remainder, in directions no other
    // article shares, still counts in a story's length (the `+ 1.0` in [`Scan::read`]).
    let vector = |a: usize| {
        let c = coverage.get(a).copied().unwrap_or(1.0) as f32;
        let mut v = query(rows(a).into_iter().map(|(t, w)| (t, w * beat.factor(t))));
        v.iter_mut().for_each(|t| t.1 *= c);
        locals.map(&v)
    };
    let block = |from: usize| -> Vec<Vec<(u32, f32)>> {
        order[from..(from + block_size.max(1)).min(order.len())]
            .par_iter()
            .map(|&a| vector(a))
            .collect()
    };
    let mut scan = Scan {
        p,
        stories: Vec::new(),
        centroids: Centroids::new(locals.term.len(), SCAN_DEPTH),
        scores: Vec::new(),
        touched: vec![0; QUERY_TERMS * SCAN_DEPTH + 1],
        met: 0,
        norms: Vec::new(),
    };
    // The stories a saved model carries come first, open as they were left.
    for (s, t) in carried.iter().enumerate() {
        scan.stories.push(Open {
            members: Vec::new(),
            first: i64::from(t.first_day),
        });
        scan.norms.push(t.norm_sq);
        scan.scores.push((i64::from(t.last_day), 0.0));
        scan.centroids.add(s as u32, &locals.map(&t.centroid), true);
    }
    // The scan is sequential: while it reads one block, the next block's vectors are made
    // on the other core, where making them all first left that core idle during the scan.
    let mut vectors: Vec<Vec<(u32, f32)>> = Vec::with_capacity(order.len());
    let mut next = block(0);
    while !next.is_empty() {
        let from = vectors.len();
        let to = from + next.len();
        let ((), more) = rayon::join(
            || {
                for (i, (q, v)) in (from..to).zip(&next).enumerate() {
                    scan.ask_ahead(v, next.get(i + 1));
                    scan.read(q, article_day(days[order[q]]), v);
                }
            },
            || block(to),
        );
        vectors.append(&mut next);
        next = more;
    }
    let Scan {
        stories,
        centroids,
        scores,
        norms,
        ..
    } = scan;
    let (mut members, firsts): (Vec<Vec<usize>>, Vec<i64>) =
        stories.into_iter().map(|s| (s.members, s.first)).unzip();
    let roots = if p.rejoin_days == 0 {
        (0..members.len()).collect()
    } else {
        let n_articles = days.len() as f64;
        let rarity: Vec<f32> = locals
            .term
            .iter()
            .map(|&t| {
                let df = f64::from(df.get(t as usize).copied().unwrap_or(0));
                log_rarity(df, n_articles).powi(2) as f32
            })
            .collect();
        let carried_sums: Vec<(Vec<(u32, f32)>, u64)> = carried
            .iter()
            .map(|t| (locals.map(&t.centroid), t.articles))
            .collect();
        let found = Found {
            members: &members,
            first: &firsts,
            scores: &scores,
            vectors: &vectors,
            carried: &carried_sums,
        };
        rejoin(p, found, &rarity, block_size)
    };
    let window = i64::from(p.window_days);
    // What stays open after the last day read: a dated story heard of within the window.
    let end = order.iter().filter_map(|&a| days[a]).max();
    let open_at_end = |s: usize| {
        let last = scores[s].0;
        end.is_some_and(|e| last != UNDATED_STORY && i64::from(e) - last <= window)
    };
    // A rejoined story gathers its parts' members, in reading order; what a model carries of
    // it is its part open at the end (the latest heard of), as that part's own centroid.
    let mut open_part: Vec<Option<usize>> = (0..members.len())
        .map(|s| open_at_end(s).then_some(s))
        .collect();
    for s in 0..members.len() {
        let r = roots[s];
        if r != s {
            let moved = std::mem::take(&mut members[s]);
            members[r].extend(moved);
            if open_at_end(s) && open_part[r].is_none_or(|o| (scores[s].0, s) > (scores[o].0, o)) {
                open_part[r] = Some(s);
            }
        }
    }
    for s in 0..members.len() {
        if roots[s] == s && members[s].windows(2).any(|w| w[0] > w[1]) {
            members[s].sort_unstable();
        }
    }
    let mut sums: FxHashMap<u32, Vec<(u32, f32)>> = FxHashMap::default();
    for (l, list) in centroids.postings.iter().enumerate() {
        for &(s, sum) in list {
            if open_at_end(s as usize) {
                sums.entry(s).or_default().push((locals.term[l], sum));
            }
        }
    }
    // Found on both cores: summing every story's vectors, one story after another, took a
    // million articles' pass half a second on one. (0 for a story not listed.)
    let central: Vec<usize> = members
        .par_iter()
        .enumerate()
        .map(|(s, story)| {
            if roots[s] == s && !story.is_empty() {
                most_central(story, |q| &vectors[q])
            } else {
                0
            }
        })
        .collect();
    let mut idle = Vec::new();
    let mut groups = Vec::new();
    for (s, story) in members.into_iter().enumerate() {
        if roots[s] != s {
            continue;
        }
        let state = open_part[s].map(|o| ThreadState {
            centroid: thread_centroid(sums.remove(&(o as u32)).unwrap_or_default()),
            norm_sq: norms[o],
            last_day: story_day(scores[o].0).unwrap_or_default(),
        });
        let carried_from = (s < carried.len()).then_some(s);
        if story.is_empty() {
            if let (Some(c), Some(_)) = (carried_from, state) {
                idle.push(c);
            }
            continue;
        }
        let central = order[central[s]];
        groups.push(Group {
            members: story.into_iter().map(|q| order[q]).collect(),
            central,
            continues: carried_from.map(|c| carried[c].clone()),
            state,
        });
    }
    Pass { groups, idle }
}

/// Terms of a story's centroid the rejoining compares (its heaviest, weighed by rarity), and
/// how many of the stories that last used a term a story meets through it. The labelled
/// events score the same with 20-60 terms and 4-64 stories a term (F1 0.809-0.812); on a
/// million articles (20% near-copies) rejoining took the pass 1.5 s more with 30 terms and 8
/// stories a term, 0.8 s with these.
const REJOIN_TERMS: usize = 20;
const REJOIN_DEPTH: usize = 4;

/// What the pass found, as the rejoining reads it.
struct Found<'a> {
    /// Per story, its members by reading position.
    members: &'a [Vec<usize>],
    /// Per story, the day of its first article (a carried story's from its model).
    first: &'a [i64],
    /// Per story, its last day (and the scan's scratch).
    scores: &'a [(i64, f64)],
    /// Per reading position, the article's vector.
    vectors: &'a [Vec<(u32, f32)>],
    /// The stories a saved model carried (the first ones): the sums of their earlier
    /// articles' vectors, and how many articles they had.
    carried: &'a [(Vec<(u32, f32)>, u64)],
}

/// Stories found by the pass, by reading position, joined to earlier ones they go
/// on from: after a silence longer than the window, or where the pass split an event its
/// articles' words could not hold together one by one. Each story, in order of its first
/// article, joins the earlier story most like it whose last article is at most
/// [`StoryParams::rejoin_days`] before its first, when their centroids' cosine reaches
/// [`StoryParams::rejoin_threshold`]. The centroids weigh each term by its squared IDF
/// (`rarity`), so what rejoins two stories is the names and places they share, not a beat's
/// routine: with plain weights the results and dividends notices of seven weeks chained into
/// one. A single report joins a story of several, not another single report: the pass has
/// already weighed it against those it could join, and on a large input most stories are
/// single reports, so comparing them pairwise cost more than the rest of the rejoining (the
/// labelled events score the same). A story a model carries, summed with its earlier
/// articles, is one to join (never one that joins), so what went quiet at the end of last
/// week can go on under its id. Returns each story's root: the first story of the ones
/// joined. Called only with [`StoryParams::rejoin_days`] above 0.
fn rejoin(p: &StoryParams, found: Found, rarity: &[f32], block_size: usize) -> Vec<usize> {
    let Found {
        members,
        first,
        scores,
        vectors,
        carried,
    } = found;
    let n_carried = carried.len();
    let n = members.len();
    let mut root: Vec<usize> = (0..n).collect();
    let horizon = i64::from(p.rejoin_days);
    // Per story, its last day and whether it has more than one article: read together for
    // every posting.
    let heard: Vec<(i64, bool)> = (0..n)
        .map(|r| {
            let before = carried.get(r).map_or(0, |c| c.1);
            (scores[r].0, members[r].len() as u64 + before > 1)
        })
        .collect();
    // A carried story is always dated; it is a story to join, never one that joins.
    let dated = |s: usize| first[s] != UNDATED_ARTICLE;
    let centroid = |s: usize| -> Vec<(u32, f32)> {
        let mut sum: Vec<(u32, f64)> = match (members[s].as_slice(), carried.get(s)) {
            ([], None) => Vec::new(),
            ([q], None) => vectors[*q]
                .iter()
                .map(|&(t, w)| (t, f64::from(w)))
                .collect(),
            (more, before) => summed(
                before
                    .map(|c| c.0.as_slice())
                    .into_iter()
                    .chain(more.iter().map(|&q| vectors[q].as_slice())),
            )
            .into_iter()
            .collect(),
        };
        sum.iter_mut()
            .for_each(|t| t.1 *= f64::from(rarity[t.0 as usize]));
        sum.retain(|t| t.1 > 0.0);
        keep_heaviest(&mut sum, REJOIN_TERMS);
        let norm = sum.iter().map(|t| t.1 * t.1).sum::<f64>().sqrt();
        sum.iter().map(|&(t, w)| (t, (w / norm) as f32)).collect()
    };
    let mut postings = Centroids::new(rarity.len(), REJOIN_DEPTH);
    let mut dot = vec![0.0f64; n];
    let mut met: Vec<usize> = Vec::new();
    let made = |from: usize| -> Vec<Vec<(u32, f32)>> {
        (from..(from + block_size.max(1)).min(n))
            .into_par_iter()
            .map(|s| if dated(s) { centroid(s) } else { Vec::new() })
            .collect()
    };
    // The joining is sequential; the next block's centroids are made on the other core
    // meanwhile.
    let mut next = made(0);
    let mut from = 0;
    while !next.is_empty() {
        let to = from + next.len();
        let ((), more) = rayon::join(
            || {
                for (s, c) in (from..to).zip(&next) {
                    let day = first[s];
                    let several = heard[s].1;
                    if s >= n_carried {
                        for &(t, w) in c {
                            for &(r, wr) in postings.recent(t) {
                                let r = r as usize;
                                let (last, multi) = heard[r];
                                if last == UNDATED_STORY
                                    || day - last > horizon
                                    || !(multi || several)
                                {
                                    continue;
                                }
                                if dot[r] == 0.0 {
                                    met.push(r);
                                }
                                dot[r] += f64::from(w) * f64::from(wr);
                            }
                        }
                        // The most alike; of equally alike, the first made.
                        let mut best: Option<(usize, f64)> = None;
                        for &r in &met {
                            if dot[r] >= p.rejoin_threshold
                                && best.is_none_or(|(b, d)| dot[r] > d || (dot[r] == d && r < b))
                            {
                                best = Some((r, dot[r]));
                            }
                            dot[r] = 0.0;
                        }
                        met.clear();
                        if let Some((r, _)) = best {
                            root[s] = root[r];
                        }
                    }
                    postings.add(s as u32, c, true);
                }
            },
            || made(to),
        );
        from = to;
        next = more;
    }
    root
}

/// A story's centroid as a model keeps it: its [`THREAD_TERMS`] heaviest terms, by column.
fn thread_centroid(mut terms: Vec<(u32, f32)>) -> Vec<(u32, f32)> {
    keep_heaviest(&mut terms, THREAD_TERMS);
    terms
}

/// Terms a saved model keeps of an open story's centroid.
const THREAD_TERMS: usize = 200;

/// What a single pass found: the stories with articles, and the carried stories that had
/// none but are still open (by their place in the carried list).
struct Pass {
    groups: Vec<Group>,
    idle: Vec<usize>,
}

/// The state of a story still open when the input ends, for a model to carry it on.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadState {
    pub centroid: Vec<(u32, f32)>,
    pub norm_sq: f64,
    pub last_day: i32,
}

/// A story a saved model carries from one run to the next, so a story that goes on into the
/// next week keeps its id: its centroid (over the model's vocabulary), when it was first and
/// last reported (days since 1970-01-01) and how many articles it has had.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Thread {
    pub id: u64,
    pub name: String,
    /// (vocabulary column, weight), columns ascending.
    pub centroid: Vec<(u32, f32)>,
    pub norm_sq: f64,
    pub first_day: i32,
    pub last_day: i32,
    pub articles: u64,
}

/// The open stories a model carries, and the id the next new story gets.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Threads {
    pub next_id: u64,
    pub open: Vec<Thread>,
}

/// The sum of `vectors`, by term, each term's weights added in the order given.
fn summed<'v>(vectors: impl IntoIterator<Item = &'v [(u32, f32)]>) -> FxHashMap<u32, f64> {
    let mut sum: FxHashMap<u32, f64> = FxHashMap::default();
    for v in vectors {
        for &(t, w) in v {
            *sum.entry(t).or_default() += f64::from(w);
        }
    }
    sum
}

/// The member with the highest dot product with the members' sum (ties: the first read).
fn most_central<'v>(members: &[usize], vector: impl Fn(usize) -> &'v Vec<(u32, f32)>) -> usize {
    if members.len() <= 2 {
        return members[0];
    }
    let centroid = summed(members.iter().map(|&m| vector(m).as_slice()));
    let mut best = (members[0], f64::NEG_INFINITY);
    for &m in members {
        let dot: f64 = vector(m)
            .iter()
            .map(|&(t, w)| f64::from(w) * centroid.get(&t).copied().unwrap_or(0.0))
            .sum();
        if dot > best.1 {
            best = (m, dot);
        }
    }
    best.0
}

/// Finds the stories, continuing those `input` carries; new ones numbered by their first
/// article (date, then index).
pub fn group<R>(params: &StoryParams, input: &StoryInput<R>) -> Grouping
where
    R: Fn(usize) -> Vec<(u32, f32)> + Sync,
{
    let carried = &input.carried.open;
    let Pass { mut groups, idle } = single_pass(
        params,
        &input.rows,
        input.df,
        input.days,
        input.coverage,
        carried,
        PASS_BLOCK,
    );
    let first = |g: &Group| (input.days[g.members[0]].unwrap_or(i32::MAX), g.members[0]);
    groups.sort_by_key(first);
    let mut next_id = input.carried.next_id;
    let ids = groups
        .iter()
        .map(|g| match &g.continues {
            Some(c) => c.id,
            None => {
                next_id += 1;
                next_id - 1
            }
        })
        .collect();
    Grouping {
        groups,
        ids,
        idle: idle.into_iter().map(|c| carried[c].clone()).collect(),
        next_id,
    }
}

/// The theme most of `members` are in (ties: the lower id): a story may cross the beats
/// ("Ecuador's earthquake" in oil and in debt), and is listed under its main one.
fn main_theme(members: &[usize], themes: &[usize], n_themes: usize) -> usize {
    let mut count = vec![0usize; n_themes.max(1)];
    for &m in members {
        if let Some(c) = count.get_mut(themes[m]) {
            *c += 1;
        }
    }
    (0..count.len())
        .max_by(|&a, &b| count[a].cmp(&count[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}

/// How common each story's candidate terms are in the corpus: the articles using each, of
/// `articles` sampled.
struct CorpusDf {
    df: themes::ArticlesUsing,
    articles: f64,
}

impl CorpusDf {
    fn idf(&self, term: u64) -> f64 {
        let df = f64::from(self.df.get(term));
        ((self.articles + 1.0) / (df + 1.0)).ln() + 1.0
    }
}

/// Evenly spread sample of `members`, at most `n`.
fn spread(members: &[usize], n: usize) -> Vec<usize> {
    if members.len() <= n {
        members.to_vec()
    } else {
        (0..n).map(|i| members[i * members.len() / n]).collect()
    }
}

/// A story's candidate terms (hash and counts), by hash.
type Candidates = Vec<(u64, themes::Uses)>;

/// A story's candidate terms: used by at least half its (sampled) articles, two at least.
fn candidates(
    map: &mut FxHashMap<u64, themes::Uses>,
    docs: &[Doc],
    sample: &[usize],
) -> Candidates {
    let min_df = (sample.len() as u32).div_ceil(2).max(2);
    let mut c = themes::frequent_terms(map, docs, sample, min_df);
    c.sort_unstable_by_key(|t| t.0);
    c
}

/// Names and terms of the stories of [`NAMED_FROM`] articles or more; a smaller one is named
/// by its most central headline. Terms score by how many of the story's articles use them
/// (in the lead counting twice) times their rarity in the corpus; the name is the best phrase, or the two best
/// terms joined as an editor would ("Gaza famine"). No two stories share a name.
fn name_groups(groups: &[Group], texts: &Texts) -> Vec<(String, Vec<String>)> {
    let docs = texts.docs;
    let samples: Vec<Vec<usize>> = groups
        .iter()
        .map(|g| {
            if g.members.len() >= NAMED_FROM {
                spread(&g.members, NAMING_SAMPLE)
            } else {
                Vec::new()
            }
        })
        .collect();
    let cands: Vec<Candidates> = samples
        .par_iter()
        .map_init(FxHashMap::default, |map, s| {
            if s.is_empty() {
                Default::default()
            } else {
                candidates(map, docs, s)
            }
        })
        .collect();
    let all: Vec<usize> = (0..docs.len()).collect();
    let corpus_sample = spread(&all, DF_SAMPLE);
    let df = themes::articles_using(docs, &corpus_sample, cands.iter().flatten().map(|c| c.0));
    let corpus = CorpusDf {
        df,
        articles: corpus_sample.len() as f64,
    };
    // One word cache per worker, warm from story to story: analysing each story's words
    // afresh was most of the cost of naming (a worker per rayon job instead started dozens
    // of cold caches). Each worker takes the next story not yet taken, largest first, so
    // the workers end together (each taking every `workers`-th story, one was left naming
    // alone for a fifth of the time); a cache only remembers how words analyse, so which
    // worker names a story changes nothing.
    let mut todo: Vec<usize> = (0..groups.len())
        .filter(|&g| !samples[g].is_empty())
        .collect();
    todo.sort_by_key(|&g| (std::cmp::Reverse(samples[g].len()), g));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = rayon::current_num_threads().max(1);
    let named: Vec<Vec<(usize, Offer)>> = (0..workers)
        .into_par_iter()
        .map(|_| {
            let mut cache = texts.analyzer.cache();
            let mut named = Vec::new();
            while let Some(&g) = todo.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                named.push((g, offer(&cands[g], &samples[g], &corpus, texts, &mut cache)));
            }
            named
        })
        .collect();
    let mut offers: Vec<Option<Offer>> = vec![None; groups.len()];
    for (g, o) in named.into_iter().flatten() {
        offers[g] = Some(o);
    }
    // Names handed out largest story first; a later one whose name is taken gets its next.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(groups[g].members.len()), g));
    let mut taken: FxHashSet<String> = FxHashSet::default();
    let mut out: Vec<(String, Vec<String>)> = vec![(String::new(), Vec::new()); groups.len()];
    for g in order {
        let central = groups[g].central;
        let (terms, phrase) = match &offers[g] {
            Some((terms, phrase)) => (terms.clone(), phrase.clone()),
            None => {
                out[g] = (
                    headline_name(&texts.articles[central], texts, central),
                    Vec::new(),
                );
                continue;
            }
        };
        let mut name = phrase
            .filter(|n| !taken.contains(&n.to_lowercase()))
            .unwrap_or_else(|| themes::fallback_name(&terms, &taken));
        if terms.is_empty() {
            name = headline_name(&texts.articles[central], texts, central);
        }
        if taken.contains(&name.to_lowercase()) {
            if let Some(d) = texts.articles[central].date {
                name = format!("{name} ({})", d.format("%b %-d"));
            }
        }
        taken.insert(name.to_lowercase());
        out[g] = (name, terms);
    }
    out
}

/// A single report's name: its headline (or its text's start), cut at a word.
fn headline_name(article: &Article, texts: &Texts, i: usize) -> String {
    let fetched;
    let head = if article.title.trim().is_empty() {
        fetched = texts
            .texts
            .text(texts.articles, i)
            .map(|t| t.chars().take(HEADLINE_NAME_CHARS * 2).collect::<String>())
            .unwrap_or_else(|_| article.id.clone());
        &fetched
    } else {
        &article.title
    };
    // One character more than a name may have, to tell whether it must be cut.
    let head = snippet(head, HEADLINE_NAME_CHARS + 1);
    if head.chars().count() <= HEADLINE_NAME_CHARS {
        return head;
    }
    let cut: String = head.chars().take(HEADLINE_NAME_CHARS).collect();
    match cut.rfind(' ') {
        Some(at) if at > HEADLINE_NAME_CHARS / 2 => format!("{}\u{2026}", &cut[..at]),
        _ => format!("{cut}\u{2026}"),
    }
}

/// What [`offer`] gives a story.
type Offer = (Vec<String>, Option<String>);

/// A story's top terms as written, and its best phrase name when one leads them.
fn offer(
    cands: &[(u64, themes::Uses)],
    sample: &[usize],
    corpus: &CorpusDf,
    texts: &Texts,
    cache: &mut TokenCache,
) -> Offer {
    let n = sample.len().max(1) as f64;
    let mut scored: Vec<(f64, u64, themes::Uses)> = Vec::with_capacity(cands.len());
    // A few dozen lookups loaded at a time, among hundreds of thousands of terms: one after
    // another, they took a tenth of the naming's processor time.
    for some in cands.chunks(32) {
        corpus.df.warm(some.iter().map(|c| c.0));
        scored.extend(
            some.iter()
                .map(|&(h, s)| (f64::from(s.df + s.lead) / n * corpus.idf(h), h, s)),
        );
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(STORY_TERMS * 6);
    // Best first; a term sharing a word with one listed repeats it, unless it is a phrase
    // nearly as strong as the word it contains, which then takes its place. How a term is
    // written is read from the articles' texts, a few terms at a time, as far down the list
    // as the chosen need: reading every candidate's was most of the cost of naming.
    let mut found: FxHashMap<u64, themes::Found> = FxHashMap::default();
    let mut shown: FxHashMap<u64, themes::Written> = FxHashMap::default();
    let mut chosen: Vec<(Vec<u64>, u64, f64)> = Vec::new();
    let mut read = themes::ReadArticles::default();
    for batch in scored.chunks(STORY_TERMS * 2) {
        if chosen.len() == STORY_TERMS {
            break;
        }
        let wanted: FxHashSet<u64> = batch.iter().map(|s| s.1).collect();
        let more = themes::find(texts.docs, sample, &wanted);
        shown.extend(themes::written_forms(&more, texts, cache, &mut read));
        found.extend(more);
        for &(score, h, _) in batch {
            if chosen.len() == STORY_TERMS {
                break;
            }
            let (Some(f), Some(w)) = (found.get(&h), shown.get(&h)) else {
                continue;
            };
            if w.fragment || w.form.is_empty() {
                continue;
            }
            let stems = f.stems.as_slice();
            let sharing: Vec<usize> = (0..chosen.len())
                .filter(|&j| chosen[j].0.iter().any(|s| stems.contains(s)))
                .collect();
            match sharing.as_slice() {
                [] => chosen.push((stems.to_vec(), h, score)),
                [j] if stems.len() > chosen[*j].0.len()
                    && themes::overlaps(&chosen[*j].0, stems)
                    && score >= SUPERSEDE * chosen[*j].2 =>
                {
                    chosen[*j] = (stems.to_vec(), h, chosen[*j].2);
                }
                _ => {}
            }
        }
    }
    let terms: Vec<String> = chosen
        .iter()
        .filter_map(|c| shown.get(&c.1).map(|w| w.form.clone()))
        .collect();
    let words = |s: &str| s.split([' ', '-', '\u{2013}']).count();
    // The leading phrase names the story; so does a proper name of several words among the
    // two leading terms ("Jorio Dauster", not "Jorio Dauster attend").
    let is_proper = |t: &str| {
        t.split(' ').count() > 1
            && t.split(' ').all(|w| {
                w.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || !c.is_alphabetic())
            })
    };
    let phrase = chosen
        .first()
        .filter(|c| c.0.len() > 1)
        .and_then(|c| shown.get(&c.1))
        .map(|w| w.form.clone())
        .or_else(|| terms.iter().take(2).find(|t| is_proper(t)).cloned());
    let name = phrase.or_else(|| match terms.as_slice() {
        [a, b, ..] if words(a) + words(b) <= NAME_MAX_WORDS => Some(themes::pair_name(a, b)),
        _ => None,
    });
    (terms, name)
}

impl Stories {
    /// Stories from `grouping`, named from `texts`, each listed under the theme (of
    /// `n_themes`) most of its articles are in; `times_seen` counts each article's copies,
    /// `copy_sources` says where they came from.
    pub fn build(
        grouping: Grouping,
        texts: &Texts,
        themes: &[usize],
        n_themes: usize,
        times_seen: &[usize],
        copy_sources: &[Vec<&str>],
    ) -> Stories {
        let names = name_groups(&grouping.groups, texts);
        // Built in parallel, story by story: one thread building them (each with its set
        // of sources) left a core idle for a tenth of the stage.
        let built: Vec<(Story, Option<Thread>)> = grouping
            .groups
            .into_par_iter()
            .zip(names)
            .zip(grouping.ids)
            .map(|((g, (name, top_terms)), id)| {
                let id = id as usize;
                // A story carried on keeps the name it was given from its words, as a theme
                // keeps its name; one named by a headline (too small then) is named anew.
                let name = match &g.continues {
                    Some(c) if c.articles >= NAMED_FROM as u64 => c.name.clone(),
                    _ => name,
                };
                let dates: Vec<NaiveDate> = g
                    .members
                    .iter()
                    .filter_map(|&m| texts.articles[m].date)
                    .collect();
                let mut sources: FxHashSet<String> = g
                    .members
                    .iter()
                    .map(|&m| source_of(&texts.articles[m]))
                    .collect();
                for &m in &g.members {
                    if let Some(c) = copy_sources.get(m) {
                        sources.extend(c.iter().map(|s| s.to_string()));
                    }
                }
                let first = dates.iter().min().copied();
                let thread = match (g.state, first) {
                    (Some(state), Some(f)) => Some(Thread {
                        id: id as u64,
                        name: name.clone(),
                        centroid: state.centroid,
                        norm_sq: state.norm_sq,
                        first_day: g.continues.as_ref().map_or(day_number(f), |c| c.first_day),
                        last_day: state.last_day,
                        articles: g.continues.as_ref().map_or(0, |c| c.articles)
                            + g.members.len() as u64,
                    }),
                    _ => None,
                };
                let story = Story {
                    id,
                    theme: main_theme(&g.members, themes, n_themes),
                    name,
                    top_terms,
                    copies: g
                        .members
                        .iter()
                        .map(|&m| times_seen.get(m).copied().unwrap_or(1).saturating_sub(1))
                        .sum(),
                    sources: sources.len(),
                    continued: g.continues.as_ref().map(|c| from_day_number(c.first_day)),
                    before: g.continues.as_ref().map_or(0, |c| c.articles as usize),
                    first,
                    last: dates.iter().max().copied(),
                    central: g.central,
                    members: g.members,
                };
                (story, thread)
            })
            .collect();
        let mut assignments = vec![0; texts.articles.len()];
        let mut threads = Threads {
            next_id: grouping.next_id,
            open: grouping.idle,
        };
        let mut stories = Vec::with_capacity(built.len());
        for (story, thread) in built {
            for &m in &story.members {
                assignments[m] = story.id;
            }
            threads.open.extend(thread);
            stories.push(story);
        }
        threads.open.sort_by_key(|t| t.id);
        Stories {
            stories,
            assignments,
            threads,
        }
    }

    /// The stories of more than one report, largest first (articles and copies; ties: the
    /// earlier).
    pub fn largest(&self) -> Vec<&Story> {
        let mut s: Vec<&Story> = self.stories.iter().filter(|s| s.is_multi()).collect();
        s.sort_by_key(|s| (std::cmp::Reverse(s.size() + s.copies), s.id));
        s
    }

    /// What an editor reads first: the [`TOP_LARGEST`] largest stories, and up to
    /// [`TOP_GROWING`] others that grew most over the last [`GROWTH_DAYS`] days of the input
    /// against the days before (at least two articles lately, more than before).
    pub fn top(&self, articles: &[Article]) -> TopStories<'_> {
        let largest: Vec<&Story> = self.largest().into_iter().take(TOP_LARGEST).collect();
        let mut growing = Vec::new();
        if let Some(end) = articles.iter().filter_map(|a| a.date).max() {
            let recent_from = end - chrono::Duration::days(GROWTH_DAYS - 1);
            let before_from = recent_from - chrono::Duration::days(GROWTH_DAYS);
            for s in self.stories.iter().filter(|s| s.is_multi()) {
                if largest.iter().any(|l| l.id == s.id) {
                    continue;
                }
                let (mut recent, mut before) = (0, 0);
                for d in s.members.iter().filter_map(|&m| articles[m].date) {
                    if d >= recent_from {
                        recent += 1;
                    } else if d >= before_from {
                        before += 1;
                    }
                }
                if recent >= 2 && recent > before {
                    growing.push(Growing {
                        story: s,
                        recent,
                        before,
                    });
                }
            }
        }
        growing.sort_by_key(|g| (std::cmp::Reverse(g.recent - g.before), g.story.id));
        growing.truncate(TOP_GROWING);
        TopStories { largest, growing }
    }
}

/// Stories listed as the largest and as the fastest-growing.
pub const TOP_LARGEST: usize = 10;
pub const TOP_GROWING: usize = 5;
/// The recent days a story's growth is measured over, against as many days before them.
pub const GROWTH_DAYS: i64 = 2;

pub struct TopStories<'a> {
    pub largest: Vec<&'a Story>,
    pub growing: Vec<Growing<'a>>,
}

impl TopStories<'_> {
    /// Every listed story once, in order of first article.
    pub fn all(&self) -> Vec<&Story> {
        let mut all: Vec<&Story> = self
            .largest
            .iter()
            .copied()
            .chain(self.growing.iter().map(|g| g.story))
            .collect();
        all.sort_by_key(|s| s.id);
        all.dedup_by_key(|s| s.id);
        all
    }
}

/// A story that grew: its articles over the last [`GROWTH_DAYS`] days and the days before.
pub struct Growing<'a> {
    pub story: &'a Story,
    pub recent: usize,
    pub before: usize,
}

/// Where an article came from: its `source` field, else its file.
pub fn source_of(a: &Article) -> String {
    match a.extra.get("source") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => a.file.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    proptest! {
        // A fixed seed and no saved failures, as the other property tests: the same cases on
        // every run.
        #![proptest_config(Config {
            rng_seed: RngSeed::Fixed(20261207),
            failure_persistence: None,
            ..Config::default()
        })]

        /// The selection by integer keys keeps what comparing the weights keeps, in the same
        /// order: ties of weight (the lower term first), rows that come by term or not, fewer
        /// terms than kept.
        #[test]
        fn heaviest_positive_weights_are_kept_as_any_weights_are(
            terms in proptest::collection::btree_set(any::<u32>(), 0..90),
            weights in proptest::collection::vec(
                prop_oneof![
                    (1u8..6).prop_map(|w| f32::from(w) / 7.0),
                    proptest::num::f32::POSITIVE | proptest::num::f32::NORMAL
                        | proptest::num::f32::SUBNORMAL,
                    Just(f32::INFINITY),
                    Just(f32::MAX),
                    Just(f32::MIN_POSITIVE),
                ],
                90,
            ),
            order in proptest::collection::vec(any::<u32>(), 90),
            shuffled in any::<bool>(),
            k in 1usize..70,
        ) {
            let mut terms: Vec<(u32, f32)> = terms.into_iter().zip(weights).collect();
            if shuffled {
                let mut keyed: Vec<(u32, (u32, f32))> = order.into_iter().zip(terms).collect();
                keyed.sort_by_key(|e| e.0);
                terms = keyed.into_iter().map(|e| e.1).collect();
            }
            let mut wide: Vec<(u32, f64)> = terms.iter().map(|&(t, w)| (t, f64::from(w))).collect();
            let mut general = terms.clone();
            by_comparing_weights(&mut general, k);
            keep_heaviest(&mut terms, k);
            prop_assert_eq!(&terms, &general);
            keep_heaviest(&mut wide, k);
            prop_assert_eq!(wide, general.iter().map(|&(t, w)| (t, f64::from(w))).collect::<Vec<_>>());
        }
    }

    /// [`keep_heaviest`] as the weights' order defines it, floats compared.
    fn by_comparing_weights(terms: &mut Vec<(u32, f32)>, k: usize) {
        if terms.len() > k {
            terms.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            terms.truncate(k);
        }
        terms.sort_unstable_by_key(|t| t.0);
    }

    /// Per term, the rows of `n` that have it: [`StoryInput::df`] from the rows alone.
    fn document_frequencies<R>(n: usize, rows: &R) -> Vec<u32>
    where
        R: Fn(usize) -> Vec<(u32, f32)>,
    {
        let mut df: Vec<u32> = Vec::new();
        for i in 0..n {
            for (t, w) in rows(i) {
                if w > 0.0 {
                    if df.len() <= t as usize {
                        df.resize(t as usize + 1, 0);
                    }
                    df[t as usize] += 1;
                }
            }
        }
        df
    }

    /// Rows of a toy vocabulary: each article a set of term ids at equal weight.
    fn rows(terms: Vec<Vec<u32>>) -> impl Fn(usize) -> Vec<(u32, f32)> + Sync {
        move |i| {
            let n = terms[i].len() as f32;
            terms[i].iter().map(|&t| (t, 1.0 / n.sqrt())).collect()
        }
    }

    /// The stories of the articles `rows` gives, on `days`.
    fn stories_of<R>(p: &StoryParams, rows: &R, days: &[Option<i32>]) -> Grouping
    where
        R: Fn(usize) -> Vec<(u32, f32)> + Sync,
    {
        stories_after(p, rows, days, &Threads::default())
    }

    /// The same, continuing the stories a model `carried`.
    fn stories_after<R>(
        p: &StoryParams,
        rows: &R,
        days: &[Option<i32>],
        carried: &Threads,
    ) -> Grouping
    where
        R: Fn(usize) -> Vec<(u32, f32)> + Sync,
    {
        let df = document_frequencies(days.len(), rows);
        let input = StoryInput {
            rows,
            df: &df,
            days,
            coverage: &[],
            carried,
        };
        group(p, &input)
    }

    fn groups(g: &Grouping) -> Vec<Vec<usize>> {
        g.groups.iter().map(|g| g.members.clone()).collect()
    }

    #[test]
    fn articles_close_in_content_and_time_form_one_story() {
        // 0, 1, 3 share most terms over three days; 2 is another event; 4 repeats the first
        // event's terms but 20 days later, after the window closed.
        let r = rows(vec![
            vec![1, 2, 3, 4],
            vec![1, 2, 3, 5],
            vec![7, 8, 9],
            vec![1, 2, 4, 5],
            vec![1, 2, 3, 4],
        ]);
        let days = [Some(0), Some(1), Some(1), Some(3), Some(23)];
        let g = stories_of(&StoryParams::default(), &r, &days);
        assert_eq!(groups(&g), vec![vec![0, 1, 3], vec![2], vec![4]]);
    }

    /// The next block's vectors are made while a block is read: where the blocks end
    /// changes no story.
    #[test]
    fn blocks_of_any_size_give_the_same_stories() {
        // Four events of three terms each, reported in turn over 30 days, and a beat word
        // (0) most reports share; a fifth event told on days 0-1 and again on days 25-26,
        // which the rejoining joins (the blocks also cut its stories' centroids).
        let mut terms: Vec<Vec<u32>> = (0..60u32)
            .map(|i| {
                let e = 1 + 3 * (i % 4);
                let mut t = vec![e, e + 1, e + 2, 20 + i % 7];
                if i % 3 != 0 {
                    t.push(0);
                }
                t
            })
            .collect();
        let mut days: Vec<Option<i32>> = (0..60).map(|i| Some(i / 2)).collect();
        for (day, t) in [(0, 40), (0, 41), (1, 42), (25, 40), (26, 41)] {
            terms.push(vec![40, 41, 42, t + 10]);
            days.push(Some(day));
        }
        let r = rows(terms);
        let df = document_frequencies(days.len(), &r);
        let p = StoryParams::default();
        let members = |block| {
            let pass = single_pass(&p, &r, &df, &days, &[], &[], block);
            pass.groups
                .iter()
                .map(|g| g.members.clone())
                .collect::<Vec<_>>()
        };
        let whole = members(PASS_BLOCK);
        assert!(whole.len() >= 4 && whole.len() < 60, "{whole:?}");
        assert!(
            whole.iter().any(|m| m.contains(&60) && m.contains(&64)),
            "{whole:?}"
        );
        for block in [1, 2, 7, 59, 60, 61] {
            assert_eq!(members(block), whole, "blocks of {block}");
        }
    }

    #[test]
    fn a_story_crossing_themes_is_listed_under_most_of_its_articles_theme() {
        let r = rows(vec![
            vec![1, 2, 3],
            vec![1, 2, 3],
            vec![1, 2, 3],
            vec![7, 8],
        ]);
        let days = [Some(0); 4];
        let g = stories_of(&StoryParams::default(), &r, &days);
        assert_eq!(groups(&g), vec![vec![0, 1, 2], vec![3]]);
        let themes = [1, 0, 1, 0];
        let main = |g: &Group| main_theme(&g.members, &themes, 2);
        assert_eq!((main(&g.groups[0]), main(&g.groups[1])), (1, 0));
    }

    #[test]
    fn stories_are_read_in_date_order_whatever_the_input_order() {
        // Article 0 is dated last; it still joins the story the two earlier ones began.
        let r = rows(vec![vec![1, 2, 3], vec![1, 2, 3], vec![1, 2, 4]]);
        let days = [Some(5), Some(3), Some(4)];
        let g = stories_of(&StoryParams::default(), &r, &days);
        assert_eq!(groups(&g), vec![vec![1, 2, 0]]);
    }

    #[test]
    fn a_story_quiet_past_the_window_is_rejoined_by_its_names() {
        // Forty reports of a beat over 80 days (the beat word 0 and two of ten others), and an
        // event told by rare words (100-102): three reports, 20 days of silence, one more,
        // then one more 60 days after that; and a report sharing only the beat word with it.
        let mut terms: Vec<Vec<u32>> = (0..40u32)
            .map(|i| vec![0, 10 + i % 10, 10 + (i + 3) % 10])
            .collect();
        let mut days: Vec<Option<i32>> = (0..40).map(|i| Some(i * 2)).collect();
        for (day, t) in [
            (0, vec![100, 101, 102, 0]),
            (1, vec![100, 101, 102]),
            (2, vec![100, 101, 102, 10]),
            (22, vec![100, 101, 102, 103]),
            (82, vec![100, 101, 102, 103]),
            (24, vec![0, 200, 201]),
        ] {
            terms.push(t);
            days.push(Some(day));
        }
        let r = rows(terms);
        let story_of =
            |g: &Grouping, a: usize| g.groups.iter().position(|g| g.members.contains(&a));
        let g = stories_of(&StoryParams::default(), &r, &days);
        assert_eq!(story_of(&g, 40), story_of(&g, 42));
        assert_eq!(
            story_of(&g, 43),
            story_of(&g, 40),
            "20 days later: rejoined"
        );
        assert_ne!(
            story_of(&g, 44),
            story_of(&g, 40),
            "60 days later: a new story"
        );
        assert_ne!(
            story_of(&g, 45),
            story_of(&g, 40),
            "the beat word alone joins nothing"
        );
        let rejoined = &g.groups[story_of(&g, 40).unwrap()].members;
        assert!(
            rejoined.windows(2).all(|w| days[w[0]] <= days[w[1]]),
            "{rejoined:?}"
        );
        let off = StoryParams {
            rejoin_days: 0,
            ..StoryParams::default()
        };
        let g = stories_of(&off, &r, &days);
        assert_ne!(
            story_of(&g, 43),
            story_of(&g, 40),
            "without rejoining the window splits it"
        );
    }

    /// A beat's coverage, one report a day that shares most of its words with the day
    /// before's, keeps a story open for as long as it runs; past `age_days` from its first
    /// article a story needs a report ever more like it, so the coverage weeks on starts
    /// its own.
    #[test]
    fn a_story_grows_harder_to_join_as_it_ages() {
        // Day i: two beat words and six others, sliding a word a day.
        let terms: Vec<Vec<u32>> = (0..40u32)
            .map(|i| vec![0, 1, 100 + i, 101 + i, 102 + i, 103 + i, 104 + i, 105 + i])
            .collect();
        let days: Vec<Option<i32>> = (0..40).map(Some).collect();
        let r = rows(terms);
        let story_of =
            |g: &Grouping, a: usize| g.groups.iter().position(|g| g.members.contains(&a));
        let ageless = StoryParams {
            age_days: 0,
            ..StoryParams::default()
        };
        assert_eq!(groups(&stories_of(&ageless, &r, &days)).len(), 1);
        let g = stories_of(&StoryParams::default(), &r, &days);
        assert!(
            (1..=10).all(|a| story_of(&g, a) == story_of(&g, 0)),
            "within age_days nothing changes: {:?}",
            groups(&g)
        );
        assert_ne!(story_of(&g, 39), story_of(&g, 0), "{:?}", groups(&g));
        assert!(
            g.groups
                .iter()
                .all(|s| s.members.windows(2).all(|w| w[1] == w[0] + 1)),
            "each story a run of days: {:?}",
            groups(&g)
        );
    }

    /// A story a model carries can be rejoined too: one that went quiet at the end of last
    /// week and comes back after more than the window goes on under its id, as one run over
    /// both weeks would have it.
    #[test]
    fn a_carried_story_quiet_past_the_window_is_rejoined() {
        // Last week: the event of rare words 100-102, three articles, the last on day 6.
        let thread = Thread {
            id: 7,
            name: "the event".into(),
            centroid: vec![(100, 1.7), (101, 1.7), (102, 1.7)],
            norm_sq: 9.0,
            first_day: 2,
            last_day: 6,
            articles: 3,
        };
        let carried = Threads {
            next_id: 8,
            open: vec![thread],
        };
        // This week: a beat (word 0 and two of ten others) from day 7, and the event again
        // on days 16 and 17.
        let mut terms: Vec<Vec<u32>> = (0..30u32)
            .map(|i| vec![0, 10 + i % 10, 10 + (i + 3) % 10])
            .collect();
        let mut days: Vec<Option<i32>> = (0..30).map(|i| Some(7 + i / 3)).collect();
        terms.extend([vec![100, 101, 102, 103], vec![100, 101, 102, 104]]);
        days.extend([Some(16), Some(17)]);
        let r = rows(terms);
        let week = |p: &StoryParams| {
            let g = stories_after(p, &r, &days, &carried);
            let at = g.groups.iter().position(|g| g.members.contains(&30));
            at.map(|i| (g.ids[i], g.groups[i].members.clone()))
        };
        assert_eq!(week(&StoryParams::default()), Some((7, vec![30, 31])));
        let off = StoryParams {
            rejoin_days: 0,
            ..StoryParams::default()
        };
        assert_ne!(week(&off).map(|w| w.0), Some(7));
    }

    #[test]
    fn bad_story_settings_are_refused_by_name() {
        let d = StoryParams::default;
        for (bad, name) in [
            (
                StoryParams {
                    threshold: 0.0,
                    ..d()
                },
                "`story_threshold`",
            ),
            (
                StoryParams {
                    threshold: f64::NAN,
                    ..d()
                },
                "`story_threshold`",
            ),
            (
                StoryParams {
                    window_days: 1000,
                    ..d()
                },
                "`story_window`",
            ),
            (
                StoryParams {
                    rejoin_threshold: 1.5,
                    ..d()
                },
                "`rejoin_threshold`",
            ),
            (
                StoryParams {
                    rejoin_days: 1000,
                    ..d()
                },
                "`story_rejoin`",
            ),
            (
                StoryParams {
                    age_days: 1000,
                    ..d()
                },
                "`story_age`",
            ),
        ] {
            let message = bad.check().unwrap_err().to_string();
            assert!(message.contains(name), "{message}");
        }
        assert!(d().check().is_ok());
    }
}
