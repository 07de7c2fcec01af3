//! Parquet tables for analysts. Column names and types are part of the product: notebooks and
//! SQL depend on them, so they are documented in the README and checked by the tests.

use std::collections::BTreeMap;

use crate::error::{Context, Result};
use chrono::NaiveDate;
use polars::prelude::*;
use serde_json::Value;

use crate::pipeline::Analysis;
use crate::tree::Node;

fn days(d: Option<NaiveDate>) -> Option<i32> {
    d.map(crate::corpus::day_number)
}

pub fn date_column(name: &str, dates: &[Option<NaiveDate>]) -> Result<Column> {
    let raw: Vec<Option<i32>> = dates.iter().map(|&d| days(d)).collect();
    Ok(Series::new(name.into(), raw)
        .cast(&DataType::Date)?
        .into_column())
}

pub(super) fn string_list<L: AsRef<[String]>>(name: &str, lists: &[L]) -> Column {
    // Built in place, as the stories' days are: with a Series per row for both, the stories'
    // table of a million articles (a hundred thousand rows) took a quarter of a second to
    // make, twice as long as now.
    let values = lists.iter().map(|l| l.as_ref().len()).sum();
    let mut list = ListStringChunkedBuilder::new(name.into(), lists.len(), values);
    for l in lists {
        list.append_values_iter(l.as_ref().iter().map(String::as_str));
    }
    list.finish().into_column()
}

/// Core columns of the articles table; carried-through fields that collide get an `input_`
/// prefix (the input's own `source` becomes `input_source`).
const ARTICLE_COLUMNS: [&str; 12] = [
    "article_id",
    "source",
    "line",
    "date",
    "title",
    "theme_id",
    "theme_label",
    "story_id",
    "distance",
    "times_seen",
    "vocabulary_coverage",
    "text",
];

/// One column from a carried-through JSON field, typed by what its values are: all booleans,
/// all integers, all numbers or all strings keep that type; anything mixed or nested is kept
/// as JSON text so nothing is lost.
fn extra_column(name: &str, values: &[Option<&Value>]) -> Column {
    let present = || values.iter().flatten().filter(|v| !v.is_null());
    if present().all(|v| v.is_boolean()) {
        let v: Vec<Option<bool>> = values.iter().map(|v| v.and_then(Value::as_bool)).collect();
        return Series::new(name.into(), v).into_column();
    }
    if present().all(|v| v.is_i64()) {
        let v: Vec<Option<i64>> = values.iter().map(|v| v.and_then(Value::as_i64)).collect();
        return Series::new(name.into(), v).into_column();
    }
    if present().all(|v| v.is_number()) {
        let v: Vec<Option<f64>> = values.iter().map(|v| v.and_then(Value::as_f64)).collect();
        return Series::new(name.into(), v).into_column();
    }
    let v: Vec<Option<String>> = values
        .iter()
        .map(|v| match v {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        })
        .collect();
    Series::new(name.into(), v).into_column()
}

pub fn articles(a: &Analysis) -> Result<DataFrame> {
    let mut df = articles_without_text(a)?;
    df.insert_column(TEXT_COLUMN, article_texts(a, 0..a.articles.len())?)?;
    Ok(df)
}

/// Where the text sits among the articles table's columns.
pub const TEXT_COLUMN: usize = 11;

/// The `text` column of articles `rows` ([`article_text_array`] as a polars column), for the
/// articles table as a whole ([`articles`]).
pub fn article_texts(a: &Analysis, rows: std::ops::Range<usize>) -> Result<Column> {
    Ok(Series::from_arrow("text".into(), article_text_array(a, rows)?)?.into())
}

/// The texts of articles `rows` as the Arrow array the Parquet encoder reads, made from the
/// buffer they are read back into. Writing the articles table adds them a row group at a time
/// (`report::write_parquet_with_texts`): every text at once would be the largest allocation
/// of a million-article run, and a column of strings cast to this array was two more copies.
pub fn article_text_array(
    a: &Analysis,
    rows: std::ops::Range<usize>,
) -> Result<Box<dyn polars_arrow::array::Array>> {
    use polars_arrow::{array::Utf8Array, datatypes::ArrowDataType, offset::OffsetsBuffer};
    let context = "reading back the article texts set aside after tokenizing";
    let (bytes, ends) = a.texts.joined(&a.articles, rows).context(context)?;
    let offsets: Vec<i64> = std::iter::once(0)
        .chain(ends.iter().map(|&e| e as i64))
        .collect();
    // Checks the offsets, and the bytes as UTF-8 in one piece.
    let offsets = OffsetsBuffer::try_from(offsets)?;
    let array = Utf8Array::<i64>::try_new(ArrowDataType::LargeUtf8, offsets, bytes.into(), None);
    let array = Context::context(array, context)?;
    Ok(Box::new(array))
}

/// The articles table but its `text` column (see [`article_texts`]).
pub fn articles_without_text(a: &Analysis) -> Result<DataFrame> {
    let n = a.articles.len();
    let labels: Vec<&str> = a
        .themes
        .assignments
        .iter()
        .map(|&t| a.themes.themes[t].name.as_str())
        .collect();
    let mut columns = vec![
        Column::new(
            "article_id".into(),
            a.articles.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "source".into(),
            a.articles
                .iter()
                .map(|x| x.file.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "line".into(),
            a.articles
                .iter()
                .map(|x| x.line.map(|l| l as i64))
                .collect::<Vec<_>>(),
        ),
        date_column(
            "date",
            &a.articles.iter().map(|x| x.date).collect::<Vec<_>>(),
        )?,
        Column::new(
            "title".into(),
            a.articles
                .iter()
                .map(|x| x.title.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "theme_id".into(),
            a.themes
                .assignments
                .iter()
                .map(|&t| a.themes.themes[t].id as i64)
                .collect::<Vec<_>>(),
        ),
        Column::new("theme_label".into(), labels),
        Column::new(
            "story_id".into(),
            a.stories
                .assignments
                .iter()
                .map(|&s| s as i64)
                .collect::<Vec<_>>(),
        ),
        Column::new("distance".into(), a.clustering.distances.clone()),
        Column::new(
            "times_seen".into(),
            a.times_seen.iter().map(|&n| n as i64).collect::<Vec<_>>(),
        ),
        Column::new("vocabulary_coverage".into(), a.coverage.clone()),
    ];
    let mut extra: BTreeMap<&str, Vec<Option<&Value>>> = BTreeMap::new();
    for (i, article) in a.articles.iter().enumerate() {
        for (key, value) in article.extra.iter() {
            extra.entry(key.as_str()).or_insert_with(|| vec![None; n])[i] = Some(value);
        }
    }
    // A renamed field must not meet another field of that name (an input with both `source`
    // and `input_source`): the prefix repeats until the name is free.
    let mut names: std::collections::HashSet<String> =
        ARTICLE_COLUMNS.iter().map(|c| c.to_string()).collect();
    names.extend(extra.keys().map(|k| k.to_string()));
    for (key, values) in extra {
        let name = if ARTICLE_COLUMNS.contains(&key) {
            let mut name = format!("input_{key}");
            while names.contains(&name) {
                name = format!("input_{name}");
            }
            names.insert(name.clone());
            name
        } else {
            key.to_string()
        };
        columns.push(extra_column(&name, &values));
    }
    Ok(DataFrame::new(n, columns)?)
}

/// `stability` (null where not measured) and `unstable`, as every `themes.parquet` has them.
pub(super) fn stability_columns(themes: &[crate::themes::Theme]) -> [Column; 2] {
    [
        Column::new(
            "stability".into(),
            themes.iter().map(|t| t.stability).collect::<Vec<_>>(),
        ),
        Column::new(
            "unstable".into(),
            themes.iter().map(|t| t.unstable()).collect::<Vec<_>>(),
        ),
    ]
}

/// Per theme: copies set aside that repeat its articles, and the distinct sources of its
/// articles and those copies (syndication: one report carried by many outlets).
fn theme_reach(a: &Analysis) -> (Vec<i64>, Vec<i64>) {
    let k = a.themes.themes.len();
    let mut copies = vec![0i64; k];
    for &i in a.copy_of.iter().flatten() {
        copies[a.themes.assignments[i]] += 1;
    }
    let mut sources: Vec<std::collections::HashSet<String>> = vec![Default::default(); k];
    for ((s, t), _) in source_theme_counts(a) {
        sources[t].insert(s);
    }
    (copies, sources.iter().map(|s| s.len() as i64).collect())
}

/// (source, theme position) → (articles, copies), in source then theme order: who covers
/// what, for `sources.parquet` and its chart.
pub(super) fn source_theme_counts(a: &Analysis) -> BTreeMap<(String, usize), (i64, i64)> {
    let copy_sources = a.copy_sources();
    let mut cells: BTreeMap<(String, usize), (i64, i64)> = BTreeMap::new();
    for (i, &t) in a.themes.assignments.iter().enumerate() {
        cells
            .entry((crate::stories::source_of(&a.articles[i]), t))
            .or_default()
            .0 += 1;
        for s in &copy_sources[i] {
            cells.entry((s.to_string(), t)).or_default().1 += 1;
        }
    }
    cells
}

/// Who covers what: one row per source × theme with articles from that source (copies
/// counted apart), when the input gives a `source` field; `None` otherwise.
pub fn sources(a: &Analysis) -> Result<Option<DataFrame>> {
    if !has_sources(a) {
        return Ok(None);
    }
    let cells = source_theme_counts(a);
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for ((s, _), (n, c)) in &cells {
        *totals.entry(s.as_str()).or_default() += n + c;
    }
    let themes = &a.themes.themes;
    let rows = cells.len();
    let share: Vec<f64> = cells
        .iter()
        .map(|((s, _), (n, c))| (n + c) as f64 / totals[s.as_str()].max(1) as f64)
        .collect();
    Ok(Some(DataFrame::new(
        rows,
        vec![
            Column::new(
                "source".into(),
                cells.keys().map(|k| k.0.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "theme_id".into(),
                cells
                    .keys()
                    .map(|k| themes[k.1].id as i64)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "theme_label".into(),
                cells
                    .keys()
                    .map(|k| themes[k.1].name.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "articles".into(),
                cells.values().map(|v| v.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "copies".into(),
                cells.values().map(|v| v.1).collect::<Vec<_>>(),
            ),
            Column::new("share_of_source".into(), share),
        ],
    )?))
}

pub fn themes(a: &Analysis) -> Result<DataFrame> {
    let t = &a.themes.themes;
    let (copies, sources) = theme_reach(a);
    let [stability, unstable] = stability_columns(t);
    let reps = |f: &dyn Fn(usize) -> String| -> Vec<Vec<String>> {
        t.iter()
            .map(|th| th.representatives.iter().map(|&i| f(i)).collect())
            .collect()
    };
    Ok(DataFrame::new(
        t.len(),
        vec![
            Column::new(
                "theme_id".into(),
                t.iter().map(|th| th.id as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "name".into(),
                t.iter().map(|th| th.name.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "label".into(),
                t.iter().map(|th| th.label.as_str()).collect::<Vec<_>>(),
            ),
            string_list(
                "top_terms",
                &t.iter()
                    .map(|th| th.top_terms.as_slice())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "size".into(),
                t.iter().map(|th| th.size as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "share".into(),
                t.iter().map(|th| th.share).collect::<Vec<_>>(),
            ),
            Column::new("copies".into(), copies),
            Column::new("sources".into(), sources),
            stability,
            unstable,
            Column::new(
                "born".into(),
                a.born
                    .iter()
                    .map(|b| (!b.is_empty()).then_some(b.as_str()))
                    .collect::<Vec<_>>(),
            ),
            string_list("representative_ids", &reps(&|i| a.articles[i].id.clone())),
            string_list(
                "representative_titles",
                &reps(&|i| a.articles[i].title.clone()),
            ),
            model_column(a.model_id(), t.len()),
        ],
    )?)
}

/// `model`: the identity of the model the themes belong to ([`crate::model::Ledger::id`]),
/// the same in every row; null where unknown.
pub(super) fn model_column(id: Option<u64>, rows: usize) -> Column {
    let id = id.map(model_id_text);
    Column::new("model".into(), vec![id.as_deref(); rows])
}

/// A model identity as `themes.parquet`, `model show` and a timeline's errors show it.
pub fn model_id_text(id: u64) -> String {
    format!("{id:016x}")
}

/// Long format: one row per period × theme, zeros included.
pub fn theme_counts(o: &super::Overview) -> Result<DataFrame> {
    let tr = o.trends;
    let k = o.themes.len();
    let (mut period, mut start, mut theme, mut label, mut count, mut share) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (b, bucket) in tr.buckets.iter().enumerate() {
        let total = tr.period_total(b);
        for (t, th) in o.themes.iter().enumerate().take(k) {
            period.push(bucket.to_string());
            start.push(bucket.start());
            theme.push(th.id as i64);
            label.push(th.name.as_str());
            let c = tr.counts[b][t];
            count.push(c as i64);
            share.push((total > 0).then(|| c as f64 / total as f64));
        }
    }
    let n = period.len();
    Ok(DataFrame::new(
        n,
        vec![
            Column::new("period".into(), period),
            date_column("period_start", &start)?,
            Column::new("theme_id".into(), theme),
            Column::new("theme_label".into(), label),
            Column::new("count".into(), count),
            Column::new("share".into(), share),
        ],
    )?)
}

/// The theme tree, one row per edge: `child` (a theme `T3` or a group `G2`) joins `parent`
/// (groups `G1`, `G2`, ... in merge order, closest first) at the parent's `distance`.
pub fn theme_tree(a: &Analysis) -> Result<DataFrame> {
    let themes = &a.themes.themes;
    let name = |node: Node| match node {
        Node::Theme(t) => format!("T{}", themes[t].id),
        Node::Group(g) => format!("G{}", g + 1),
    };
    let edges: Vec<(usize, Node)> = a
        .tree
        .merges
        .iter()
        .enumerate()
        .flat_map(|(g, m)| m.children.map(|c| (g, c)))
        .collect();
    let theme = |node: &Node| match *node {
        Node::Theme(t) => Some(&themes[t]),
        Node::Group(_) => None,
    };
    Ok(DataFrame::new(
        edges.len(),
        vec![
            Column::new(
                "child".into(),
                edges.iter().map(|e| name(e.1)).collect::<Vec<_>>(),
            ),
            Column::new(
                "child_theme_id".into(),
                edges
                    .iter()
                    .map(|e| theme(&e.1).map(|t| t.id as i64))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "child_name".into(),
                edges
                    .iter()
                    .map(|e| theme(&e.1).map(|t| t.name.as_str()))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "parent".into(),
                edges
                    .iter()
                    .map(|e| name(Node::Group(e.0)))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "distance".into(),
                edges
                    .iter()
                    .map(|e| a.tree.merges[e.0].distance)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "parent_themes".into(),
                edges
                    .iter()
                    .map(|e| a.tree.merges[e.0].themes as i64)
                    .collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// Whether the input gave sources (a `source` field), so `sources.parquet` is written.
pub fn has_sources(a: &Analysis) -> bool {
    a.articles.iter().any(|x| x.extra.get("source").is_some())
        || a.duplicates.iter().any(|d| d.has_source)
}

/// `history.parquet`, with a saved model: each theme, then each story of more than one
/// report or carried on, against all the model absorbed before this run (see
/// [`crate::compare::History`]); q-values are over the rows of the same `level`.
pub fn history(a: &Analysis) -> Result<Option<DataFrame>> {
    use crate::compare::{against_history, theme_trend, ShareChange};
    let Some(h) = against_history(a) else {
        return Ok(None);
    };
    let themes = &a.themes.themes;
    let stories = &a.stories.stories;
    struct Row<'a> {
        level: &'static str,
        id: usize,
        name: &'a str,
        theme_id: usize,
        change: &'a ShareChange,
        status: &'static str,
    }
    let rows: Vec<Row> = h
        .themes
        .iter()
        .map(|(i, c)| {
            let t = &themes[*i];
            Row {
                level: "theme",
                id: t.id,
                name: &t.name,
                theme_id: t.id,
                change: c,
                status: theme_trend(c),
            }
        })
        .chain(h.stories.iter().map(|c| {
            let s = &stories[c.story];
            Row {
                level: "story",
                id: s.id,
                name: &s.name,
                theme_id: themes[s.theme].id,
                change: &c.change,
                status: c.status(),
            }
        }))
        .collect();
    let int = |f: &dyn Fn(&Row) -> usize| rows.iter().map(|r| f(r) as i64).collect::<Vec<_>>();
    let float =
        |f: &dyn Fn(&ShareChange) -> f64| rows.iter().map(|r| f(r.change)).collect::<Vec<_>>();
    Ok(Some(DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "level".into(),
                rows.iter().map(|r| r.level).collect::<Vec<_>>(),
            ),
            Column::new("id".into(), int(&|r| r.id)),
            Column::new(
                "name".into(),
                rows.iter().map(|r| r.name).collect::<Vec<_>>(),
            ),
            Column::new("theme_id".into(), int(&|r| r.theme_id)),
            Column::new("articles_before".into(), int(&|r| r.change.before)),
            Column::new("articles".into(), int(&|r| r.change.after)),
            Column::new("share_before".into(), float(&|c| c.share_before)),
            Column::new("share".into(), float(&|c| c.share_after)),
            Column::new("z".into(), float(&|c| c.z)),
            Column::new("p_value".into(), float(&|c| c.p_value)),
            Column::new("q_value".into(), float(&|c| c.q_value)),
            Column::new(
                "status".into(),
                rows.iter().map(|r| r.status).collect::<Vec<_>>(),
            ),
        ],
    )?))
}

/// One row per story, in the order of their ids (of their first articles). `per_day` counts
/// its articles on each day from `first_date` to `last_date`.
pub fn stories(a: &Analysis) -> Result<DataFrame> {
    let s = &a.stories.stories;
    let themes = &a.themes.themes;
    let int = |f: &dyn Fn(&crate::stories::Story) -> usize| -> Vec<i64> {
        s.iter().map(|x| f(x) as i64).collect()
    };
    // A story's first day and its days, when dated.
    let span = |x: &crate::stories::Story| match (x.first, x.last) {
        (Some(first), Some(last)) => Some((first, (last - first).num_days() as usize + 1)),
        _ => None,
    };
    let days = s.iter().filter_map(span).map(|(_, n)| n).sum();
    let mut per_day = ListPrimitiveChunkedBuilder::<Int32Type>::new(
        "per_day".into(),
        s.len(),
        days,
        DataType::Int32,
    );
    let mut counts: Vec<i32> = Vec::new();
    for x in s {
        counts.clear();
        if let Some((first, n)) = span(x) {
            counts.resize(n, 0);
            for &m in &x.members {
                if let Some(d) = a.articles[m].date {
                    counts[(d - first).num_days() as usize] += 1;
                }
            }
        }
        per_day.append_slice(&counts);
    }
    let per_day = per_day.finish().into_column();
    Ok(DataFrame::new(
        s.len(),
        vec![
            Column::new("story_id".into(), int(&|x| x.id)),
            Column::new("theme_id".into(), int(&|x| themes[x.theme].id)),
            Column::new(
                "theme_label".into(),
                s.iter()
                    .map(|x| themes[x.theme].name.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "name".into(),
                s.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ),
            string_list(
                "top_terms",
                &s.iter().map(|x| x.top_terms.as_slice()).collect::<Vec<_>>(),
            ),
            Column::new("articles".into(), int(&|x| x.size())),
            Column::new("copies".into(), int(&|x| x.copies)),
            Column::new("sources".into(), int(&|x| x.sources)),
            Column::new(
                "continued".into(),
                s.iter().map(|x| x.continued.is_some()).collect::<Vec<_>>(),
            ),
            date_column(
                "story_first_date",
                &s.iter()
                    .map(|x| x.continued.or(x.first))
                    .collect::<Vec<_>>(),
            )?,
            date_column("first_date", &s.iter().map(|x| x.first).collect::<Vec<_>>())?,
            date_column("last_date", &s.iter().map(|x| x.last).collect::<Vec<_>>())?,
            per_day,
            Column::new(
                "central_article_id".into(),
                s.iter()
                    .map(|x| a.articles[x.central].id.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "headline".into(),
                s.iter()
                    .map(|x| a.headline(x.central, 120))
                    .collect::<Vec<_>>(),
            ),
        ],
    )?)
}

pub fn duplicates(a: &Analysis) -> Result<DataFrame> {
    let d = &a.duplicates;
    // A copy belongs to the story of the article it repeats (none if that one was rejected).
    let story_of: Vec<Option<i64>> = a
        .copy_of
        .iter()
        .map(|i| i.map(|i| a.stories.assignments[i] as i64))
        .collect();
    Ok(DataFrame::new(
        d.len(),
        vec![
            Column::new(
                "article_id".into(),
                d.iter().map(|x| x.article_id.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "source".into(),
                d.iter().map(|x| x.file.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "line".into(),
                d.iter()
                    .map(|x| x.line.map(|l| l as i64))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "title".into(),
                d.iter().map(|x| x.title.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "duplicate_of".into(),
                d.iter()
                    .map(|x| x.duplicate_of.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new("story_id".into(), story_of),
            Column::new(
                "similarity".into(),
                d.iter().map(|x| x.similarity).collect::<Vec<_>>(),
            ),
            Column::new(
                "kind".into(),
                d.iter()
                    .map(|x| if x.exact { "exact" } else { "near" })
                    .collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// One row per score; `articles` is how many labelled articles were scored.
pub fn metrics(a: &Analysis) -> Result<Option<DataFrame>> {
    let Some(m) = &a.metrics else {
        return Ok(None);
    };
    let rows = m.rows();
    Ok(Some(DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "metric".into(),
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            ),
            Column::new("value".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            Column::new("articles".into(), vec![m.n as i64; rows.len()]),
            Column::new(
                "label_field".into(),
                vec![a.config.settings.label_field.clone().unwrap_or_default(); rows.len()],
            ),
        ],
    )?))
}

pub fn rejects(a: &Analysis) -> Result<DataFrame> {
    let r = &a.rejects;
    Ok(DataFrame::new(
        r.len(),
        vec![
            Column::new(
                "source".into(),
                r.iter().map(|x| x.file.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "line".into(),
                r.iter()
                    .map(|x| x.line.map(|l| l as i64))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "reason".into(),
                r.iter().map(|x| x.reason.as_str()).collect::<Vec<_>>(),
            ),
        ],
    )?)
}
