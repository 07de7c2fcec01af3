//! `index.html`: one self-contained page a person opens (charts embedded as PNG data, no
//! external requests): the run's parameters, the themes with their top terms and most central
//! headlines, the charts, and the comparison when `compare` ran. Built from a template
//! (`index.html.j2`, minijinja, which escapes every value but the inlined charts).

use std::path::Path;

use serde_json::{json, Value};

use crate::error::{Error, Result};
use base64::Engine;
use plotters::style::RGBColor;

use super::charts::theme_colour;
use super::summary::accounting;
use crate::compare::Comparison;
use crate::output::layout::*;
use crate::output::write_atomic;
use crate::pipeline::Analysis;

pub const INDEX: &str = "index.html";

fn esc(s: &str) -> String {
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

const TEMPLATE: &str = include_str!("index.html.j2");

/// A theme's colour as CSS.
pub(super) fn colour(theme_id: usize) -> String {
    let RGBColor(r, g, b) = theme_colour(theme_id);
    format!("rgb({r},{g},{b})")
}

/// HTML made here (an inlined chart), not text to escape.
pub(super) fn safe(html: String) -> minijinja::Value {
    minijinja::Value::from_safe_string(html)
}

/// With a model: each theme's share of this run against all the model absorbed before, and
/// the stories that stand out (`history.parquet`).
fn history_section(a: &Analysis, hist: &crate::compare::History) -> Value {
    use crate::compare::{theme_trend, FDR};
    let rows: Vec<Value> = crate::compare::largest_first(hist.themes.iter().map(|h| &h.1))
        .into_iter()
        .map(|p| {
            let (i, ch) = &hist.themes[p];
            let t = &a.themes.themes[*i];
            json!({
                "colour": colour(t.id),
                "id": t.id,
                "name": t.name,
                "before": format!("{:.1}%", ch.share_before * 100.0),
                "after": format!("{:.1}%", ch.share_after * 100.0),
                "change": format!("{:+.1} pts", (ch.share_after - ch.share_before) * 100.0),
                "z": format!("{:.1}", ch.z),
                "q": format!("{:.3}", ch.q_value),
                "status": theme_trend(ch),
            })
        })
        .collect();
    json!({
        "saved": hist.saved,
        "fdr": FDR,
        "rows": rows,
        "stories": super::summary::history_stories(a, hist),
    })
}

/// What changed between the sides of a comparison, the largest changes first.
fn comparison(a: &Analysis, x: &Comparison, out: &Path) -> minijinja::Value {
    let rows: Vec<Value> = crate::compare::largest_first(&x.themes)
        .into_iter()
        .map(|t| {
            let ch = &x.themes[t];
            let id = a.themes.themes[t].id;
            json!({
                "colour": colour(id),
                "id": id,
                "name": a.themes.themes[t].name,
                "before": ch.before,
                "after": ch.after,
                "change": format!("{:+.1} pts", (ch.share_after - ch.share_before) * 100.0),
                "z": format!("{:.1}", ch.z),
                "q": format!("{:.3}", ch.q_value),
                "status": ch.status(),
            })
        })
        .collect();
    minijinja::context! {
        n_before => x.n_before,
        before_name => x.before_name,
        n_after => x.n_after,
        after_name => x.after_name,
        rows => rows,
        chart => safe(img(&out.join(COMPARE_PNG), "Share change per theme")),
        terms_chart => safe(img(&out.join(COMPARE_TERMS_PNG), "Rising and falling terms")),
    }
}

/// The largest and fastest-growing stories, as in `summary.md`.
fn top_stories(a: &Analysis) -> Vec<Value> {
    let top = a.stories.top(&a.articles);
    let growing: Vec<usize> = top.growing.iter().map(|g| g.story.id).collect();
    top.all()
        .into_iter()
        .map(|s| {
            let [id, name, theme, n, copies, sources, days, head] =
                super::summary::story_cells(a, s);
            json!({
                "id": id,
                "growing": growing.contains(&s.id),
                "name": name,
                "terms": s.top_terms.join(", "),
                "colour": colour(a.themes.themes[s.theme].id),
                "theme": theme,
                "articles": n,
                "copies": copies,
                "sources": sources,
                "days": days,
                "headline": head,
            })
        })
        .collect()
}

/// The page, from `index.html.j2`; `out` holds the charts it inlines.
pub fn render(a: &Analysis, cmp: Option<&Comparison>, out: &Path) -> Result<String> {
    let c = &a.config;
    let inputs: Vec<String> = c.inputs.iter().map(|p| p.display().to_string()).collect();
    let title = match cmp {
        Some(x) => format!("tidings: {} → {}", x.before_name, x.after_name),
        None => format!("tidings: themes in {}", inputs.join(", ")),
    };
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
    let themes: Vec<Value> = a
        .themes
        .themes
        .iter()
        .map(|t| {
            json!({
                "colour": colour(t.id),
                "id": t.id,
                "name": t.name,
                "terms": t.top_terms.join(", "),
                "size": t.size,
                "share": format!("{:.1}%", t.share * 100.0),
                "stability": super::summary::stability_cell(t),
                "heads": t.representatives.iter().map(|&i| a.headline(i, 100)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let history = crate::compare::against_history(a);
    let tables: String = [
        (true, "articles.parquet, themes.parquet, stories.parquet, theme_counts.parquet, theme_tree.parquet, duplicates.parquet, rejects.parquet"),
        (cmp.is_some(), ", comparison.parquet, keyword_shifts.parquet, story_comparison.parquet"),
        (history.is_some(), ", history.parquet"),
        (super::tables::has_sources(a), ", sources.parquet"),
    ]
    .iter()
    .filter(|x| x.0)
    .map(|x| x.1)
    .collect();
    render_template(
        "index.html",
        TEMPLATE,
        minijinja::context! {
                title => title,
                style => safe(STYLE.to_string()),
                accounting => accounting(a),
                choice => a.clustering.choice.describe(a.clustering.k),
                parameters => parameters,
                history => history.map(|h| history_section(a, &h)),
                comparison => cmp.map(|x| comparison(a, x, out)),
                themes => themes,
                stability => super::summary::stability_line(a),
                stories => top_stories(a),
                stories_chart => safe(img(&out.join(STORIES_PNG), "Top stories, articles per day")),
                coverage => safe(img(&out.join(SOURCES_PNG), "Who covers what")),
                trends_chart => safe(img(&out.join(super::TRENDS_PNG), "Articles per theme per period")),
                frequency_chart => safe(img(&out.join(super::FREQUENCY_PNG), "Articles per theme")),
                tree_chart => safe(img(&out.join(super::TREE_PNG), "The themes grouped by closeness")),
                tables => tables,
                version => env!("CARGO_PKG_VERSION"),
        },
    )
}

/// `source`, a template named `name` (its extension turns HTML escaping on), filled with
/// `context`.
pub(super) fn render_template(
    name: &str,
    source: &str,
    context: minijinja::Value,
) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.add_template(name, source)
        .and_then(|()| env.get_template(name))
        .and_then(|t| t.render(context))
        .map_err(|e| Error::Page(format!("{name}: {e}")))
}

pub fn write(a: &Analysis, cmp: Option<&Comparison>, out: &Path) -> Result<()> {
    let html = render(a, cmp, out)?;
    write_atomic(&out.join(INDEX), |tmp| Ok(std::fs::write(tmp, &html)?))
}
