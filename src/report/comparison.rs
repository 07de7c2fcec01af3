//! Outputs of `tidings compare`: the comparison tables, their two charts and `compare.md`,
//! written next to the usual run outputs of the combined corpus.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use plotters::style::RGBColor;
use polars::prelude::*;

use super::charts::{diverging_bars, theme_colour};
use super::write_parquet;
use crate::compare::{Comparison, TermShift};
use crate::output::layout::*;
use crate::output::write_atomic;

/// Every file [`write`] writes, in its order.
pub const OUTPUTS: [&str; 6] = [
    COMPARISON,
    KEYWORD_SHIFTS,
    STORY_COMPARISON,
    COMPARE_PNG,
    COMPARE_TERMS_PNG,
    COMPARE_MD,
];

/// Terms kept per scope and direction in `keyword_shifts.parquet`.
pub const SHIFTS_KEPT: usize = 50;
/// |z| above which a change is called significant (two-sided 5%).
const Z_SIGNIFICANT: f64 = 1.96;

/// `story_comparison.parquet`: per story of more than one report, its articles on each side,
/// the test of its share and its status.
pub fn story_table(c: &Comparison) -> Result<DataFrame> {
    let a = &c.analysis;
    let rows = &c.stories;
    let story = |r: &crate::compare::StoryChange| &a.stories.stories[r.story];
    let col_i = |f: &dyn Fn(&crate::compare::StoryChange) -> i64| -> Vec<i64> {
        rows.iter().map(f).collect()
    };
    let col_f = |f: &dyn Fn(&crate::compare::StoryChange) -> f64| -> Vec<f64> {
        rows.iter().map(f).collect()
    };
    Ok(DataFrame::new(
        rows.len(),
        vec![
            Column::new("story_id".into(), col_i(&|r| story(r).id as i64)),
            Column::new(
                "name".into(),
                rows.iter()
                    .map(|r| story(r).name.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "theme_id".into(),
                col_i(&|r| a.themes.themes[story(r).theme].id as i64),
            ),
            Column::new("count_before".into(), col_i(&|r| r.change.before as i64)),
            Column::new("count_after".into(), col_i(&|r| r.change.after as i64)),
            Column::new("share_before".into(), col_f(&|r| r.change.share_before)),
            Column::new("share_after".into(), col_f(&|r| r.change.share_after)),
            Column::new("z".into(), col_f(&|r| r.change.z)),
            Column::new("p_value".into(), col_f(&|r| r.change.p_value)),
            Column::new("q_value".into(), col_f(&|r| r.change.q_value)),
            Column::new(
                "status".into(),
                rows.iter().map(|r| r.status()).collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// The stories section of `compare.md`: new, growing and over, largest first.
fn stories_section(s: &mut String, c: &Comparison) {
    let a = &c.analysis;
    let _ = writeln!(
        s,
        "## Stories

{} stories of more than one report (`story_comparison.parquet`; a story \
         is growing or fading when its share changed with a Benjamini-Hochberg q-value of at \
         most 0.05 over the stories).
",
        c.stories.len()
    );
    for (status, title, by_after) in [
        ("new", "New", true),
        ("growing", "Growing", true),
        ("over", "Over", false),
        ("fading", "Fading", false),
    ] {
        let mut rows: Vec<&crate::compare::StoryChange> =
            c.stories.iter().filter(|r| r.status() == status).collect();
        if rows.is_empty() {
            continue;
        }
        let size = |r: &crate::compare::StoryChange| {
            if by_after {
                r.change.after
            } else {
                r.change.before
            }
        };
        rows.sort_by_key(|r| (std::cmp::Reverse(size(r)), r.story));
        let _ = writeln!(
            s,
            "**{title}** ({}):
",
            rows.len()
        );
        for r in rows.iter().take(8) {
            let st = &a.stories.stories[r.story];
            let _ = writeln!(
                s,
                "- S{} {} ({} → {} articles): {}",
                st.id,
                st.name.replace('|', "\\|"),
                r.change.before,
                r.change.after,
                a.headline(st.central, 100)
            );
        }
        let _ = writeln!(s);
    }
}

/// `comparison.parquet`: per theme, its counts and shares on each side and the change.
pub fn comparison_table(c: &Comparison) -> Result<DataFrame> {
    let t = &c.analysis.themes.themes;
    let ch = &c.themes;
    Ok(DataFrame::new(
        t.len(),
        vec![
            Column::new(
                "theme_id".into(),
                t.iter().map(|x| x.id as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "name".into(),
                t.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "label".into(),
                t.iter().map(|x| x.label.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "count_before".into(),
                ch.iter().map(|x| x.before as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "count_after".into(),
                ch.iter().map(|x| x.after as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "share_before".into(),
                ch.iter().map(|x| x.share_before).collect::<Vec<_>>(),
            ),
            Column::new(
                "share_after".into(),
                ch.iter().map(|x| x.share_after).collect::<Vec<_>>(),
            ),
            Column::new(
                "count_change".into(),
                ch.iter()
                    .map(|x| x.after as i64 - x.before as i64)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "share_change".into(),
                ch.iter()
                    .map(|x| x.share_after - x.share_before)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "relative_change".into(),
                ch.iter()
                    .map(|x| (x.share_before > 0.0).then(|| x.share_after / x.share_before - 1.0))
                    .collect::<Vec<_>>(),
            ),
            Column::new("z".into(), ch.iter().map(|x| x.z).collect::<Vec<_>>()),
            Column::new(
                "p_value".into(),
                ch.iter().map(|x| x.p_value).collect::<Vec<_>>(),
            ),
            Column::new(
                "q_value".into(),
                ch.iter().map(|x| x.q_value).collect::<Vec<_>>(),
            ),
            Column::new(
                "status".into(),
                ch.iter().map(|x| x.status()).collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// The strongest risers and fallers of one set of shifts, by z.
fn extremes(shifts: &[TermShift], n: usize) -> Vec<TermShift> {
    let mut sorted = shifts.to_vec();
    sorted.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.term.cmp(&b.term)));
    let rising = sorted.iter().take_while(|s| s.z > 0.0).take(n).copied();
    let falling = sorted
        .iter()
        .rev()
        .take_while(|s| s.z < 0.0)
        .take(n)
        .copied();
    rising.chain(falling).collect()
}

/// `keyword_shifts.parquet`: the most rising and falling terms, overall and per theme.
pub fn shifts_table(c: &Comparison) -> Result<DataFrame> {
    let a = &c.analysis;
    let term = |s: &TermShift| a.term_name(s.term);
    let mut rows: Vec<(Option<usize>, TermShift)> = extremes(&c.overall_shifts, SHIFTS_KEPT)
        .into_iter()
        .map(|s| (None, s))
        .collect();
    for (t, shifts) in c.theme_shifts.iter().enumerate() {
        rows.extend(
            extremes(shifts, SHIFTS_KEPT)
                .into_iter()
                .map(|s| (Some(t), s)),
        );
    }
    let labels = &a.themes.themes;
    Ok(DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "scope".into(),
                rows.iter()
                    .map(|r| if r.0.is_some() { "theme" } else { "overall" })
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "theme_id".into(),
                rows.iter()
                    .map(|r| r.0.map(|t| labels[t].id as i64))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "theme_label".into(),
                rows.iter()
                    .map(|r| r.0.map(|t| labels[t].name.clone()))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "term".into(),
                rows.iter().map(|r| term(&r.1)).collect::<Vec<_>>(),
            ),
            Column::new(
                "count_before".into(),
                rows.iter().map(|r| r.1.before).collect::<Vec<_>>(),
            ),
            Column::new(
                "count_after".into(),
                rows.iter().map(|r| r.1.after).collect::<Vec<_>>(),
            ),
            Column::new(
                "log_odds_ratio".into(),
                rows.iter().map(|r| r.1.delta).collect::<Vec<_>>(),
            ),
            Column::new("z".into(), rows.iter().map(|r| r.1.z).collect::<Vec<_>>()),
            Column::new(
                "direction".into(),
                rows.iter()
                    .map(|r| if r.1.z > 0.0 { "rising" } else { "falling" })
                    .collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// The significant shifts in one direction, strongest first (ties by term index).
fn significant_shifts(shifts: &[TermShift], rising: bool) -> Vec<&TermShift> {
    let mut v: Vec<&TermShift> = shifts
        .iter()
        .filter(|s| {
            if rising {
                s.z >= Z_SIGNIFICANT
            } else {
                s.z <= -Z_SIGNIFICANT
            }
        })
        .collect();
    v.sort_by(|x, y| y.z.abs().total_cmp(&x.z.abs()).then(x.term.cmp(&y.term)));
    v
}

fn story(c: &Comparison) -> String {
    let a = &c.analysis;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# What changed: {} → {}\n\n{} articles before, {} after; {} themes fitted on both together.\n",
        c.before_name,
        c.after_name,
        c.n_before,
        c.n_after,
        a.themes.themes.len()
    );
    let order = crate::compare::largest_first(&c.themes);
    let _ = writeln!(s, "## The story\n");
    for &t in &order {
        let ch = &c.themes[t];
        let theme = &a.themes.themes[t];
        let significant = ch.q_value <= crate::compare::FDR;
        let mut line = format!(
            "- **T{} {}**: {} → {} articles, share {:.1}% → {:.1}% ({:+.1} points, z {:.1}, q {:.3}{})",
            theme.id,
            theme.name,
            ch.before,
            ch.after,
            ch.share_before * 100.0,
            ch.share_after * 100.0,
            (ch.share_after - ch.share_before) * 100.0,
            ch.z,
            ch.q_value,
            if significant { ", significant" } else { "" }
        );
        match ch.status() {
            "new" => line.push_str(", **new this period**"),
            "vanished" => line.push_str(", **gone this period**"),
            _ => {}
        }
        let rising: Vec<String> = significant_shifts(&c.theme_shifts[t], true)
            .iter()
            .take(3)
            .map(|x| a.term_name(x.term))
            .collect();
        if !rising.is_empty() {
            let _ = write!(line, "; rising terms: {}", rising.join(", "));
        }
        let _ = writeln!(s, "{line}");
    }
    let terms = |up: bool| {
        significant_shifts(&c.overall_shifts, up)
            .iter()
            .take(12)
            .map(|x| format!("{} (z {:+.1})", a.term_name(x.term), x.z))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        s,
        "\n**Rising overall:** {}\n\n**Falling overall:** {}\n",
        terms(true),
        terms(false)
    );
    let _ = writeln!(
        s,
        "Share changes are tested with a two-proportion z-test, every theme at once: a change is \
         significant when its Benjamini-Hochberg q-value is at most 0.05 (a false discovery rate \
         of 5% over the themes); \
         term shifts are log-odds ratios with an informative Dirichlet prior (Monroe, Colaresi and \
         Quinn 2008), ranked by z.\n"
    );
    stories_section(&mut s, c);
    let _ = writeln!(
        s,
        "## Share change per theme\n\n![Share change per theme]({COMPARE_PNG})\n\n## Rising and falling terms\n\n![Rising and falling terms]({COMPARE_TERMS_PNG})\n"
    );
    let _ = writeln!(
        s,
        "## Table\n\n| theme | name | before | after | share before | share after | change (points) | z | q | status |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for (t, ch) in c.themes.iter().enumerate() {
        let _ = writeln!(
            s,
            "| T{} | {} | {} | {} | {:.1}% | {:.1}% | {:+.1} | {:.2} | {:.3} | {} |",
            a.themes.themes[t].id,
            a.themes.themes[t].name.replace('|', "\\|"),
            ch.before,
            ch.after,
            ch.share_before * 100.0,
            ch.share_after * 100.0,
            (ch.share_after - ch.share_before) * 100.0,
            ch.z,
            ch.q_value,
            ch.status()
        );
    }
    let _ = writeln!(
        s,
        "\nThe themes themselves, with their most central headlines, are in `summary.md`."
    );
    s
}

/// Writes a comparison's tables, charts and story into `out`; returns their names.
pub(super) fn write(c: &Comparison, out: &Path) -> Result<Vec<&'static str>> {
    let path = |n: &str| out.join(n);
    write_parquet(&path(COMPARISON), comparison_table(c)?)?;
    write_parquet(&path(KEYWORD_SHIFTS), shifts_table(c)?)?;
    write_parquet(&path(STORY_COMPARISON), story_table(c)?)?;

    let a = &c.analysis;
    let mut order: Vec<usize> = (0..c.themes.len()).collect();
    let change = |t: usize| c.themes[t].share_after - c.themes[t].share_before;
    order.sort_by(|&x, &y| change(y).total_cmp(&change(x)).then(x.cmp(&y)));
    let bars: Vec<(String, f64, RGBColor)> = order
        .iter()
        .map(|&t| {
            (
                format!("T{}  {}", a.themes.themes[t].id, a.themes.themes[t].name),
                change(t) * 100.0,
                theme_colour(a.themes.themes[t].id),
            )
        })
        .collect();
    let title = format!(
        "Change in share of articles per theme, {} → {}",
        c.before_name, c.after_name
    );
    write_atomic(&path(COMPARE_PNG), |tmp| {
        diverging_bars(tmp, &title, "share change (percentage points)", &bars)
    })?;

    let terms: Vec<(String, f64, RGBColor)> = extremes(&c.overall_shifts, 12)
        .iter()
        .map(|s| {
            let colour = if s.z > 0.0 {
                RGBColor(44, 160, 44)
            } else {
                RGBColor(214, 39, 40)
            };
            (a.term_name(s.term), s.z, colour)
        })
        .collect();
    let title = format!(
        "Rising and falling terms, {} → {} (log-odds z-score)",
        c.before_name, c.after_name
    );
    write_atomic(&path(COMPARE_TERMS_PNG), |tmp| {
        diverging_bars(tmp, &title, "z-score of the log-odds ratio", &terms)
    })?;

    let md = story(c);
    write_atomic(&path(COMPARE_MD), |tmp| Ok(std::fs::write(tmp, &md)?))?;
    Ok(OUTPUTS.to_vec())
}
