//! Report: writes a run's tables, charts and summary into the output folder, as one unit
//! (see [`crate::output`]): a failed or killed run leaves the previous outputs intact.

pub mod aggregate;
pub mod charts;
pub mod comparison;
pub mod explore;
pub mod html;
pub mod summary;
pub mod tables;
pub mod timeline;

use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::error::Result;
use polars::io::parquet::write::get_encodings;
use polars::prelude::{ArrowField, CompatLevel, DataFrame, ParquetCompression, SchemaExt};
use polars_arrow::array::Array;
use polars_parquet::write::{
    array_to_columns, compress, fallible_streaming_iterator, CompressedPage, DynIter,
    DynStreamingIterator, FileWriter, StatisticsOptions, Version, WriteOptions,
};
use rayon::prelude::*;

use crate::compare::Comparison;
use crate::output::layout::*;
use crate::output::{self, write_atomic, Written};
use crate::pipeline::Analysis;
use crate::themes::Theme;
use crate::trends::Trends;

/// What the overview charts and `theme_counts` show: themes in chart order with their sizes
/// and shares, articles per theme per period, and how many articles that is. A run has one
/// ([`Analysis::overview`]); so do counts aggregated elsewhere ([`aggregate`], Spark's).
pub struct Overview<'a> {
    pub themes: &'a [Theme],
    pub trends: &'a Trends,
    pub articles: usize,
}

impl Analysis {
    pub fn overview(&self) -> Overview<'_> {
        Overview {
            themes: &self.themes.themes,
            trends: &self.trends,
            articles: self.articles.len(),
        }
    }
}

/// A table is cut into this many row groups (each of at least [`MIN_ROW_GROUP`] rows), which
/// are compressed side by side. Polars compresses a file's pages one after another, and the
/// articles table's texts made that the longest step of writing. The cut depends only on the
/// table's height, so files are the same whatever the number of threads.
const ROW_GROUPS: usize = 8;
const MIN_ROW_GROUP: usize = 1024;
/// Polars' own cap, so that a million-article table is not one huge row group.
const MAX_ROW_GROUP: usize = 512 * 512;

pub(crate) fn write_parquet(path: &Path, df: DataFrame) -> Result<()> {
    write_parquet_parts(path, df, None)
}

/// The articles table, its texts added a row group at a time.
fn write_parquet_with_texts(path: &Path, a: &Analysis) -> Result<()> {
    let texts = |rows: std::ops::Range<usize>| tables::article_text_array(a, rows);
    let late: LateColumn = (tables::TEXT_COLUMN, "text", &texts);
    write_parquet_parts(path, tables::articles_without_text(a)?, Some(late))
}

/// A column made for each row group's rows as it is written, at this position and with this
/// name, as the Arrow array the encoder reads.
type LateColumn<'a> = (
    usize,
    &'a str,
    &'a (dyn Fn(std::ops::Range<usize>) -> Result<Box<dyn Array>> + Sync),
);

/// Writes `df` (with `late`'s column inserted into every row group) as Parquet.
fn write_parquet_parts(path: &Path, mut df: DataFrame, late: Option<LateColumn>) -> Result<()> {
    df.rechunk_mut();
    let rows = df
        .height()
        .div_ceil(ROW_GROUPS)
        .clamp(MIN_ROW_GROUP, MAX_ROW_GROUP);
    // Zstandard at level 1, not polars' default 3: the articles' texts compress about a third
    // faster for a file some 15% larger, which every Parquet reader opens alike.
    let level = polars_parquet::write::ZstdLevel::try_new(1)?;
    let compression = ParquetCompression::Zstd(Some(level));
    // Otherwise the options polars' writer uses by default.
    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: compression.into(),
        data_page_size: None,
    };
    // The late column (the articles' texts) without minimum and maximum: no query filters
    // on a text's order, and comparing texts of thousands of characters took a third of the
    // time of writing them.
    let late_options = WriteOptions {
        statistics: StatisticsOptions {
            min_value: false,
            max_value: false,
            ..StatisticsOptions::default()
        },
        ..options
    };
    // Strings as plain `large_string`, not polars' newer `string_view`: the schema stored in
    // the file is what pyarrow hands pandas, and pandas (3.x with pyarrow 26) cannot turn a
    // list of string views into a column. Polars' own writer always stores the newest types.
    let mut arrow_schema = df.schema().to_arrow(CompatLevel::oldest());
    if let Some((at, name, column)) = late {
        // Nullable, as polars makes every field.
        let field = ArrowField::new(name.into(), column(0..0)?.dtype().clone(), true);
        arrow_schema.insert_at_index(at, name.into(), field)?;
    }
    let encodings = get_encodings(&arrow_schema);
    write_atomic(path, |tmp| {
        // Buffered: the writer emits page headers and the footer a field at a time, which
        // unbuffered would be thousands of one-byte system calls.
        let file = io::BufWriter::with_capacity(1 << 20, fs::File::create(tmp)?);
        let mut writer = FileWriter::try_new(file, arrow_schema.clone(), options)?;
        let fields = writer.parquet_schema().fields().to_vec();
        let starts: Vec<usize> = (0..df.height()).step_by(rows).collect();
        // Groups are compressed a thread's worth at a time and written before the next
        // ones start, so only those few are held, not the whole compressed articles table
        // (hundreds of MB at a million full-length articles).
        for window in starts.chunks(rayon::current_num_threads().max(1)) {
            let groups = window
                .par_iter()
                .map(|&start| -> Result<(u64, Vec<Vec<CompressedPage>>)> {
                    let mut part = df.slice(start as i64, rows);
                    part.rechunk_mut();
                    let late_array = late
                        .map(|(_, _, column)| column(start..start + part.height()))
                        .transpose()?;
                    let mut columns = Vec::new();
                    let mut offset = 0;
                    for batch in part.iter_chunks(CompatLevel::oldest(), false) {
                        let height = batch.height();
                        let mut arrays = batch.into_arrays();
                        if let (Some((at, _, _)), Some(array)) = (late, &late_array) {
                            arrays.insert(at, array.sliced(offset, height));
                        }
                        offset += height;
                        for (c, ((array, field), encoding)) in
                            arrays.iter().zip(&fields).zip(encodings.iter()).enumerate()
                        {
                            let options = if late.is_some_and(|(at, _, _)| at == c) {
                                late_options
                            } else {
                                options
                            };
                            for pages in array_to_columns(array, field.clone(), options, encoding)?
                            {
                                let compressed = pages
                                    .map(|page| Ok(compress(page?, vec![], options.compression)?))
                                    .collect::<Result<Vec<CompressedPage>>>()?;
                                columns.push(compressed);
                            }
                        }
                    }
                    Ok((part.height() as u64, columns))
                })
                .collect::<Result<Vec<_>>>()?;
            for (n_rows, columns) in groups {
                let group = DynIter::new(columns.iter().map(|pages| {
                    Ok(DynStreamingIterator::new(
                        fallible_streaming_iterator::convert(pages.iter().map(Ok)),
                    ))
                }));
                writer.write(n_rows, group)?;
            }
        }
        writer.end(None)?;
        writer
            .into_inner()
            .into_inner()
            .map_err(|e| e.into_error())?;
        Ok(())
    })
}

/// Every name a command writes in an output folder: what a run's folder may hold, and what
/// is not the user's.
pub const OWNED: [&str; 24] = [
    ARTICLES,
    EXPLORE,
    HISTORY,
    SOURCES_PNG,
    STORY_COMPARISON,
    SOURCES,
    STORIES,
    STORIES_PNG,
    THEMES,
    THEME_COUNTS,
    REJECTS,
    DUPLICATES,
    METRICS,
    FREQUENCY_PNG,
    TRENDS_PNG,
    SUMMARY,
    TREE,
    TREE_PNG,
    html::INDEX,
    COMPARISON,
    KEYWORD_SHIFTS,
    COMPARE_PNG,
    COMPARE_TERMS_PNG,
    COMPARE_MD,
];

/// Writes every output of a run (and of its comparison, for `compare`) into `out` as one
/// unit: a reader sees the previous outputs or these, never a mix (see
/// [`output::write_folder`]). `cancel`, set before the swap, leaves the previous ones.
pub fn write(
    a: &Analysis,
    cmp: Option<&Comparison>,
    out: &Path,
    cancel: Option<&AtomicBool>,
) -> Result<Written> {
    output::write_folder(out, &OWNED, cancel, |dir| {
        let mut names = write_run(a, dir)?;
        if let Some(c) = cmp {
            names.extend(comparison::write(c, dir)?);
        }
        html::write(a, cmp, dir)?;
        names.push(html::INDEX);
        Ok(names)
    })
}

/// Writes a run's tables, charts and summary into `dir`; returns their names.
fn write_run(a: &Analysis, dir: &Path) -> Result<Vec<&'static str>> {
    let path = |name: &str| dir.join(name);
    // The articles table (zstd over every text), the other tables, and the charts with the
    // explore page, side by side: they share nothing, and none is half of the whole.
    let ((articles, tables), charts) = rayon::join(
        || {
            rayon::join(
                || write_parquet_with_texts(&path(ARTICLES), a),
                || write_tables(a, dir),
            )
        },
        || write_charts(a, dir),
    );
    articles?;
    let (tables, charts) = (tables?, charts?);
    let summary = summary::render(a);
    write_atomic(&path(SUMMARY), |tmp| Ok(fs::write(tmp, &summary)?))?;
    let mut names = vec![ARTICLES];
    names.extend(tables);
    names.extend(charts);
    names.extend([SUMMARY, EXPLORE]);
    Ok(names)
}

/// Every table but the articles'; returns their names.
fn write_tables(a: &Analysis, dir: &Path) -> Result<Vec<&'static str>> {
    let path = |name: &str| dir.join(name);
    write_parquet(&path(THEMES), tables::themes(a)?)?;
    write_parquet(&path(THEME_COUNTS), tables::theme_counts(&a.overview())?)?;
    write_parquet(&path(DUPLICATES), tables::duplicates(a)?)?;
    write_parquet(&path(REJECTS), tables::rejects(a)?)?;
    write_parquet(&path(TREE), tables::theme_tree(a)?)?;
    write_parquet(&path(STORIES), tables::stories(a)?)?;
    let mut names = vec![THEMES, THEME_COUNTS, DUPLICATES, REJECTS, TREE, STORIES];
    let optional = [
        (METRICS, tables::metrics(a)?),
        (HISTORY, tables::history(a)?),
        (SOURCES, tables::sources(a)?),
    ];
    for (name, df) in optional {
        if let Some(df) = df {
            write_parquet(&path(name), df)?;
            names.push(name);
        }
    }
    Ok(names)
}

/// The charts and the explore page; returns the charts' names.
fn write_charts(a: &Analysis, dir: &Path) -> Result<Vec<&'static str>> {
    type Draw = fn(&Analysis, &Path) -> Result<()>;
    let mut drawn: Vec<(&'static str, Draw)> = Vec::new();
    // Who covers what, when the input says where each article came from.
    if tables::has_sources(a) {
        drawn.push((SOURCES_PNG, charts::source_coverage));
    }
    drawn.extend([
        (
            FREQUENCY_PNG,
            (|a, tmp| charts::theme_frequency(&a.overview(), tmp)) as Draw,
        ),
        (TRENDS_PNG, |a, tmp| {
            charts::theme_trends(&a.overview(), tmp)
        }),
        (TREE_PNG, charts::theme_tree),
        (STORIES_PNG, charts::story_lifelines),
    ]);
    let names = drawn
        .into_par_iter()
        .map(|(name, draw)| write_atomic(&dir.join(name), |tmp| draw(a, tmp)).map(|()| name))
        .collect::<Result<Vec<_>>>()?;
    explore::write(a, &dir.join(EXPLORE))?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;

    fn read(path: &Path) -> (DataFrame, usize) {
        let mut reader = ParquetReader::new(fs::File::open(path).expect("written"));
        let groups = reader.get_metadata().expect("metadata").row_groups.len();
        (reader.finish().expect("valid parquet"), groups)
    }

    /// Row groups written side by side read back as the table, in order, with nulls, dates
    /// and lists intact; an empty table keeps its schema.
    #[test]
    fn row_groups_read_back_as_the_table() {
        let n: i32 = 3000;
        let texts: Vec<Option<String>> = (0..n)
            .map(|i| (i % 7 != 0).then(|| format!("article {i} about theme {}", i % 5)))
            .collect();
        let lists: Vec<Series> = (0..n)
            .map(|i| Series::new("".into(), [format!("t{}", i % 3), "x".to_string()]))
            .collect();
        let days = Series::new("day".into(), (0..n).map(|d| d % 30).collect::<Vec<_>>())
            .cast(&DataType::Date)
            .expect("dates");
        let df = df!(
            "id" => (0..i64::from(n)).collect::<Vec<_>>(),
            "text" => texts,
            "day" => days,
            "terms" => lists,
        )
        .expect("frame");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.parquet");
        write_parquet(&path, df.clone()).expect("written");
        let (back, groups) = read(&path);
        assert_eq!(groups, 3, "3000 rows in groups of at least {MIN_ROW_GROUP}");
        assert!(back.equals_missing(&df));

        // A column added to each row group as it is written gives the same table, in the
        // same row groups, as the whole table written at once (the file differs only in
        // that column's statistics, which keep no minimum and maximum).
        let late = dir.path().join("late.parquet");
        let texts = df.column("text").expect("text").clone();
        let at = df.get_column_index("text").expect("text");
        let rest = df.drop("text").expect("drop");
        let slice = |rows: std::ops::Range<usize>| {
            let part = texts.slice(rows.start as i64, rows.len());
            let part = part.as_materialized_series().rechunk();
            Ok(part.to_arrow(0, CompatLevel::oldest()))
        };
        write_parquet_parts(&late, rest, Some((at, "text", &slice))).expect("written");
        let (back, late_groups) = read(&late);
        assert_eq!(late_groups, groups);
        assert!(back.equals_missing(&df));

        write_parquet(&path, df.clear()).expect("written");
        let (back, groups) = read(&path);
        assert_eq!((back.height(), groups), (0, 0));
        assert_eq!(back.schema(), df.schema());
    }
}
