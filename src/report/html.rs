//! `index.html`: one self-contained page a person opens (charts embedded as PNG data, no
//! external requests): the run's parameters, the themes with their top terms and most central
//! headlines, the charts, and the comparison when `compare` ran.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use base64::Engine;
use plotters::style::RGBColor;

use super::charts::theme_colour;
use super::summary::accounting;
use crate::compare::Comparison;
use crate::output::layout::*;
use crate::output::write_atomic;
use crate::pipeline::Analysis;

pub const INDEX: &str = "index.html";

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An `<img>` with the PNG at `path` inlined; nothing if the file is missing.
pub(super) fn img(path: &Path, alt: &str) -> String {
    match std::fs::read(path) {
        Ok(bytes) => format!(
            "<img alt=\"{}\" src=\"data:image/png;base64,{}\">",
            esc(alt),
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ),
        Err(_) => String::new(),
    }
}

pub(super) const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1250px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;font-size:.92em}th,td{border-bottom:1px solid #eee;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.n{text-align:right;white-space:nowrap}.sw{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.4em;vertical-align:middle}
.meta{color:#555;font-size:.92em}.terms{color:#444}img{max-width:100%;border:1px solid #eee;margin:.5em 0}ul.heads{margin:0;padding-left:1.1em}";

/// With a model: each theme's share of this run against all the model absorbed before, and
/// the stories that stand out (`history.parquet`).
fn history(h: &mut String, a: &Analysis, hist: &crate::compare::History) {
    use crate::compare::{theme_trend, FDR};
    let _ = write!(
        h,
        "<h2>Against the model's history</h2><p>Each theme's share of this run against its share of the {} articles the model absorbed before; a change counts at a Benjamini-Hochberg q-value of {FDR} or less over the themes (history.parquet).</p><table><tr><th>theme</th><th>label</th><th>share before</th><th>share now</th><th>change</th><th>z</th><th>q</th><th>status</th></tr>",
        hist.saved
    );
    let mut order: Vec<&(usize, crate::compare::ShareChange)> = hist.themes.iter().collect();
    order.sort_by(|x, y| y.1.z.abs().total_cmp(&x.1.z.abs()).then(x.0.cmp(&y.0)));
    for (i, ch) in order {
        let t = &a.themes.themes[*i];
        let RGBColor(r, g, b) = theme_colour(t.id);
        let _ = write!(
            h,
            "<tr><td><span class=\"sw\" style=\"background:rgb({r},{g},{b})\"></span>T{}</td><td>{}</td><td class=\"n\">{:.1}%</td><td class=\"n\">{:.1}%</td><td class=\"n\">{:+.1} pts</td><td class=\"n\">{:.1}</td><td class=\"n\">{:.3}</td><td>{}</td></tr>",
            t.id,
            esc(&t.name),
            ch.share_before * 100.0,
            ch.share_after * 100.0,
            (ch.share_after - ch.share_before) * 100.0,
            ch.z,
            ch.q_value,
            theme_trend(ch)
        );
    }
    let _ = write!(
        h,
        "</table><p>{}</p>",
        esc(&super::summary::history_stories(a, hist))
    );
}

pub fn render(a: &Analysis, cmp: Option<&Comparison>, out: &Path) -> String {
    let c = &a.config;
    let mut h = String::new();
    let inputs: Vec<String> = c.inputs.iter().map(|p| p.display().to_string()).collect();
    let title = match cmp {
        Some(x) => format!("tidings: {} → {}", x.before_name, x.after_name),
        None => format!("tidings: themes in {}", inputs.join(", ")),
    };
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>",
        esc(&title),
        esc(&title)
    );
    let parameters = match c.mode.model() {
        Some(_) => super::summary::model_parameters(a),
        None => format!(
            "period {}, seed {}, min_df {}, max_df {}, LSA dimensions {}, k-means restarts {}",
            c.settings.period,
            c.settings.cluster.seed,
            c.settings.tfidf.min_df,
            c.settings.tfidf.max_df,
            a.lsa.as_ref().map_or(0, |l| l.dims()),
            c.settings.cluster.n_runs
        ),
    };
    let _ = write!(
        h,
        "<p class=\"meta\">{}<br>{}<br>{}</p>",
        esc(&accounting(a)),
        esc(&a.clustering.choice.describe(a.clustering.k)),
        esc(&parameters)
    );
    if let Some(hist) = crate::compare::against_history(a) {
        history(&mut h, a, &hist);
    }
    if let Some(x) = cmp {
        let _ = write!(
            h,
            "<h2>What changed</h2><p>{} articles before ({}), {} after ({}).</p><table><tr><th>theme</th><th>label</th><th>before</th><th>after</th><th>share change</th><th>z</th><th>q</th><th>status</th></tr>",
            x.n_before,
            esc(&x.before_name),
            x.n_after,
            esc(&x.after_name)
        );
        let mut order: Vec<usize> = (0..x.themes.len()).collect();
        order.sort_by(|&p, &q| {
            x.themes[q]
                .z
                .abs()
                .total_cmp(&x.themes[p].z.abs())
                .then(p.cmp(&q))
        });
        for t in order {
            let ch = &x.themes[t];
            let id = a.themes.themes[t].id;
            let RGBColor(r, g, b) = theme_colour(id);
            let _ = write!(
                h,
                "<tr><td><span class=\"sw\" style=\"background:rgb({r},{g},{b})\"></span>T{id}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:+.1} pts</td><td class=\"n\">{:.1}</td><td class=\"n\">{:.3}</td><td>{}</td></tr>",
                esc(&a.themes.themes[t].name),
                ch.before,
                ch.after,
                (ch.share_after - ch.share_before) * 100.0,
                ch.z,
                ch.q_value,
                ch.status()
            );
        }
        let _ = write!(
            h,
            "</table>{}{}",
            img(&out.join(COMPARE_PNG), "Share change per theme"),
            img(&out.join(COMPARE_TERMS_PNG), "Rising and falling terms")
        );
    }
    let _ = write!(
        h,
        "<h2>Themes</h2><table><tr><th>theme</th><th>name and top terms</th><th>articles</th><th>share</th><th>stability</th><th>most central headlines</th></tr>"
    );
    for t in &a.themes.themes {
        let RGBColor(r, g, b) = theme_colour(t.id);
        let heads: String = t
            .representatives
            .iter()
            .map(|&i| format!("<li>{}</li>", esc(&a.headline(i, 100))))
            .collect();
        let _ = write!(
            h,
            "<tr><td><span class=\"sw\" style=\"background:rgb({r},{g},{b})\"></span>T{}</td><td><b>{}</b><br><span class=\"terms\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td><td class=\"n\">{}</td><td><ul class=\"heads\">{heads}</ul></td></tr>",
            t.id,
            esc(&t.name),
            esc(&t.top_terms.join(", ")),
            t.size,
            t.share * 100.0,
            esc(&super::summary::stability_cell(t))
        );
    }
    if let Some(line) = super::summary::stability_line(a) {
        let _ = write!(h, "</table><p><b>Stability:</b> {}</p>", esc(&line));
    } else {
        h.push_str("</table>");
    }
    top_stories(&mut h, a, out);
    let coverage = img(&out.join(SOURCES_PNG), "Who covers what");
    if !coverage.is_empty() {
        let _ = write!(h, "<h2>Who covers what</h2>{coverage}");
    }
    let _ = write!(
        h,
        "<h2>Over time</h2>{}<h2>Sizes</h2>{}<h2>Groups</h2>{}",
        img(
            &out.join(super::TRENDS_PNG),
            "Articles per theme per period"
        ),
        img(&out.join(super::FREQUENCY_PNG), "Articles per theme"),
        img(
            &out.join(super::TREE_PNG),
            "The themes grouped by closeness"
        )
    );
    let _ = write!(
        h,
        "<p class=\"meta\">Tables: articles.parquet, themes.parquet, stories.parquet, theme_counts.parquet, theme_tree.parquet, duplicates.parquet, rejects.parquet{}. Written by tidings {}.</p></body></html>",
        [
            (cmp.is_some(), ", comparison.parquet, keyword_shifts.parquet, story_comparison.parquet"),
            (crate::compare::against_history(a).is_some(), ", history.parquet"),
            (super::tables::has_sources(a), ", sources.parquet"),
        ]
        .iter()
        .filter(|x| x.0)
        .map(|x| x.1)
        .collect::<String>(),
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// The largest and fastest-growing stories, as in `summary.md`, with their lifelines.
fn top_stories(h: &mut String, a: &Analysis, out: &Path) {
    let top = a.stories.top(&a.articles);
    let _ = write!(h, "<h2>Top stories</h2>");
    if top.largest.is_empty() {
        let _ = write!(h, "<p>No story is told by more than one article.</p>");
        return;
    }
    let _ = write!(
        h,
        "<table><tr><th>story</th><th>name and top terms</th><th>theme</th><th>articles</th><th>copies</th><th>sources</th><th>days</th><th>most central headline</th></tr>"
    );
    let growing: Vec<usize> = top.growing.iter().map(|g| g.story.id).collect();
    for s in top.all() {
        let [id, name, theme, n, copies, sources, days, head] = super::summary::story_cells(a, s);
        let RGBColor(r, g, b) = theme_colour(a.themes.themes[s.theme].id);
        let mark = if growing.contains(&s.id) {
            " (growing)"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr><td>{}{mark}</td><td><b>{}</b><br><span class=\"terms\">{}</span></td><td><span class=\"sw\" style=\"background:rgb({r},{g},{b})\"></span>{}</td><td class=\"n\">{n}</td><td class=\"n\">{copies}</td><td class=\"n\">{sources}</td><td>{}</td><td>{}</td></tr>",
            esc(&id),
            esc(&name),
            esc(&s.top_terms.join(", ")),
            esc(&theme),
            esc(&days),
            esc(&head)
        );
    }
    let _ = write!(
        h,
        "</table>{}",
        img(&out.join(STORIES_PNG), "Top stories, articles per day")
    );
}

pub fn write(a: &Analysis, cmp: Option<&Comparison>, out: &Path) -> Result<()> {
    let html = render(a, cmp, out);
    write_atomic(&out.join(INDEX), |tmp| Ok(std::fs::write(tmp, &html)?))
}
