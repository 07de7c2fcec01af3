//! `explore.html`: the week to explore in a browser, one self-contained file (no network
//! request), from a template (`explore.html.j2`) with the run's data as one embedded JSON
//! block that the page's script reads: a map of the themes, each theme's trend, terms,
//! stories and articles, a search over headlines and texts, filters by period and source, and
//! the state in the URL so a link can be shared.

use std::path::Path;

use ndarray::{Array1, Array2, Axis};
use plotters::style::RGBColor;
use rayon::prelude::*;
use serde_json::{json, Value};

use super::charts::theme_colour;
use crate::error::{Error, Result};
use crate::pipeline::Analysis;
use crate::stories::source_of;
use crate::text::snippet;
use crate::trends::Bucket;

/// Articles embedded in full; above this the list is an even sample (every theme and story
/// is still complete), and the page says so. At ~300 bytes an article this keeps the file
/// under 10 MB.
pub const MAX_ARTICLES: usize = 20_000;
/// Characters of each text embedded for reading and searching.
const SNIPPET_CHARS: usize = 240;
/// Groups of the theme tree drawn on the map.
const GROUPS: usize = 4;

const TEMPLATE: &str = include_str!("explore.html.j2");

/// Writes `explore.html` for `a` to `path`.
pub fn write(a: &Analysis, path: &Path) -> Result<()> {
    let html = render(a)?;
    crate::output::write_atomic(path, |tmp| Ok(std::fs::write(tmp, html)?))
}

/// The page for `a`.
pub fn render(a: &Analysis) -> Result<String> {
    let data = data(a)?;
    // Inside a <script> element "</script" or "<!--" in a headline would end or confuse it;
    // "<" only occurs inside JSON strings, where "\u003c" reads the same.
    let json = serde_json::to_string(&data)
        .map_err(|e| Error::Page(format!("explore data: {e}")))?
        .replace('<', "\\u003c");
    let title = match a.config.inputs.as_slice() {
        [] => "tidings".to_string(),
        inputs => format!(
            "tidings: {}",
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    super::html::render_template(
        "explore.html",
        TEMPLATE,
        minijinja::context! {
            title => title,
            data => minijinja::Value::from_safe_string(json),
            version => env!("CARGO_PKG_VERSION"),
        },
    )
}

/// What the page's script reads. Its fields are in name order, as the page has always had
/// them (serde_json's maps are sorted).
#[derive(serde::Serialize)]
struct Page<'a> {
    articles: usize,
    period: String,
    periods: Vec<String>,
    rows: Vec<Row<'a>>,
    sampled: bool,
    sources: Vec<String>,
    stories: Vec<StoryRow<'a>>,
    themes: Vec<Value>,
}

/// An article as an array: [id, headline, day, source (position), theme, story (position),
/// period (position), snippet]. Serialized straight from the run's strings: built as JSON
/// values first, the rows took most of the page's time.
type Row<'a> = (
    &'a str,
    &'a str,
    Option<String>,
    usize,
    usize,
    Option<usize>,
    Option<usize>,
    String,
);

/// A story as an array: [id, name, theme (position), articles, first day, last day], since a
/// million articles make tens of thousands of stories.
type StoryRow<'a> = (usize, &'a str, usize, usize, Option<String>, Option<String>);

fn data(a: &Analysis) -> Result<Page<'_>> {
    let themes = &a.themes.themes;
    let o = a.overview();
    let periods: Vec<String> = o.trends.buckets.iter().map(|b| b.to_string()).collect();
    // Buckets are in order: each article's is found by halving.
    let period_of = |i: usize| -> Option<usize> {
        let b = Bucket::of(a.articles[i].date, o.trends.period);
        o.trends.buckets.binary_search(&b).ok()
    };
    let (xy, group) = layout(a);
    let theme_rows: Vec<Value> = themes
        .iter()
        .enumerate()
        .map(|(t, th)| {
            let RGBColor(r, g, b) = theme_colour(th.id);
            json!({
                "id": th.id,
                "name": th.name,
                "terms": th.top_terms.iter().take(10).collect::<Vec<_>>(),
                "size": th.size,
                "colour": format!("#{r:02x}{g:02x}{b:02x}"),
                "x": xy.get(t).map_or(0.5, |p| p.0),
                "y": xy.get(t).map_or(0.5, |p| p.1),
                "group": group.get(t).copied().flatten(),
                "stability": th.stability,
            })
        })
        .collect();
    // Stories of more than one report, by their place in this list; single reports are
    // their article.
    let mut story_index = vec![None; a.stories.stories.len()];
    let mut story_rows: Vec<StoryRow> = Vec::new();
    for (s, story) in a.stories.stories.iter().enumerate() {
        if story.is_multi() {
            story_index[s] = Some(story_rows.len());
            story_rows.push((
                story.id,
                &story.name,
                story.theme,
                story.size(),
                story.first.map(|d| d.to_string()),
                story.last.map(|d| d.to_string()),
            ));
        }
    }
    let story_of: Vec<Option<usize>> = {
        let mut of = vec![None; a.articles.len()];
        for (s, story) in a.stories.stories.iter().enumerate() {
            for &m in &story.members {
                of[m] = story_index[s];
            }
        }
        of
    };
    let n = a.articles.len();
    let shown: Vec<usize> = if n <= MAX_ARTICLES {
        (0..n).collect()
    } else {
        (0..MAX_ARTICLES).map(|i| i * n / MAX_ARTICLES).collect()
    };
    // Snippets in parallel (a text may be read back from the scratch file; of several that
    // cannot be, any one is reported); sources are numbered in order of first use.
    let snippets: Vec<String> = shown
        .par_iter()
        .map(|&i| Ok(snippet(&a.text(i)?, SNIPPET_CHARS)))
        .collect::<Result<_>>()?;
    let mut sources: Vec<String> = Vec::new();
    let mut source_index = std::collections::HashMap::new();
    let mut rows = Vec::with_capacity(shown.len());
    for (&i, snippet) in shown.iter().zip(snippets) {
        let art = &a.articles[i];
        let source = source_of(art);
        let s = *source_index.entry(source.clone()).or_insert_with(|| {
            sources.push(source);
            sources.len() - 1
        });
        rows.push((
            art.id.as_str(),
            art.title.as_str(),
            art.date.map(|d| d.to_string()),
            s,
            a.themes.assignments[i],
            story_of[i],
            period_of(i),
            snippet,
        ));
    }
    Ok(Page {
        articles: n,
        period: o.trends.period.to_string(),
        periods,
        rows,
        sampled: shown.len() < n,
        sources,
        stories: story_rows,
        themes: theme_rows,
    })
}

/// The themes on a plane: the two leading principal directions of their centroids (scaled
/// to 0..1), and each theme's group when the tree is cut into [`GROUPS`] (none for a theme
/// outside the tree, the unassigned).
fn layout(a: &Analysis) -> (Vec<(f64, f64)>, Vec<Option<usize>>) {
    let c = &a.clustering.centroids;
    let k = a.themes.themes.len().min(c.nrows());
    let mut xy = vec![(0.5, 0.5); a.themes.themes.len()];
    if k >= 2 {
        let rows = c.slice(ndarray::s![..k, ..]).to_owned();
        let mean = rows
            .mean_axis(Axis(0))
            .unwrap_or_else(|| Array1::zeros(c.ncols()));
        let centred = &rows - &mean;
        let gram: Array2<f64> = centred.dot(&centred.t());
        let first = leading(&gram, None);
        let second = leading(&gram, Some(&first));
        let coords: Vec<(f64, f64)> = (0..k).map(|i| (first[i], second[i])).collect();
        let span = |f: &dyn Fn(&(f64, f64)) -> f64| {
            let lo = coords.iter().map(f).fold(f64::INFINITY, f64::min);
            let hi = coords.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
            (lo, (hi - lo).max(f64::MIN_POSITIVE))
        };
        let ((x0, xw), (y0, yw)) = (span(&|p| p.0), span(&|p| p.1));
        for (i, p) in coords.iter().enumerate() {
            xy[i] = ((p.0 - x0) / xw, (p.1 - y0) / yw);
        }
    }
    let mut group = vec![None; a.themes.themes.len()];
    for (t, g) in a.tree.groups(GROUPS) {
        if let Some(slot) = group.get_mut(t) {
            *slot = Some(g);
        }
    }
    (xy, group)
}

/// The leading eigenvector of the symmetric `m` (orthogonal to `not`), scaled by the square
/// root of its eigenvalue: power iteration from a fixed start, so the layout is the same on
/// every run.
fn leading(m: &Array2<f64>, not: Option<&Array1<f64>>) -> Array1<f64> {
    let n = m.nrows();
    let mut v: Array1<f64> = Array1::from_iter((0..n).map(|i| 1.0 + (i as f64 * 0.37).sin()));
    let unit_not = not.map(|u| {
        let norm = u.dot(u).sqrt();
        if norm > 0.0 {
            u / norm
        } else {
            u.clone()
        }
    });
    let mut value = 0.0;
    for _ in 0..200 {
        if let Some(u) = &unit_not {
            let along = v.dot(u);
            v = &v - &(u * along);
        }
        let next = m.dot(&v);
        let norm = next.dot(&next).sqrt();
        if norm <= f64::MIN_POSITIVE {
            break;
        }
        value = norm / v.dot(&v).sqrt().max(f64::MIN_POSITIVE);
        v = next / norm;
    }
    v * value.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's data reads as it did when built as JSON values, whose keys serde_json
    /// sorts: the struct's fields must stay in name order.
    #[test]
    fn the_page_data_keeps_its_keys_in_name_order() {
        let page = Page {
            articles: 2,
            period: "week".into(),
            periods: vec!["1987-W10".into()],
            rows: vec![(
                "a1",
                "Oil <rises>",
                Some("1987-03-02".into()),
                0,
                1,
                None,
                Some(0),
                "Oil rose.".into(),
            )],
            sampled: false,
            sources: vec!["wire".into()],
            stories: vec![(7, "OPEC output", 1, 3, None, Some("1987-03-04".into()))],
            themes: vec![json!({"id": 0, "name": "crude oil"})],
        };
        let direct = serde_json::to_string(&page).unwrap();
        let as_values = serde_json::to_string(&serde_json::to_value(&page).unwrap()).unwrap();
        assert_eq!(direct, as_values);
        assert!(direct.starts_with(r#"{"articles":2,"period":"week","periods""#));
    }
}
