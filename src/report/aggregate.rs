//! A report from counts aggregated elsewhere (Spark's `theme_counts` over a corpus no one
//! machine holds): the overview a run writes — `theme_counts.parquet`, `themes.parquet`, the
//! frequency and trend charts, `summary.md`, `index.html` — drawn from a saved model's themes
//! and the articles per theme per period. No article is at hand, so there are no articles,
//! duplicates or rejects tables, no headlines and no tree.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::error::{Error, Result};
use crate::fail;
use chrono::NaiveDate;
use polars::prelude::{Column, DataFrame, DataType};

use super::html::{img, safe, INDEX, STYLE};
use super::summary::{cell, fastest_rising};
use super::{tables, write_parquet, Overview};
use crate::model::ThemeModel;
use crate::output::layout;
use crate::output::{self, write_atomic, Written};
use crate::pipeline::UNASSIGNED;
use crate::themes::Theme;
use crate::trends::{Period, Trends};

/// One cell of aggregated counts: a date in the period (its start, say; `None`: undated),
/// the theme id (the model's, or its unassigned id), and the articles counted there.
pub type CountRow = (Option<NaiveDate>, usize, usize);

/// The rows of a counts table with columns `period_start` (a date; null: undated),
/// `theme_id` and `count`, as `tidings.spark.theme_counts` (or a run's `theme_counts.parquet`)
/// has them.
pub fn count_rows(df: &DataFrame) -> Result<Vec<CountRow>> {
    let column = |name: &str| {
        df.column(name).map_err(|_| {
            Error::Input(format!(
                "the counts table has no `{name}` column (it has {}); it needs period_start, \
                 theme_id and count",
                df.get_column_names()
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    };
    let start = column("period_start")?.cast(&DataType::Int32)?;
    let start = start.i32()?;
    let id = column("theme_id")?.cast(&DataType::Int64)?;
    let id = id.i64()?;
    let count = column("count")?.cast(&DataType::Int64)?;
    let count = count.i64()?;
    let epoch = NaiveDate::default() /* 1970-01-01 */;
    (0..df.height())
        .map(|row| {
            let date = start
                .get(row)
                .and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d.into())));
            let (Some(id), Some(n)) = (id.get(row), count.get(row)) else {
                fail!(
                    Input,
                    "counts row {}: theme_id and count must not be null",
                    row + 1
                );
            };
            let (Ok(id), Ok(n)) = (usize::try_from(id), usize::try_from(n)) else {
                fail!(
                    Input,
                    "counts row {}: theme_id {id} and count {n} must not be negative",
                    row + 1
                );
            };
            Ok((date, id, n))
        })
        .collect()
}

/// The model's themes (and the unassigned, when any are counted) with sizes and shares, and
/// the trends, from `rows`. An id the model does not have is refused: the counts were made
/// with another model.
pub fn overview_parts(
    model: &ThemeModel,
    rows: &[CountRow],
    period: Period,
) -> Result<(Vec<Theme>, Trends)> {
    let unassigned_id = model.next_id;
    let k = model.k();
    let position = |id: usize| -> Result<usize> {
        if id == unassigned_id {
            return Ok(k);
        }
        match model.themes.iter().position(|t| t.id == id) {
            Some(p) => Ok(p),
            None => fail!(
                Input,
                "theme_id {id} is not one of the model's themes ({}; {unassigned_id} for the \
                 unassigned): were the counts made with another model?",
                model
                    .themes
                    .iter()
                    .map(|t| t.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    let placed = rows
        .iter()
        .map(|&(d, id, n)| Ok((d, position(id)?, n)))
        .collect::<Result<Vec<_>>>()?;
    let mut sizes = vec![0usize; k + 1];
    for &(_, p, n) in &placed {
        sizes[p] += n;
    }
    let total = sizes.iter().sum::<usize>().max(1) as f64;
    let mut themes: Vec<Theme> = model
        .themes
        .iter()
        .zip(&sizes)
        .map(|(t, &size)| Theme {
            id: t.id,
            name: t.name.clone(),
            label: t.label.clone(),
            top_terms: t.top_terms.clone(),
            size,
            share: size as f64 / total,
            representatives: Vec::new(),
            stability: None,
        })
        .collect();
    // As a run with a model shows them: listed when counted, even as zeros.
    if placed.iter().any(|&(_, p, _)| p == k) {
        themes.push(Theme {
            id: unassigned_id,
            name: UNASSIGNED.to_string(),
            label: UNASSIGNED.to_string(),
            top_terms: Vec::new(),
            size: sizes[k],
            share: sizes[k] as f64 / total,
            representatives: Vec::new(),
            stability: None,
        });
    }
    let trends = Trends::from_counts(placed, themes.len(), period);
    Ok((themes, trends))
}

/// Writes the overview of `rows` into `out` as one unit (see [`output::write_folder`]);
/// `source` names what was counted in titles.
pub fn write(
    model: &ThemeModel,
    rows: &[CountRow],
    period: Period,
    source: &str,
    out: &Path,
    cancel: Option<&AtomicBool>,
) -> Result<Written> {
    let (themes, trends) = overview_parts(model, rows, period)?;
    let o = Overview {
        themes: &themes,
        trends: &trends,
        articles: themes.iter().map(|t| t.size).sum(),
    };
    output::write_folder(out, &super::OWNED, cancel, |dir| {
        let path = |name: &str| dir.join(name);
        write_parquet(&path(layout::THEME_COUNTS), tables::theme_counts(&o)?)?;
        write_parquet(&path(layout::THEMES), themes_table(model, &themes)?)?;
        write_atomic(&path(layout::FREQUENCY_PNG), |tmp| {
            super::charts::theme_frequency(&o, tmp)
        })?;
        write_atomic(&path(layout::TRENDS_PNG), |tmp| {
            super::charts::theme_trends(&o, tmp)
        })?;
        let summary = summary(model, &o, source);
        write_atomic(&path(layout::SUMMARY), |tmp| {
            Ok(std::fs::write(tmp, &summary)?)
        })?;
        let html = html(model, &o, source, dir)?;
        write_atomic(&path(INDEX), |tmp| Ok(std::fs::write(tmp, &html)?))?;
        Ok(vec![
            layout::THEME_COUNTS,
            layout::THEMES,
            layout::FREQUENCY_PNG,
            layout::TRENDS_PNG,
            layout::SUMMARY,
            INDEX,
        ])
    })
}

/// `themes.parquet` as a run writes it, less the representative articles no one has here.
fn themes_table(model: &ThemeModel, themes: &[Theme]) -> Result<DataFrame> {
    let born: Vec<Option<&str>> = themes
        .iter()
        .map(|t| {
            model
                .themes
                .iter()
                .find(|s| s.id == t.id && t.name != UNASSIGNED)
                .map(|s| s.born.as_str())
                .filter(|b| !b.is_empty())
        })
        .collect();
    let [stability, unstable] = tables::stability_columns(themes);
    Ok(DataFrame::new(
        themes.len(),
        vec![
            Column::new(
                "theme_id".into(),
                themes.iter().map(|t| t.id as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "name".into(),
                themes.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "label".into(),
                themes.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(),
            ),
            tables::string_list(
                "top_terms",
                &themes
                    .iter()
                    .map(|t| t.top_terms.as_slice())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "size".into(),
                themes.iter().map(|t| t.size as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "share".into(),
                themes.iter().map(|t| t.share).collect::<Vec<_>>(),
            ),
            // Not measured: these themes were assigned, not fitted here.
            stability,
            unstable,
            Column::new("born".into(), born),
            tables::model_column(
                (model.ledger.id != 0).then_some(model.ledger.id),
                themes.len(),
            ),
        ],
    )?)
}

fn accounting(o: &Overview) -> String {
    let unassigned = o
        .themes
        .iter()
        .find(|t| t.name == UNASSIGNED)
        .map_or(0, |t| t.size);
    format!(
        "{} articles assigned: {} to the model's themes, {} unassigned",
        o.articles,
        o.articles - unassigned,
        unassigned
    )
}

fn summary(model: &ThemeModel, o: &Overview, source: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# tidings: themes in {source}\n");
    let _ = writeln!(s, "- **Articles:** {}", accounting(o));
    let _ = writeln!(
        s,
        "- **Model:** {} themes, {} vocabulary terms from {} articles; counted per {}, {}",
        model.k(),
        model.vocabulary.len(),
        model.n_docs,
        o.trends.period,
        o.trends.span()
    );
    let _ = writeln!(
        s,
        "\n## Themes\n\n| theme | name | top terms | articles | share |\n|---:|---|---|---:|---:|"
    );
    for t in o.themes {
        let _ = writeln!(
            s,
            "| T{} | {} | {} | {} | {:.1}% |",
            t.id,
            cell(&t.name),
            cell(&t.top_terms.join(", ")),
            t.size,
            t.share * 100.0
        );
    }
    if let Some(rising) = fastest_rising(o) {
        let _ = writeln!(s, "\n{rising}");
    }
    let _ = writeln!(
        s,
        "\n## Charts\n\n![Articles per theme](theme_frequency.png)\n\n![Articles per theme per {}](theme_trends.png)",
        o.trends.period
    );
    s
}

/// The aggregate's `index.html`, from `aggregate.html.j2`.
fn html(model: &ThemeModel, o: &Overview, source: &str, out: &Path) -> Result<String> {
    let themes: Vec<serde_json::Value> = o
        .themes
        .iter()
        .map(|t| {
            serde_json::json!({
                "colour": super::html::colour(t.id),
                "id": t.id,
                "name": t.name,
                "terms": t.top_terms.join(", "),
                "size": t.size,
                "share": format!("{:.1}%", t.share * 100.0),
            })
        })
        .collect();
    super::html::render_template(
        "aggregate.html",
        include_str!("aggregate.html.j2"),
        minijinja::context! {
            title => format!("tidings: themes in {source}"),
            style => safe(STYLE.to_string()),
            accounting => accounting(o),
            k => model.k(),
            vocabulary => model.vocabulary.len(),
            period => o.trends.period.to_string(),
            span => o.trends.span(),
            themes => themes,
            trends_chart => safe(img(&out.join(layout::TRENDS_PNG), "Articles per theme per period")),
            frequency_chart => safe(img(&out.join(layout::FREQUENCY_PNG), "Articles per theme")),
            version => env!("CARGO_PKG_VERSION"),
        },
    )
}
