//! `.csv` inputs: a header row, then one article per row.

use super::*;

pub(super) fn read_csv(file: &str, content: &str, options: &ReadOptions, corpus: &mut Corpus) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(content.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            corpus
                .warnings
                .push(format!("{file}: skipped: no CSV header row: {e}"));
            return;
        }
    };
    if !headers.iter().any(|h| h == options.text_field) {
        corpus.warnings.push(format!(
            "{file}: skipped: no `{}` column in the CSV header (columns: {}); map another with \
             --text-field",
            options.text_field,
            headers.iter().collect::<Vec<_>>().join(", ")
        ));
        return;
    }
    for record in reader.records() {
        let (line, result) = match record {
            Ok(r) if r.as_slice().contains('\0') => (
                r.position().map_or(0, |p| p.line()),
                Err("binary content: a NUL byte in the row".to_string()),
            ),
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                let fields = headers
                    .iter()
                    .zip(r.iter())
                    .map(|(h, v)| {
                        let v = if v.is_empty() {
                            Value::Null
                        } else {
                            Value::String(v.to_string())
                        };
                        (h.to_string(), v)
                    })
                    .collect();
                (
                    line,
                    record_to_article(file, line, fields, options, &mut corpus.warnings),
                )
            }
            Err(e) => (
                e.position().map_or(0, |p| p.line()),
                Err(format!("malformed CSV row: {e}")),
            ),
        };
        match result {
            Ok(a) => corpus.articles.push(a),
            Err(reason) => corpus.reject(file, line, reason),
        }
    }
}
