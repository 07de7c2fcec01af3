//! Comparing two corpora (last week and this week): how each theme's share changed, whether
//! the change is more than noise, and which words moved, overall and inside each theme.
//!
//! - Share change: a two-proportion z-test on the theme's share of each side (pooled
//!   standard error), with its two-sided p-value.
//! - Word shifts: the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and
//!   Quinn 2008, "Fightin' Words", eq. 16-22). The prior is the pooled frequency of each term
//!   over both sides, scaled to `PRIOR_MASS` pseudo-counts, so rare words need real evidence
//!   to rank and frequent words are not favoured merely for being frequent.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::fail;
use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use crate::corpus::{self, Article, Corpus, Reject};
use crate::pipeline::{analyze_corpus, Analysis, RunConfig, StageTimer};

/// Total pseudo-counts of the Dirichlet prior.
pub const PRIOR_MASS: f64 = 1000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Before,
    After,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Before => "before",
            Side::After => "after",
        }
    }
}

/// A closed date range given as `2025-W19`, `2025-05-12`, `2025-05` or `FROM..TO` (each end
/// any of those forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl DateRange {
    pub fn parse(s: &str) -> Result<DateRange, String> {
        let s = s.trim();
        if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (Self::parse(a)?, Self::parse(b)?);
            if b.last < a.first {
                return Err(format!("{s:?}: the range ends before it starts"));
            }
            return Ok(DateRange {
                first: a.first,
                last: b.last,
            });
        }
        let bad = || format!("{s:?}: expected YYYY-Www, YYYY-MM-DD, YYYY-MM or FROM..TO");
        if let Some((y, w)) = s.split_once("-W") {
            let (y, w) = (y.parse().map_err(|_| bad())?, w.parse().map_err(|_| bad())?);
            let first = NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon).ok_or_else(bad)?;
            return Ok(DateRange {
                first,
                last: first + chrono::Duration::days(6),
            });
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(DateRange { first: d, last: d });
        }
        let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .ok_or_else(bad)?;
        Ok(DateRange {
            first,
            last: next.pred_opt().ok_or_else(bad)?,
        })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.first <= d && d <= self.last
    }
}

impl std::fmt::Display for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let iso = self.first.iso_week();
        if self.first.weekday() == chrono::Weekday::Mon
            && self.last == self.first + chrono::Duration::days(6)
        {
            write!(f, "{}-W{:02}", iso.year(), iso.week())
        } else if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{} to {}", self.first, self.last)
        }
    }
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7),
/// for p-values without another dependency.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Two-sided p-value of a standard normal z.
pub fn p_value(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// False discovery rate below which a change is called significant.
pub const FDR: f64 = 0.05;

/// Benjamini-Hochberg q-values of `p`, in their order: the smallest false discovery rate at
/// which each would be declared a discovery.
pub fn q_values(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Positions of `changes`, the largest change (|z|) first; ties in order.
pub fn largest_first<'a>(changes: impl IntoIterator<Item = &'a ShareChange>) -> Vec<usize> {
    let z: Vec<f64> = changes.into_iter().map(|c| c.z.abs()).collect();
    let mut order: Vec<usize> = (0..z.len()).collect();
    order.sort_by(|&x, &y| z[y].total_cmp(&z[x]).then(x.cmp(&y)));
    order
}

/// `changes` with their q-values over all of them: tested together.
pub fn tested_together(mut changes: Vec<ShareChange>) -> Vec<ShareChange> {
    let p: Vec<f64> = changes.iter().map(|c| c.p_value).collect();
    for (c, q) in changes.iter_mut().zip(q_values(&p)) {
        c.q_value = q;
    }
    changes
}

/// The change of one theme between the sides.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareChange {
    pub before: usize,
    pub after: usize,
    pub share_before: f64,
    pub share_after: f64,
    /// z of the two-proportion test (after minus before); 0 when undefined.
    pub z: f64,
    pub p_value: f64,
    /// The p-value corrected for testing every theme at once (Benjamini-Hochberg): twenty
    /// themes would otherwise give one "significant" change at 5% by chance.
    pub q_value: f64,
}

impl ShareChange {
    pub fn new(before: usize, after: usize, n_before: usize, n_after: usize) -> ShareChange {
        let (nb, na) = (n_before as f64, n_after as f64);
        let share_before = if nb > 0.0 { before as f64 / nb } else { 0.0 };
        let share_after = if na > 0.0 { after as f64 / na } else { 0.0 };
        let pooled = (before + after) as f64 / (nb + na).max(1.0);
        let se = (pooled * (1.0 - pooled) * (1.0 / nb.max(1.0) + 1.0 / na.max(1.0))).sqrt();
        let z = if se > 0.0 {
            (share_after - share_before) / se
        } else {
            0.0
        };
        let p = p_value(z);
        ShareChange {
            before,
            after,
            share_before,
            share_after,
            z,
            p_value: p,
            // Alone, a change is its own test; [`tested_together`] corrects it.
            q_value: p,
        }
    }

    /// `new` (absent before), `vanished` (absent after) or `continuing`.
    pub fn status(&self) -> &'static str {
        match (self.before, self.after) {
            (0, a) if a > 0 => "new",
            (b, 0) if b > 0 => "vanished",
            _ => "continuing",
        }
    }
}

/// One term's shift between the sides: `delta` > 0 means more used after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TermShift {
    pub term: usize,
    pub before: f64,
    pub after: f64,
    pub delta: f64,
    pub z: f64,
}

/// Log-odds ratios with an informative Dirichlet prior for every term with a count on either
/// side. `before[w]`, `after[w]` are term counts; the prior is `PRIOR_MASS` times the pooled
/// term frequency.
pub fn log_odds_shifts(before: &[f64], after: &[f64]) -> Vec<TermShift> {
    let (nb, na): (f64, f64) = (before.iter().sum(), after.iter().sum());
    let pooled = nb + na;
    if pooled == 0.0 {
        return Vec::new();
    }
    before
        .iter()
        .zip(after)
        .enumerate()
        .filter(|(_, (&b, &a))| a + b > 0.0)
        .map(|(w, (&b, &a))| {
            let alpha = PRIOR_MASS * (a + b) / pooled;
            let log_odds = |y: f64, n: f64| ((y + alpha) / (n + PRIOR_MASS - y - alpha)).ln();
            let delta = log_odds(a, na) - log_odds(b, nb);
            let variance = 1.0 / (a + alpha) + 1.0 / (b + alpha);
            TermShift {
                term: w,
                before: b,
                after: a,
                delta,
                z: delta / variance.sqrt(),
            }
        })
        .collect()
}

/// What to compare: two sets of inputs, or one dated input split by two date ranges.
#[derive(Debug, Clone)]
pub enum CompareInput {
    Inputs {
        before: Vec<PathBuf>,
        after: Vec<PathBuf>,
    },
    Dated {
        inputs: Vec<PathBuf>,
        before: DateRange,
        after: DateRange,
    },
}

/// The field that records each article's side; it is carried to `articles.parquet`.
pub const SIDE_FIELD: &str = "side";

/// A comparison: one analysis of both sides together (so themes are shared), and the
/// changes between the sides.
#[derive(Debug)]
pub struct Comparison {
    pub analysis: Analysis,
    /// How each side was given (paths or a date range), for titles.
    pub before_name: String,
    pub after_name: String,
    pub n_before: usize,
    pub n_after: usize,
    /// Per theme id.
    pub themes: Vec<ShareChange>,
    /// The stories of more than one report, by id.
    pub stories: Vec<StoryChange>,
    /// Over all articles.
    pub overall_shifts: Vec<TermShift>,
    /// Per theme id: shifts among that theme's articles.
    pub theme_shifts: Vec<Vec<TermShift>>,
}

/// The side recorded in an article's `side` field, the one place sides are stored.
fn side_of(a: &Article) -> Option<Side> {
    match a.extra.get(SIDE_FIELD)?.as_str()? {
        "before" => Some(Side::Before),
        "after" => Some(Side::After),
        _ => None,
    }
}

fn set_side(a: &mut Article, side: Side) {
    a.extra.insert(
        SIDE_FIELD.to_string(),
        Value::String(side.name().to_string()),
    );
}

fn tag(corpus: &mut Corpus, side: Side) {
    corpus.articles.iter_mut().for_each(|a| set_side(a, side));
}

/// How a list of inputs is shown in titles: the paths as given, comma-separated.
pub fn names(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads both sides, fits themes on them together, and measures what changed.
pub fn compare(config: &RunConfig, input: &CompareInput) -> Result<Comparison> {
    let timer = StageTimer::for_run(config);
    match input {
        CompareInput::Inputs { before, after } => {
            let b = corpus::read_inputs_with(before, &config.settings.read)?;
            let a = corpus::read_inputs_with(after, &config.settings.read)?;
            compare_sides(config, (b, names(before)), (a, names(after)), timer)
        }
        CompareInput::Dated {
            inputs,
            before,
            after,
        } => {
            // Checked before reading too, so that a mistake does not wait for the corpus.
            check_ranges(before, after)?;
            let c = corpus::read_inputs_with(inputs, &config.settings.read)?;
            compare_dated(config, c, before, after, timer)
        }
    }
}

fn check_ranges(before: &DateRange, after: &DateRange) -> Result<()> {
    if before.first <= after.last && after.first <= before.last {
        fail!(Settings, "`before` {before} and `after` {after} overlap");
    }
    Ok(())
}

/// Tags each article with the side its date falls in; an article in neither is rejected.
fn split_dated(mut c: Corpus, before: &DateRange, after: &DateRange) -> Corpus {
    if before.first > after.last {
        c.warnings.push(format!(
            "--before {before} is later than --after {after}; the sides are compared as given"
        ));
    }
    let mut kept = Vec::with_capacity(c.articles.len());
    for mut a in std::mem::take(&mut c.articles) {
        let side = match a.date {
            Some(d) if before.contains(d) => Side::Before,
            Some(d) if after.contains(d) => Side::After,
            other => {
                c.rejects.push(Reject {
                    file: a.file,
                    line: a.line,
                    reason: match other {
                        Some(d) => format!("date {d} is outside --before and --after"),
                        None => "no date, so neither --before nor --after".to_string(),
                    },
                });
                continue;
            }
        };
        set_side(&mut a, side);
        kept.push(a);
    }
    c.articles = kept;
    c
}

/// Compares the articles of one corpus a caller has read itself, split by date.
pub fn compare_dated_corpus(
    config: &RunConfig,
    corpus: Corpus,
    before: &DateRange,
    after: &DateRange,
) -> Result<Comparison> {
    compare_dated(config, corpus, before, after, StageTimer::for_run(config))
}

fn compare_dated(
    config: &RunConfig,
    corpus: Corpus,
    before: &DateRange,
    after: &DateRange,
    timer: StageTimer,
) -> Result<Comparison> {
    check_ranges(before, after)?;
    compare_tagged(
        config,
        split_dated(corpus, before, after),
        before.to_string(),
        after.to_string(),
        timer,
    )
}

/// Compares two corpora a caller has read itself (a library caller's tables), each with the
/// name it is shown under.
pub fn compare_corpora(
    config: &RunConfig,
    before: (Corpus, String),
    after: (Corpus, String),
) -> Result<Comparison> {
    compare_sides(config, before, after, StageTimer::for_run(config))
}

fn compare_sides(
    config: &RunConfig,
    (mut b, before_name): (Corpus, String),
    (mut a, after_name): (Corpus, String),
    timer: StageTimer,
) -> Result<Comparison> {
    tag(&mut b, Side::Before);
    tag(&mut a, Side::After);
    b.articles.append(&mut a.articles);
    b.rejects.append(&mut a.rejects);
    b.warnings.append(&mut a.warnings);
    compare_tagged(config, b, before_name, after_name, timer)
}

/// The comparison of a corpus whose articles each carry their side.
fn compare_tagged(
    config: &RunConfig,
    corpus: Corpus,
    before_name: String,
    after_name: String,
    timer: StageTimer,
) -> Result<Comparison> {
    for (side, name) in [(Side::Before, &before_name), (Side::After, &after_name)] {
        let has = corpus.articles.iter().any(|a| side_of(a) == Some(side));
        if !has {
            fail!(
                Input,
                "the {} side ({name}) has no readable articles to compare",
                side.name()
            );
        }
    }
    let config = RunConfig {
        keep_counts: true,
        ..config.clone()
    };
    let analysis = analyze_corpus(&config, corpus, timer)?;
    let counts = analysis
        .counts
        .as_ref()
        .ok_or_else(|| Error::Input("the analysis kept no term counts to compare".into()))?;
    let sides: Vec<Option<Side>> = analysis.articles.iter().map(side_of).collect();
    let n_before = sides.iter().filter(|s| **s == Some(Side::Before)).count();
    let n_after = sides.iter().filter(|s| **s == Some(Side::After)).count();
    if n_before == 0 || n_after == 0 {
        fail!(
            Input,
            "after de-duplication and pruning, the {} side has no articles left to compare",
            if n_before == 0 { "before" } else { "after" }
        );
    }
    let k = analysis.themes.themes.len();
    let mut per_theme = vec![(0usize, 0usize); k];
    for (&t, side) in analysis.themes.assignments.iter().zip(&sides) {
        match side {
            Some(Side::Before) => per_theme[t].0 += 1,
            Some(Side::After) => per_theme[t].1 += 1,
            None => {}
        }
    }
    let themes = tested_together(
        per_theme
            .iter()
            .map(|&(b, a)| ShareChange::new(b, a, n_before, n_after))
            .collect(),
    );
    let stories = story_changes(&analysis, &sides, n_before, n_after);
    let m = analysis.model.n_terms();
    // Term counts per side, overall and per theme.
    let mut totals = vec![[vec![0.0; m], vec![0.0; m]]; k + 1];
    for (i, row) in counts.outer_iterator().enumerate() {
        let s = match sides[i] {
            Some(Side::Before) => 0,
            Some(Side::After) => 1,
            None => continue,
        };
        let t = analysis.themes.assignments[i];
        for (w, &c) in row.iter() {
            totals[k][s][w] += f64::from(c);
            totals[t][s][w] += f64::from(c);
        }
    }
    let overall_shifts = log_odds_shifts(&totals[k][0], &totals[k][1]);
    let theme_shifts = totals[..k]
        .iter()
        .map(|[b, a]| log_odds_shifts(b, a))
        .collect();
    Ok(Comparison {
        analysis,
        before_name,
        after_name,
        n_before,
        n_after,
        themes,
        stories,
        overall_shifts,
        theme_shifts,
    })
}

/// Every story of more than one report, its articles on each side tested as a theme's are
/// (q-values over the stories): which are new, over, growing or fading.
fn story_changes(
    analysis: &Analysis,
    sides: &[Option<Side>],
    n_before: usize,
    n_after: usize,
) -> Vec<StoryChange> {
    let (positions, changes): (Vec<usize>, Vec<ShareChange>) = analysis
        .stories
        .stories
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_multi())
        .map(|(position, s)| {
            let (mut b, mut a) = (0, 0);
            for &m in &s.members {
                match sides[m] {
                    Some(Side::Before) => b += 1,
                    Some(Side::After) => a += 1,
                    None => {}
                }
            }
            (position, ShareChange::new(b, a, n_before, n_after))
        })
        .unzip();
    positions
        .into_iter()
        .zip(tested_together(changes))
        .map(|(story, change)| StoryChange { story, change })
        .collect()
}

/// A run with a saved model against all the model absorbed before it (`update`, `run
/// --model`): each theme's share of this run against its share of the articles absorbed
/// before, and each story's (a story carried on counts the articles earlier runs gave it; a
/// new one had none), tested per level with q-values over the family, so twenty themes or
/// two hundred stories do not give a rise by chance.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Articles the model had absorbed before this run.
    pub saved: usize,
    /// (position in the analysis' themes, change): the saved themes, then those this run
    /// formed (none before).
    pub themes: Vec<(usize, ShareChange)>,
    /// The stories of more than one report, and those carried on.
    pub stories: Vec<StoryChange>,
}

/// A theme's change against the model's history: `new` (formed by this run), `rose` or
/// `fell` (q at most [`FDR`]), else `steady`.
pub fn theme_trend(c: &ShareChange) -> &'static str {
    match c.before {
        0 => "new",
        _ if c.q_value <= FDR && c.z > 0.0 => "rose",
        _ if c.q_value <= FDR => "fell",
        _ => "steady",
    }
}

/// `a` against its model's history; `None` without a model or with nothing absorbed.
pub fn against_history(a: &Analysis) -> Option<History> {
    let m = a.config.mode.model()?;
    let saved: usize = m.themes.iter().map(|t| t.size).sum();
    let now = a.articles.len();
    if saved == 0 || now == 0 {
        return None;
    }
    let tested = m.k() + a.new_themes;
    let (places, changes): (Vec<usize>, Vec<ShareChange>) = (0..tested.min(a.themes.themes.len()))
        .map(|i| {
            let before = m.themes.get(i).map_or(0, |t| t.size);
            (
                i,
                ShareChange::new(before, a.themes.themes[i].size, saved, now),
            )
        })
        .unzip();
    let themes = places.into_iter().zip(tested_together(changes)).collect();
    let (places, changes): (Vec<usize>, Vec<ShareChange>) = a
        .stories
        .stories
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_multi() || s.continued.is_some())
        .map(|(i, s)| (i, ShareChange::new(s.before, s.size(), saved, now)))
        .unzip();
    let stories = places
        .into_iter()
        .zip(tested_together(changes))
        .map(|(story, change)| StoryChange { story, change })
        .collect();
    Some(History {
        saved,
        themes,
        stories,
    })
}

/// One story's change between the sides.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryChange {
    /// Its place in the analysis' stories.
    pub story: usize,
    pub change: ShareChange,
}

impl StoryChange {
    /// `new` (no article before), `over` (none after), `growing` or `fading` (its share
    /// changed, q at most [`FDR`]), else `continuing`.
    pub fn status(&self) -> &'static str {
        let c = &self.change;
        match (c.before, c.after) {
            (0, _) => "new",
            (_, 0) => "over",
            _ if c.q_value <= FDR && c.z > 0.0 => "growing",
            _ if c.q_value <= FDR => "fading",
            _ => "continuing",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_ranges() {
        let w = DateRange::parse("2025-W19").unwrap();
        assert_eq!(w.first, NaiveDate::from_ymd_opt(2025, 5, 5).unwrap());
        assert_eq!(w.last, NaiveDate::from_ymd_opt(2025, 5, 11).unwrap());
        assert_eq!(w.to_string(), "2025-W19");
        let m = DateRange::parse("2024-02").unwrap();
        assert_eq!(m.last, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        let r = DateRange::parse("2025-05-01..2025-W20").unwrap();
        assert_eq!(r.last, NaiveDate::from_ymd_opt(2025, 5, 18).unwrap());
        assert!(r.contains(NaiveDate::from_ymd_opt(2025, 5, 10).unwrap()));
        assert!(DateRange::parse("last week").is_err());
        assert!(DateRange::parse("2025-W20..2025-W19").is_err());
    }

    #[test]
    fn reversed_periods_are_compared_as_given_with_a_warning() {
        let before = DateRange::parse("2025-W20").unwrap();
        let after = DateRange::parse("2025-W19").unwrap();
        let c = split_dated(Corpus::default(), &before, &after);
        assert!(c.warnings[0].contains("--before 2025-W20 is later than --after 2025-W19"));
        let c = split_dated(Corpus::default(), &after, &before);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn two_proportion_test() {
        // 10 of 100 before, 30 of 100 after: pooled 0.2, se = sqrt(0.2·0.8·0.02) = 0.0566,
        // z = 0.2 / 0.0566 = 3.5355, p = 0.000407.
        let c = ShareChange::new(10, 30, 100, 100);
        assert!((c.z - 3.535_533_9).abs() < 1e-6, "{}", c.z);
        assert!((c.p_value - 0.000_406_9).abs() < 1e-6, "{}", c.p_value);
        assert_eq!(c.status(), "continuing");
        assert_eq!(ShareChange::new(0, 5, 10, 10).status(), "new");
        assert_eq!(ShareChange::new(5, 0, 10, 10).status(), "vanished");
        assert!((p_value(1.959_964) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn q_values_are_benjamini_hochberg() {
        // Sorted 0.005, 0.01, 0.03, 0.04 of four: p·m/rank 0.02, 0.02, 0.04, 0.04, made
        // monotone from the largest down.
        let q = q_values(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.02, 0.04, 0.04, 0.02];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        // A p-value alone is its own q; q never exceeds 1.
        assert_eq!(q_values(&[0.3]), vec![0.3]);
        assert!(q_values(&[0.9, 0.95]).iter().all(|&q| q <= 1.0));
    }

    /// Hand-computed: two terms, before counts (8, 2), after (2, 8); pooled frequencies are
    /// 0.5 each so alpha = 500 per term. For term 1 after: log(508 / (10 + 1000 - 508)) =
    /// log(508/502); before: log(502/508). delta = 2·log(508/502) = 0.023763;
    /// variance = 1/508 + 1/502; z = 0.023763 / 0.062933 = 0.377588.
    #[test]
    fn log_odds_hand_computed() {
        let s = log_odds_shifts(&[8.0, 2.0, 0.0], &[2.0, 8.0, 0.0]);
        assert_eq!(s.len(), 2, "terms with no count are left out");
        let delta = 2.0 * (508.0f64 / 502.0).ln();
        let z = delta / (1.0 / 508.0 + 1.0 / 502.0f64).sqrt();
        assert!((s[1].delta - delta).abs() < 1e-12);
        assert!((s[1].delta - 0.023_763).abs() < 1e-6);
        assert!((s[1].z - z).abs() < 1e-12);
        assert!((s[1].z - 0.377_588).abs() < 1e-6, "{}", s[1].z);
        assert!((s[0].delta + s[1].delta).abs() < 1e-12, "symmetric");
    }

    #[test]
    fn disjoint_vocabularies_shift_apart() {
        let s = log_odds_shifts(&[5.0, 5.0, 0.0, 0.0], &[0.0, 0.0, 5.0, 5.0]);
        assert!(s[0].z < 0.0 && s[2].z > 0.0);
        assert!(log_odds_shifts(&[0.0], &[0.0]).is_empty());
    }
}
