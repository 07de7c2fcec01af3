//! The timeline's outputs: `timeline.parquet` (period × theme counts and shares, with each
//! theme's birth), `timeline.png` (stacked shares over the window: the top themes, the rest
//! as "other", births marked) and `timeline.md` (what rose, fell, was born or faded).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::error::Result;
use plotters::prelude::*;
use polars::prelude::*;

use super::charts::{ensure_font, legend, period_label, plot_err, theme_colour, FONT};
use super::write_parquet;
use crate::output::layout::*;
use crate::output::{self, write_atomic, Written};
use crate::timeline::Timeline;

const OWNED: [&str; 3] = [TIMELINE, TIMELINE_PNG, TIMELINE_MD];
/// Themes drawn as their own line; the rest are summed as "other".
pub const TOP_THEMES: usize = 8;

/// Writes the timeline's three files into `out`, as one unit.
pub fn write(t: &Timeline, out: &Path, cancel: Option<&AtomicBool>) -> Result<Written> {
    output::write_folder(out, &OWNED, cancel, |dir| {
        write_parquet(&dir.join(TIMELINE), table(t)?)?;
        write_atomic(&dir.join(TIMELINE_PNG), |tmp| chart(t, tmp))?;
        let md = story(t);
        write_atomic(&dir.join(TIMELINE_MD), |tmp| Ok(std::fs::write(tmp, &md)?))?;
        Ok(OWNED.to_vec())
    })
}

/// One row per period × theme, zeros included (a theme before its birth counts 0).
pub fn table(t: &Timeline) -> Result<DataFrame> {
    let ids = t.ids();
    let (mut period, mut start, mut run, mut id, mut name, mut count, mut share, mut born) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    for (p, per) in t.periods.iter().enumerate() {
        for &theme in &ids {
            period.push(per.label.clone());
            start.push((per.start - epoch).num_days() as i32);
            run.push(per.run.display().to_string());
            id.push(theme);
            name.push(t.name(theme));
            count.push(t.count(p, theme));
            share.push(t.share(p, theme));
            born.push(theme.and_then(|i| t.themes.get(&i)?.born.clone()));
        }
    }
    let n = period.len();
    Ok(DataFrame::new(
        n,
        vec![
            Column::new("period".into(), period),
            Series::new("period_start".into(), start)
                .cast(&DataType::Date)?
                .into_column(),
            Column::new("theme_id".into(), id),
            Column::new("name".into(), name),
            Column::new("count".into(), count),
            Column::new("share".into(), share),
            Column::new("born".into(), born),
            Column::new("run".into(), run),
        ],
    )?)
}

/// The themes drawn on their own: the largest over the window, plus any born in it.
fn drawn(t: &Timeline) -> Vec<i64> {
    let total = |id: i64| {
        (0..t.periods.len())
            .map(|p| t.count(p, Some(id)))
            .sum::<i64>()
    };
    let mut ids: Vec<i64> = t.themes.keys().copied().collect();
    ids.sort_by_key(|&id| (std::cmp::Reverse(total(id)), id));
    let mut top: Vec<i64> = ids.iter().copied().take(TOP_THEMES).collect();
    for &id in &ids[TOP_THEMES.min(ids.len())..] {
        if t.birth_in_window(id).is_some() {
            top.push(id);
        }
    }
    top
}

/// Stacked shares: the drawn themes from the bottom (largest first, then those born in the
/// window), the other themes together on top, so each period's column is all its articles.
/// Colours go by place in the stack (the palette's 20 are distinct there), births are marked
/// with a triangle where their band starts.
fn chart(t: &Timeline, path: &Path) -> Result<()> {
    ensure_font()?;
    let n = t.periods.len();
    let top = drawn(t);
    let (w, h) = (1400u32, 640u32.max(100 + 24 * (top.len() as u32 + 1)));
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let (plot_area, legend_area) = root.split_horizontally(w - 440);
    let title = format!(
        "Theme shares per period, {} to {} ({} runs)",
        t.periods[0].label,
        t.periods[n - 1].label,
        t.runs().len()
    );
    let labels: Vec<String> = t.periods.iter().map(|p| p.label.clone()).collect();
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, (FONT, 22))
        .margin(14)
        .x_label_area_size(60)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..(n as f64 - 1.0).max(1.0), 0f64..100.0)
        .map_err(plot_err)?;
    let step = n.div_ceil(14).max(1);
    chart
        .configure_mesh()
        .x_labels(n.min(40))
        .x_label_formatter(&|x| period_label(&labels, step, *x))
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .light_line_style(TRANSPARENT)
        .y_desc("share of the period's articles")
        .label_style((FONT, 14))
        .draw()
        .map_err(plot_err)?;
    // Cumulative tops of each band, bottom band first; the last band (other) reaches 100%.
    let mut tops: Vec<Vec<f64>> = Vec::with_capacity(top.len() + 1);
    let mut below = vec![0.0; n];
    for &id in &top {
        for (p, b) in below.iter_mut().enumerate() {
            *b += 100.0 * t.share(p, Some(id));
        }
        tops.push(below.clone());
    }
    tops.push(vec![100.0; n]);
    let grey = RGBColor(205, 205, 205);
    let colour = |band: usize| {
        if band < top.len() {
            theme_colour(band)
        } else {
            grey
        }
    };
    // Painted from the top band down, each area from 0, so each shows only its own band.
    for band in (0..tops.len()).rev() {
        let points: Vec<(f64, f64)> = tops[band]
            .iter()
            .enumerate()
            .map(|(p, &y)| (p as f64, y))
            .collect();
        chart
            .draw_series(AreaSeries::new(points, 0.0, colour(band).filled()).border_style(WHITE))
            .map_err(plot_err)?;
    }
    for (band, &id) in top.iter().enumerate() {
        if let Some(p) = t.birth_in_window(id) {
            let base = if band == 0 { 0.0 } else { tops[band - 1][p] };
            chart
                .draw_series(std::iter::once(TriangleMarker::new(
                    (p as f64, base + 1.2),
                    9,
                    BLACK.filled(),
                )))
                .map_err(plot_err)?;
        }
    }
    let entries = top
        .iter()
        .enumerate()
        .map(|(band, &id)| {
            let born = t
                .birth_in_window(id)
                .map(|p| format!("  ▲ born {}", t.periods[p].label))
                .unwrap_or_default();
            (colour(band), format!("T{id}  {}{born}", t.name(Some(id))))
        })
        .chain(std::iter::once((grey, "other themes".to_string())));
    // The legend reads top to bottom as the stack does.
    let entries: Vec<(RGBColor, String)> = entries.collect();
    legend(&legend_area, entries.into_iter().rev())?;
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Stories kept to list: the longest-running and the fastest-growing.
const STORIES_LISTED: usize = 10;

/// The longest-running stories (at least three articles) and those that grew most in the last
/// run against the one before.
fn stories(s: &mut String, t: &Timeline) {
    let mut long: Vec<&crate::timeline::StoryLine> =
        t.stories.iter().filter(|x| x.articles() >= 3).collect();
    if long.is_empty() {
        return;
    }
    long.sort_by_key(|x| (std::cmp::Reverse((x.days(), x.articles())), x.id));
    let line = |x: &crate::timeline::StoryLine| {
        let runs = x.per_run.iter().filter(|&&n| n > 0).count();
        format!(
            "- **S{} {}**: {} articles in {runs} runs, {} to {} ({} days)",
            x.id,
            x.name.replace('|', "\\|"),
            x.articles(),
            x.first.map_or("?".into(), |d| d.to_string()),
            x.last.map_or("?".into(), |d| d.to_string()),
            x.days()
        )
    };
    s.push_str("\n## Longest-running stories\n\n");
    for x in long.iter().take(STORIES_LISTED) {
        let _ = writeln!(s, "{}", line(x));
    }
    let runs = t.stories.first().map_or(0, |x| x.per_run.len());
    if runs >= 2 {
        let growth = |x: &crate::timeline::StoryLine| x.per_run[runs - 1] - x.per_run[runs - 2];
        let mut growing: Vec<&crate::timeline::StoryLine> = t
            .stories
            .iter()
            .filter(|x| growth(x) > 0 && x.per_run[runs - 1] >= 2)
            .collect();
        growing.sort_by_key(|x| (std::cmp::Reverse(growth(x)), x.id));
        s.push_str("\n## Fastest-growing stories\n\n");
        if growing.is_empty() {
            s.push_str("No story grew in the last run.\n");
        }
        for x in growing.iter().take(STORIES_LISTED / 2) {
            let _ = writeln!(
                s,
                "- **S{} {}**: {} → {} articles (the last two runs)",
                x.id,
                x.name.replace('|', "\\|"),
                x.per_run[runs - 2],
                x.per_run[runs - 1]
            );
        }
    }
}

/// `timeline.md`: the window, then the themes that rose, fell, were born and faded, and the
/// stories that ran longest and grew fastest.
pub fn story(t: &Timeline) -> String {
    let n = t.periods.len();
    let mut s = format!(
        "# Timeline: {} to {}\n\n{} periods from {} runs, {} articles",
        t.periods[0].label,
        t.periods[n - 1].label,
        n,
        t.runs().len(),
        t.total()
    );
    let undated: i64 = t.undated.iter().map(|u| u.1).sum();
    if undated > 0 {
        let _ = write!(s, " ({undated} undated left out)");
    }
    s.push_str(".\n");
    let m = t.movers();
    let theme = |id: i64| format!("T{id} {}", t.name(Some(id)).replace('|', "\\|"));
    let half = n / 2;
    let (first, second) = (
        format!(
            "{}..{}",
            t.periods[0].label,
            t.periods[half.saturating_sub(1)].label
        ),
        format!(
            "{}..{}",
            t.periods[half.min(n - 1)].label,
            t.periods[n - 1].label
        ),
    );
    let changes = |title: &str, list: &[(i64, f64)]| {
        let mut s = format!("\n## {title}\n\n");
        if list.is_empty() {
            let _ = writeln!(
                s,
                "None by {} points or more.",
                crate::timeline::MOVE_POINTS
            );
        }
        for &(id, points) in list {
            let _ = writeln!(
                s,
                "- **{}**: mean share {points:+.1} points ({second} against {first})",
                theme(id)
            );
        }
        s
    };
    if n >= 2 {
        s.push_str(&changes("Rose", &m.rose));
        s.push_str(&changes("Fell", &m.fell));
    }
    s.push_str("\n## Born\n\n");
    if m.born.is_empty() {
        s.push_str("No theme was born in the window.\n");
    }
    for &(id, p) in &m.born {
        let articles: i64 = (p..n).map(|q| t.count(q, Some(id))).sum();
        let _ = writeln!(
            s,
            "- **{}**: born {}, {articles} articles since",
            theme(id),
            t.periods[p].label
        );
    }
    stories(&mut s, t);
    s.push_str("\n## Faded\n\n");
    if m.faded.is_empty() {
        s.push_str("Every theme had articles in the last period.\n");
    }
    for &id in &m.faded {
        let last = (0..n)
            .rev()
            .find(|&p| t.count(p, Some(id)) > 0)
            .unwrap_or(0);
        let _ = writeln!(
            s,
            "- **{}**: none in {}, last seen {}",
            theme(id),
            t.periods[n - 1].label,
            t.periods[last].label
        );
    }
    s
}
