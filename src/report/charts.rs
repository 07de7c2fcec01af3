//! PNG charts. Text is drawn with DejaVu Sans compiled into the binary, so charts are legible
//! on machines with no fonts installed (servers, CI, containers). Each theme keeps one colour
//! in every chart of a run.

use std::path::Path;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::Overview;
use crate::pipeline::Analysis;
use crate::themes::Theme;
use crate::trends::Bucket;

pub(super) const FONT: &str = "sans-serif";
static DEJAVU: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Tableau 20: distinguishable colours, in an order where neighbours differ.
const PALETTE: [(u8, u8, u8); 20] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
    (174, 199, 232),
    (255, 187, 120),
    (152, 223, 138),
    (255, 152, 150),
    (197, 176, 213),
    (196, 156, 148),
    (247, 182, 210),
    (199, 199, 199),
    (219, 219, 141),
    (158, 218, 229),
];

pub fn theme_colour(theme: usize) -> RGBColor {
    let (r, g, b) = PALETTE[theme % PALETTE.len()];
    RGBColor(r, g, b)
}

/// WCAG relative luminance of an sRGB colour (0 black, 1 white).
fn luminance(RGBColor(r, g, b): RGBColor) -> f64 {
    let lin = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// Contrast of a colour against the white chart background, as WCAG defines it (1 to 21).
fn contrast_on_white(c: RGBColor) -> f64 {
    1.05 / (luminance(c) + 0.05)
}

/// Contrast a line needs against white: WCAG's bar for graphics that carry meaning.
const LINE_CONTRAST: f64 = 3.0;

/// `c` darkened, its hue kept (every channel scaled by one factor), until it has 3:1
/// contrast with white; black if no lesser factor gets there.
fn readable_on_white(RGBColor(r, g, b): RGBColor) -> RGBColor {
    let scaled = |f: f64| {
        let s = |c: u8| (c as f64 * f).round() as u8;
        RGBColor(s(r), s(g), s(b))
    };
    (0..100)
        .map(|i| scaled(1.0 - i as f64 / 100.0))
        .find(|&c| contrast_on_white(c) >= LINE_CONTRAST)
        .unwrap_or(BLACK)
}

/// A theme's colour for thin lines and dots. Tableau 20's pale half (1.4-1.8:1) is fine for
/// bars and areas but a 2-pixel trend line in it could hardly be seen; fills keep
/// [`theme_colour`].
fn theme_line_colour(theme: usize) -> RGBColor {
    readable_on_white(theme_colour(theme))
}

pub(super) fn ensure_font() -> Result<()> {
    static LOADED: OnceLock<bool> = OnceLock::new();
    if *LOADED.get_or_init(|| register_font(FONT, FontStyle::Normal, DEJAVU).is_ok()) {
        Ok(())
    } else {
        Err(Error::Chart(
            "the embedded DejaVu Sans font could not be loaded".into(),
        ))
    }
}

pub(super) fn plot_err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Chart(format!("{e:?}"))
}

/// Shortens long labels on a character boundary.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// A bar's label, right-aligned just left of the plot at the bar's height.
fn left_label(
    root: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    (px, py): (i32, i32),
    text: String,
) -> Result<()> {
    root.draw(&Text::new(
        text,
        (px - 8, py),
        (FONT, 15)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center)),
    ))
    .map_err(plot_err)
}

/// "T0  oil · opec · crude · barrels", for the theme at position `t`.
fn theme_name(themes: &[Theme], t: usize) -> String {
    let theme = &themes[t];
    format!("T{}  {}", theme.id, clip(&theme.name, 48))
}

/// Horizontal bars, largest theme on top, each labelled with its name and count.
pub fn theme_frequency(o: &Overview, path: &Path) -> Result<()> {
    ensure_font()?;
    let themes = &o.themes;
    let k = themes.len();
    let (w, h) = (1200u32, 110 + 34 * k as u32);
    // Room for the longest label (about 8 px a character at this size) and no more.
    let longest = (0..k)
        .map(|t| theme_name(o.themes, t).chars().count())
        .max()
        .unwrap_or(10);
    let label_w = (longest as u32 * 8 + 30).clamp(150, 520);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let max = themes.iter().map(|t| t.size).max().unwrap_or(1).max(1) as f64;
    let title = format!(
        "Articles per theme: {} articles, {} themes{}",
        o.articles,
        k,
        date_span(o)
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(12)
        .margin_left(label_w)
        .x_label_area_size(36)
        .build_cartesian_2d(0f64..max * 1.12, -0.5f64..k as f64 - 0.5)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .light_line_style(TRANSPARENT)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("articles")
        .label_style((FONT, 14))
        .draw()
        .map_err(plot_err)?;
    for (i, t) in themes.iter().enumerate() {
        let y = (k - 1 - i) as f64;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.35), (t.size as f64, y + 0.35)],
                theme_colour(t.id).filled(),
            )))
            .map_err(plot_err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!(" {} ({:.0}%)", t.size, t.share * 100.0),
                (t.size as f64, y),
                (FONT, 14)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            )))
            .map_err(plot_err)?;
        left_label(
            &root,
            chart.backend_coord(&(0.0, y)),
            theme_name(o.themes, i),
        )?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// What both trend charts plot: the dated buckets (undated articles cannot sit on a time
/// axis), their labels, one y scale for every theme, and a title that says what and when.
struct TrendSeries {
    dated: Vec<usize>,
    labels: Vec<String>,
    max: f64,
    title: String,
}

fn trend_series(o: &Overview) -> TrendSeries {
    let tr = &o.trends;
    let (dated, undated): (Vec<usize>, Vec<usize>) =
        (0..tr.buckets.len()).partition(|&b| tr.buckets[b] != Bucket::Undated);
    let labels = dated.iter().map(|&b| tr.buckets[b].to_string()).collect();
    let max = dated
        .iter()
        .flat_map(|&b| tr.counts[b].iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut title = format!("Articles per theme per {}{}", tr.period, date_span(o));
    let n_undated: usize = undated.iter().map(|&b| tr.period_total(b)).sum();
    if n_undated > 0 {
        title.push_str(&format!(" ({n_undated} undated not shown)"));
    }
    TrendSeries {
        dated,
        labels,
        max,
        title,
    }
}

fn theme_trends_small_multiples(o: &Overview, path: &Path) -> Result<()> {
    let tr = &o.trends;
    let TrendSeries {
        dated,
        labels,
        max,
        title,
    } = trend_series(o);
    let k = o.themes.len();
    let cols = 4usize;
    let rows = k.div_ceil(cols);
    let (w, h) = (1600u32, 80 + 230 * rows as u32);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let body = root.titled(&title, (FONT, 24)).map_err(plot_err)?;
    let panels = body.split_evenly((rows, cols));
    let n = dated.len().max(1);
    let first = labels.first().cloned().unwrap_or_default();
    let last = labels.last().cloned().unwrap_or_default();
    for (t, panel) in panels.iter().enumerate().take(k) {
        let colour = theme_colour(o.themes[t].id);
        let mut chart = ChartBuilder::on(panel)
            .caption(theme_name(o.themes, t), (FONT, 14))
            .margin(8)
            .x_label_area_size(22)
            .y_label_area_size(34)
            .build_cartesian_2d(-0.3f64..(n as f64 - 0.7).max(0.7), 0f64..max * 1.1)
            .map_err(plot_err)?;
        let (f, l) = (first.clone(), last.clone());
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(2)
            .y_labels(4)
            .x_label_formatter(&move |x| {
                if x.round() == 0.0 {
                    f.clone()
                } else if (x.round() as usize) == n - 1 {
                    l.clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 11))
            .draw()
            .map_err(plot_err)?;
        let points: Vec<(f64, f64)> = dated
            .iter()
            .enumerate()
            .map(|(x, &b)| (x as f64, tr.counts[b][t] as f64))
            .collect();
        chart
            .draw_series(AreaSeries::new(points.clone(), 0.0, colour.mix(0.25)))
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(
                points,
                theme_line_colour(o.themes[t].id).stroke_width(2),
            ))
            .map_err(plot_err)?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// ", 1987-W10 to 1987-W15" (or one period, or nothing when no article has a date).
fn date_span(o: &Overview) -> String {
    let mut dated = o.trends.buckets.iter().filter(|b| b.start().is_some());
    match (dated.next(), dated.next_back()) {
        (Some(f), Some(l)) => format!(", {f} to {l}"),
        (Some(f), None) => format!(", {f}"),
        _ => String::new(),
    }
}

/// Themes beyond which one chart of lines becomes a tangle: small multiples instead.
const MAX_LINES: usize = 6;

/// Articles per theme per period as lines, with the legend beside the plot so it never hides
/// a line; with more than six themes, one small chart per theme on a shared time axis.
/// Undated articles cannot be placed on a time axis; the title says how many.
pub fn theme_trends(o: &Overview, path: &Path) -> Result<()> {
    ensure_font()?;
    if o.themes.len() > MAX_LINES {
        return theme_trends_small_multiples(o, path);
    }
    let tr = &o.trends;
    let TrendSeries {
        dated,
        labels,
        max,
        title,
    } = trend_series(o);
    let k = o.themes.len();
    let (w, h) = (1400u32, 620u32.max(90 + 24 * k as u32));
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let (plot_area, legend_area) = root.split_horizontally(w - 440);
    let n = dated.len().max(1);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, (FONT, 22))
        .margin(14)
        .x_label_area_size(60)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.3f64..(n as f64 - 0.7).max(0.7), 0f64..max * 1.1)
        .map_err(plot_err)?;
    let step = n.div_ceil(14).max(1);
    chart
        .configure_mesh()
        .x_labels(n.min(40))
        .x_label_formatter(&|x| period_label(&labels, step, *x))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(TRANSPARENT)
        .y_desc("articles")
        .x_desc(tr.period.to_string())
        .label_style((FONT, 14))
        .draw()
        .map_err(plot_err)?;
    let colours: Vec<RGBColor> = o.themes.iter().map(|t| theme_line_colour(t.id)).collect();
    for (t, &colour) in colours.iter().enumerate() {
        let points: Vec<(f64, f64)> = dated
            .iter()
            .enumerate()
            .map(|(x, &b)| (x as f64, tr.counts[b][t] as f64))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
            .map_err(plot_err)?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
            .map_err(plot_err)?;
    }
    let entries = (0..k).map(|t| (colours[t], theme_name(o.themes, t)));
    legend(&legend_area, entries)?;
    root.present().map_err(plot_err)?;
    Ok(())
}

/// The top stories' lifelines: one row each (in order of their first article), a line from
/// their first day to their last and a dot per day sized by its articles, in their theme's
/// colour. Stories without dates cannot be placed in time: the chart says so.
pub fn story_lifelines(a: &Analysis, path: &Path) -> Result<()> {
    ensure_font()?;
    let top = a.stories.top(&a.articles);
    let rows: Vec<&crate::stories::Story> = top
        .all()
        .into_iter()
        .filter(|s| s.first.is_some())
        .collect();
    let epoch = |d: chrono::NaiveDate| i64::from(crate::corpus::day_number(d));
    let first = rows.iter().filter_map(|s| s.first).min();
    let last = rows.iter().filter_map(|s| s.last).max();
    let n = rows.len().max(1);
    let (w, h) = (1400u32, 120 + 34 * n as u32);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let (Some(first), Some(last)) = (first, last) else {
        root.draw(&Text::new(
            "No story of more than one dated article",
            (w as i32 / 2, h as i32 / 2),
            (FONT, 20)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
        return Ok(());
    };
    let label = |s: &crate::stories::Story| {
        format!("S{}  {} ({})", s.id, clip(&s.name, 44), s.size() + s.copies)
    };
    let longest = rows
        .iter()
        .map(|s| label(s).chars().count())
        .max()
        .unwrap_or(10);
    let label_w = (longest as u32 * 8 + 30).clamp(150, 560);
    let (x0, x1) = (epoch(first) as f64, epoch(last) as f64);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Top stories, articles per day, {} to {}",
                first.format("%Y-%m-%d"),
                last.format("%Y-%m-%d")
            ),
            (FONT, 22),
        )
        .margin(14)
        .margin_left(label_w)
        .x_label_area_size(40)
        .build_cartesian_2d(x0 - 0.7..x1 + 0.7, -0.5f64..n as f64 - 0.5)
        .map_err(plot_err)?;
    let days = (x1 - x0) as usize + 1;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .light_line_style(TRANSPARENT)
        .x_labels(days.min(12))
        .x_label_formatter(&|x| {
            let d = crate::corpus::from_day_number(x.round() as i32);
            d.format("%b %-d").to_string()
        })
        .label_style((FONT, 14))
        .draw()
        .map_err(plot_err)?;
    let counts: Vec<Vec<(i64, usize)>> = rows.iter().map(|s| per_day(a, s)).collect();
    let peak = counts
        .iter()
        .flatten()
        .map(|&(_, c)| c)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    for (i, (s, days)) in rows.iter().zip(counts).enumerate() {
        let y = (n - 1 - i) as f64;
        let theme = a.themes.themes[s.theme].id;
        let colour = theme_line_colour(theme);
        // Its first day to its last (the rows are the dated stories).
        let span: Vec<(f64, f64)> = [days.first(), days.last()]
            .into_iter()
            .flatten()
            .map(|&(d, _)| (d as f64, y))
            .collect();
        chart
            .draw_series(std::iter::once(PathElement::new(
                span,
                colour.stroke_width(2),
            )))
            .map_err(plot_err)?;
        chart
            .draw_series(days.into_iter().map(|(day, c)| {
                let r = (3.0 + 11.0 * (c as f64 / peak).sqrt()).round() as i32;
                Circle::new((day as f64, y), r, theme_colour(theme).filled())
            }))
            .map_err(plot_err)?;
        left_label(&root, chart.backend_coord(&(x0 - 0.7, y)), label(s))?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Who covers what: one row per source (the [`SOURCES_SHOWN`] with most articles and copies),
/// one column per theme, each cell shaded by the share of the source's articles in the theme
/// and showing it in percent.
pub fn source_coverage(a: &Analysis, path: &Path) -> Result<()> {
    ensure_font()?;
    let themes = &a.themes.themes;
    let k = themes.len();
    let mut cells: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for ((source, t), (n, c)) in super::tables::source_theme_counts(a) {
        cells.entry(source).or_insert_with(|| vec![0; k])[t] += (n + c) as usize;
    }
    let mut rows: Vec<(String, Vec<usize>)> = cells.into_iter().collect();
    rows.sort_by_key(|(s, c)| (std::cmp::Reverse(c.iter().sum::<usize>()), s.clone()));
    rows.truncate(SOURCES_SHOWN);
    let n = rows.len().max(1);
    let label_w = 230u32;
    let cell_w = 64u32;
    let (w, h) = (label_w + cell_w * k as u32 + 40, 210 + 30 * n as u32);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let text = |s: String, at: (i32, i32), size: u32, pos: Pos| {
        root.draw(&Text::new(
            s,
            at,
            (FONT, size).into_font().color(&BLACK).pos(pos),
        ))
        .map_err(plot_err)
    };
    text(
        format!(
            "Who covers what: share of each source's articles per theme ({} sources)",
            rows.len()
        ),
        (w as i32 / 2, 20),
        20,
        Pos::new(HPos::Center, VPos::Center),
    )?;
    let top = 175;
    for (t, th) in themes.iter().enumerate() {
        let x = (label_w + cell_w * t as u32 + cell_w / 2) as i32;
        root.draw(&Text::new(
            format!("T{} {}", th.id, clip(&th.name, 14)),
            (x, top - 8),
            (FONT, 13)
                .into_font()
                .transform(FontTransform::Rotate270)
                .color(&BLACK),
        ))
        .map_err(plot_err)?;
    }
    for (r, (source, counts)) in rows.iter().enumerate() {
        let y = top + 30 * r as i32;
        text(
            clip(source, 28),
            (label_w as i32 - 8, y + 15),
            14,
            Pos::new(HPos::Right, VPos::Center),
        )?;
        let total = counts.iter().sum::<usize>().max(1) as f64;
        for (t, &c) in counts.iter().enumerate() {
            let share = c as f64 / total;
            let x = (label_w + cell_w * t as u32) as i32;
            let RGBColor(cr, cg, cb) = theme_colour(themes[t].id);
            let mix = |v: u8| (255.0 - (255.0 - f64::from(v)) * share.sqrt()).round() as u8;
            root.draw(&Rectangle::new(
                [(x + 1, y + 1), (x + cell_w as i32 - 1, y + 29)],
                RGBColor(mix(cr), mix(cg), mix(cb)).filled(),
            ))
            .map_err(plot_err)?;
            if c > 0 {
                text(
                    format!("{:.0}%", share * 100.0),
                    (x + cell_w as i32 / 2, y + 15),
                    12,
                    Pos::new(HPos::Center, VPos::Center),
                )?;
            }
        }
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Sources drawn in the coverage chart.
const SOURCES_SHOWN: usize = 20;

/// A story's articles per day (days since 1970-01-01), dated days only.
fn per_day(a: &Analysis, s: &crate::stories::Story) -> Vec<(i64, usize)> {
    let mut days: Vec<i64> = s
        .members
        .iter()
        .filter_map(|&m| a.articles[m].date)
        .map(|d| i64::from(crate::corpus::day_number(d)))
        .collect();
    days.sort_unstable();
    days.chunk_by(|x, y| x == y)
        .map(|c| (c[0], c.len()))
        .collect()
}

/// The label of period `x` on a time axis: every `step`-th period, none between them.
pub(super) fn period_label(labels: &[String], step: usize, x: f64) -> String {
    let i = x.round();
    let idx = i as usize;
    if (x - i).abs() < 1e-6 && i >= 0.0 && idx < labels.len() && idx.is_multiple_of(step) {
        labels[idx].clone()
    } else {
        String::new()
    }
}

/// A colour key beside a chart, one swatch and text per line from the top.
pub(super) fn legend(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    entries: impl IntoIterator<Item = (RGBColor, String)>,
) -> Result<()> {
    for (i, (colour, text)) in entries.into_iter().enumerate() {
        let y = 60 + 24 * i as i32;
        area.draw(&Rectangle::new([(8, y - 6), (30, y + 6)], colour.filled()))
            .map_err(plot_err)?;
        area.draw(&Text::new(
            text,
            (38, y),
            (FONT, 14)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(plot_err)?;
    }
    Ok(())
}

/// Horizontal bars either side of zero, one per item, in the given order from the top, each
/// labelled on the left. Used for share changes per theme and for rising/falling terms.
pub fn diverging_bars(
    path: &Path,
    title: &str,
    x_desc: &str,
    items: &[(String, f64, RGBColor)],
) -> Result<()> {
    ensure_font()?;
    let n = items.len().max(1);
    let (w, h) = (1200u32, 110 + 30 * n as u32);
    let longest = items
        .iter()
        .map(|i| i.0.chars().count())
        .max()
        .unwrap_or(10);
    let label_w = (longest as u32 * 8 + 30).clamp(150, 520);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let reach = items
        .iter()
        .map(|i| i.1.abs())
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.25;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 20))
        .margin(12)
        .margin_left(label_w)
        .x_label_area_size(36)
        .build_cartesian_2d(-reach..reach, -0.5f64..n as f64 - 0.5)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .light_line_style(TRANSPARENT)
        .x_label_formatter(&|v| format!("{v:+.1}"))
        .x_desc(x_desc)
        .label_style((FONT, 14))
        .draw()
        .map_err(plot_err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
            BLACK.stroke_width(1),
        )))
        .map_err(plot_err)?;
    for (i, (label, value, colour)) in items.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.35), (*value, y + 0.35)],
                colour.filled(),
            )))
            .map_err(plot_err)?;
        let anchor = if *value >= 0.0 {
            HPos::Left
        } else {
            HPos::Right
        };
        chart
            .draw_series(std::iter::once(Text::new(
                format!(" {value:+.1} "),
                (*value, y),
                (FONT, 13)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(anchor, VPos::Center)),
            )))
            .map_err(plot_err)?;
        left_label(&root, chart.backend_coord(&(-reach, y)), clip(label, 60))?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// How many groups the tree chart colours: about five themes a group, at most eight (40
/// themes read as 8 groups), none for a handful of themes.
pub fn tree_groups(themes: usize) -> usize {
    themes.div_ceil(5).clamp(1, 8)
}

/// A dendrogram lying on its side: theme names on the left, in the tree's order, branches
/// joining at the distance between their centroids. Branches inside each of
/// [`tree_groups`] groups are drawn in the group's colour, the joins above them in grey.
pub fn theme_tree(a: &Analysis, path: &Path) -> Result<()> {
    use crate::tree::Node;
    ensure_font()?;
    let tree = &a.tree;
    let n = tree.leaf_order.len().max(1);
    let (w, h) = (1200u32, 120 + 30 * n as u32);
    let label = |t: usize| {
        format!(
            "{}  ({})",
            theme_name(&a.themes.themes, t),
            a.themes.themes[t].size
        )
    };
    let longest = tree
        .leaf_order
        .iter()
        .map(|&t| label(t).chars().count())
        .max()
        .unwrap_or(10);
    let label_w = (longest as u32 * 8 + 40).clamp(150, 560);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let max = tree.merges.last().map_or(1.0, |m| m.distance).max(1e-9);
    let n_groups = tree_groups(tree.leaf_order.len());
    let title = format!(
        "Theme tree: {} themes by closeness of their centroids{}",
        tree.leaf_order.len(),
        if n_groups > 1 {
            format!(", coloured as {n_groups} groups")
        } else {
            String::new()
        }
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(12)
        .margin_left(label_w)
        .x_label_area_size(40)
        .build_cartesian_2d(0f64..max * 1.04, -0.5f64..n as f64 - 0.5)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .light_line_style(TRANSPARENT)
        .x_desc("merge height (Ward linkage of the theme centroids)")
        .label_style((FONT, 14))
        .draw()
        .map_err(plot_err)?;
    // Leaf i is drawn at height n-1-i, so the tree reads from the top.
    let mut y_of_theme = std::collections::HashMap::new();
    for (i, &t) in tree.leaf_order.iter().enumerate() {
        y_of_theme.insert(t, (n - 1 - i) as f64);
    }
    let groups: std::collections::HashMap<usize, usize> =
        tree.groups(n_groups).into_iter().collect();
    // Merges below the cut lie inside one group; the last n_groups - 1 join groups.
    let inside = tree.merges.len().saturating_sub(n_groups.saturating_sub(1));
    let mut y_of_group = vec![0.0; tree.merges.len()];
    let mut group_of_merge = vec![None; tree.merges.len()];
    let grey = RGBColor(150, 150, 150);
    for (g, m) in tree.merges.iter().enumerate() {
        let place = |c: Node| match c {
            Node::Theme(t) => (0.0, y_of_theme[&t], Some(groups[&t])),
            Node::Group(h) => (tree.merges[h].distance, y_of_group[h], group_of_merge[h]),
        };
        let (a_, b_) = (place(m.children[0]), place(m.children[1]));
        y_of_group[g] = (a_.1 + b_.1) / 2.0;
        if g < inside {
            group_of_merge[g] = a_.2;
        }
        let colour = match group_of_merge[g] {
            Some(group) => GROUP_COLOURS[group % GROUP_COLOURS.len()],
            None => grey,
        };
        let style = ShapeStyle::from(&colour).stroke_width(2);
        for (x, y, _) in [a_, b_] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, y), (m.distance, y)],
                    style,
                )))
                .map_err(plot_err)?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(m.distance, a_.1), (m.distance, b_.1)],
                style,
            )))
            .map_err(plot_err)?;
    }
    for &t in &tree.leaf_order {
        let y = y_of_theme[&t];
        let (px, py) = chart.backend_coord(&(0.0, y));
        root.draw(&Rectangle::new(
            [(px - 20, py - 6), (px - 8, py + 6)],
            theme_colour(a.themes.themes[t].id).filled(),
        ))
        .map_err(plot_err)?;
        left_label(&root, (px - 16, py), label(t))?;
    }
    root.present().map_err(plot_err)?;
    Ok(())
}

/// Darker than the theme palette, so a group's branches do not read as one theme's colour.
const GROUP_COLOURS: [RGBColor; 8] = [
    RGBColor(31, 78, 121),
    RGBColor(178, 34, 34),
    RGBColor(34, 120, 34),
    RGBColor(120, 60, 150),
    RGBColor(200, 110, 0),
    RGBColor(0, 130, 130),
    RGBColor(140, 90, 40),
    RGBColor(190, 40, 130),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theme_line_stands_out_on_white_in_its_own_hue() {
        let mut pale = 0;
        for t in 0..PALETTE.len() {
            let (fill, line) = (theme_colour(t), theme_line_colour(t));
            assert!(
                contrast_on_white(line) >= LINE_CONTRAST,
                "theme {t}: {line:?}"
            );
            if contrast_on_white(fill) >= LINE_CONTRAST {
                assert_eq!(
                    line, fill,
                    "theme {t}: a colour that is dark enough is kept"
                );
            } else {
                pale += 1;
                // Darkened, not replaced: each channel scaled by one factor.
                let (RGBColor(r, g, b), RGBColor(lr, lg, lb)) = (fill, line);
                let f = lr.max(lg).max(lb) as f64 / r.max(g).max(b) as f64;
                for (c, l) in [(r, lr), (g, lg), (b, lb)] {
                    assert!((c as f64 * f - l as f64).abs() <= 1.5, "theme {t}");
                }
            }
        }
        // Tableau 20's ten light tints, and some of its brighter ten, fall short of 3:1.
        assert!(pale >= 10, "{pale} colours needed darkening");
        // The pale blue the sample's "Channel ferry" theme had: 1.75:1 before.
        assert!(contrast_on_white(RGBColor(174, 199, 232)) < 2.0);
    }
}
