//! `.parquet` inputs and in-memory tables: one article per row.

use super::*;

/// Parquet rows are numbered like lines (1-based) so rejects can point at them.
pub(super) fn read_parquet(file: &str, bytes: Vec<u8>, options: &ReadOptions, corpus: &mut Corpus) {
    use polars::prelude::{ParquetReader, SerReader};
    let unreadable =
        |e: &dyn std::fmt::Display| format!("{file}: skipped: not a readable Parquet file: {e}");
    let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
    let schema = match reader.schema() {
        Ok(schema) => schema,
        Err(e) => return corpus.warnings.push(unreadable(&e)),
    };
    // Nested records (structs, maps) cannot become columns here; they are left out, named,
    // rather than costing the file's articles.
    let (kept, nested): (Vec<_>, Vec<_>) = schema
        .iter_values()
        .partition(|field| !holds_records(field.dtype()));
    if !nested.is_empty() {
        let names: Vec<String> = nested.iter().map(|f| format!("`{}`", f.name)).collect();
        corpus.warnings.push(format!(
            "{file}: nested column{} {} left out (flatten {} to read {})",
            if names.len() > 1 { "s" } else { "" },
            names.join(", "),
            if names.len() > 1 { "them" } else { "it" },
            if names.len() > 1 {
                "their fields"
            } else {
                "its fields"
            },
        ));
    }
    let kept = kept.iter().map(|f| f.name.to_string()).collect();
    let df = match reader.with_columns(Some(kept)).finish() {
        Ok(df) => df,
        Err(e) => return corpus.warnings.push(unreadable(&e)),
    };
    if df.column(&options.text_field).is_err() {
        corpus.warnings.push(format!(
            "{file}: skipped: no `{}` column in the Parquet file; map another with --text-field",
            options.text_field
        ));
        return;
    }
    read_rows(file, &df, options, corpus);
}

/// Whether a Parquet column holds records (structs, maps, unions), at any depth of lists.
pub(super) fn holds_records(dtype: &polars::prelude::ArrowDataType) -> bool {
    use polars::prelude::ArrowDataType as T;
    match dtype {
        T::Struct(_) | T::Map(..) | T::Union(_) => true,
        T::List(f) | T::LargeList(f) | T::FixedSizeList(f, _) => holds_records(f.dtype()),
        T::Extension(ext) => holds_records(&ext.inner),
        _ => false,
    }
}

/// Reads a table already in memory (a library caller's, e.g. Python's), one article per row,
/// exactly as a Parquet file of the same columns would be read; `name` stands in for the file
/// name in ids, rejects and warnings. A table without the text column is an error here, not a
/// skipped file: it is the whole input.
pub fn read_table(
    name: &str,
    df: &polars::prelude::DataFrame,
    options: &ReadOptions,
) -> Result<Corpus, CorpusError> {
    if df.column(&options.text_field).is_err() {
        return Err(CorpusError::NoTextColumn {
            name: name.to_string(),
            field: options.text_field.clone(),
            columns: df
                .get_column_names()
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut corpus = Corpus::default();
    read_rows(name, df, options, &mut corpus);
    date_undated(&mut corpus.articles, options.default_date);
    dedupe_ids(&mut corpus);
    Ok(corpus)
}

pub(super) fn read_rows(
    file: &str,
    df: &polars::prelude::DataFrame,
    options: &ReadOptions,
    corpus: &mut Corpus,
) {
    use polars::prelude::AnyValue;
    let columns = df.columns();
    for row in 0..df.height() {
        let mut fields = serde_json::Map::new();
        for col in columns {
            let value = match col.get(row) {
                Ok(AnyValue::Null) | Err(_) => Value::Null,
                Ok(AnyValue::String(s)) => Value::String(s.to_string()),
                Ok(AnyValue::StringOwned(s)) => Value::String(s.to_string()),
                Ok(AnyValue::Boolean(b)) => Value::Bool(b),
                Ok(v) if v.is_integer() => v
                    .extract::<i64>()
                    .map_or(Value::Null, |i| Value::Number(i.into())),
                Ok(v) if v.is_float() => v
                    .extract::<f64>()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number),
                Ok(v) => Value::String(v.to_string().trim_matches('"').to_string()),
            };
            fields.insert(col.name().to_string(), value);
        }
        let line = row as u64 + 1;
        match record_to_article(file, line, fields, options, &mut corpus.warnings) {
            Ok(a) => corpus.articles.push(a),
            Err(reason) => corpus.reject(file, line, reason),
        }
    }
}
