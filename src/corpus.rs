//! Corpus reading: turns files and folders into [`Article`]s, and every input that cannot become
//! an article into a [`Reject`] with its reason, so nothing read is ever silently lost.
//!
//! Supported inputs: `.txt` (one article per file, first non-empty line is the title) and
//! `.jsonl` / `.jsonl.gz` (one JSON object per line: `text` required; `title`, `date`, `id`,
//! `source` optional; every other field is carried through to the articles table).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::Value;

/// Errors that stop reading altogether (as opposed to per-article rejects).
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("no input given")]
    NoInput,
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One article as read from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// The input's `id` where given, else `<file>#<line>` (stable across runs).
    pub id: String,
    /// The file the article was read from, as given on the command line.
    pub file: String,
    /// 1-based line number for line-oriented inputs (JSON Lines).
    pub line: Option<u64>,
    pub date: Option<NaiveDate>,
    pub title: String,
    pub text: String,
    /// Every other input field (including the input's own `source`), carried through verbatim.
    pub extra: BTreeMap<String, Value>,
}

/// Something that was read but could not become an article.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub file: String,
    pub line: Option<u64>,
    pub reason: String,
}

/// The result of reading all inputs.
#[derive(Debug, Default)]
pub struct Corpus {
    pub articles: Vec<Article>,
    pub rejects: Vec<Reject>,
    /// Problems that did not cost an article (skipped files, lossy decoding, bad dates).
    pub warnings: Vec<String>,
}

impl Corpus {
    /// Articles read, whether kept or rejected.
    pub fn n_read(&self) -> usize {
        self.articles.len() + self.rejects.len()
    }
}

/// Reads every input path; directories are walked recursively in sorted order so that the
/// article order, and therefore every generated id and table, is the same on every run.
pub fn read_inputs<P: AsRef<Path>>(inputs: &[P]) -> Result<Corpus, CorpusError> {
    if inputs.is_empty() {
        return Err(CorpusError::NoInput);
    }
    let mut files = Vec::new();
    for input in inputs {
        let path = input.as_ref();
        if !path.exists() {
            return Err(CorpusError::NotFound {
                path: path.to_path_buf(),
            });
        }
        collect_files(path, &mut files)?;
    }
    let mut corpus = Corpus::default();
    for file in &files {
        read_file(file, &mut corpus)?;
    }
    dedupe_ids(&mut corpus);
    Ok(corpus)
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), CorpusError> {
    if !path.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let io_err = |source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut entries = fs::read_dir(path)
        .map_err(io_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_err)?;
    entries.sort();
    for entry in entries {
        let hidden = entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if !hidden {
            collect_files(&entry, out)?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Text,
    JsonLines,
}

fn detect_format(path: &Path) -> Option<(Format, bool)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (stem, gz) = match name.strip_suffix(".gz") {
        Some(stem) => (stem.to_string(), true),
        None => (name, false),
    };
    let format = match Path::new(&stem).extension()?.to_str()? {
        "txt" => Format::Text,
        "jsonl" | "ndjson" => Format::JsonLines,
        _ => return None,
    };
    Some((format, gz))
}

fn read_file(path: &Path, corpus: &mut Corpus) -> Result<(), CorpusError> {
    let display = path.display().to_string();
    let Some((format, gz)) = detect_format(path) else {
        corpus.warnings.push(format!(
            "{display}: skipped: unsupported file type (expected .txt, .jsonl or .jsonl.gz)"
        ));
        return Ok(());
    };
    let io_err = |source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = fs::read(path).map_err(io_err)?;
    if gz {
        let mut decoded = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut decoded)
            .map_err(io_err)?;
        bytes = decoded;
    }
    let text = decode_utf8(&display, &bytes, &mut corpus.warnings);
    match format {
        Format::Text => read_text_article(&display, &text, corpus),
        Format::JsonLines => read_json_lines(&display, &text, corpus),
    }
    Ok(())
}

/// Decodes lossily: one bad byte should not cost a whole file, but the user must hear of it.
fn decode_utf8(file: &str, bytes: &[u8], warnings: &mut Vec<String>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            warnings.push(format!(
                "{file}:{line}: invalid UTF-8 at byte {offset}; undecodable bytes replaced with U+FFFD"
            ));
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

fn read_text_article(file: &str, content: &str, corpus: &mut Corpus) {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut lines = content.lines();
    let title = lines
        .by_ref()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let body = lines.collect::<Vec<_>>().join("\n").trim().to_string();
    let reason = if title.is_empty() {
        Some("empty file")
    } else if body.is_empty() {
        Some("no body text after the title line")
    } else {
        None
    };
    if let Some(reason) = reason {
        corpus.rejects.push(Reject {
            file: file.to_string(),
            line: None,
            reason: reason.to_string(),
        });
        return;
    }
    corpus.articles.push(Article {
        id: file.to_string(),
        file: file.to_string(),
        line: None,
        date: None,
        title: title.to_string(),
        text: body,
        extra: BTreeMap::new(),
    });
}

fn read_json_lines(file: &str, content: &str, corpus: &mut Corpus) {
    let mut any_line = false;
    for (i, raw) in content.lines().enumerate() {
        let line_no = i as u64 + 1;
        let raw = raw.trim_start_matches('\u{feff}').trim();
        if raw.is_empty() {
            continue;
        }
        any_line = true;
        match parse_json_article(file, line_no, raw, &mut corpus.warnings) {
            Ok(article) => corpus.articles.push(article),
            Err(reason) => corpus.rejects.push(Reject {
                file: file.to_string(),
                line: Some(line_no),
                reason,
            }),
        }
    }
    if !any_line {
        corpus
            .warnings
            .push(format!("{file}: empty file: no JSON lines in it"));
    }
}

fn parse_json_article(
    file: &str,
    line: u64,
    raw: &str,
    warnings: &mut Vec<String>,
) -> Result<Article, String> {
    let value: Value = serde_json::from_str(raw).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(mut fields) = value else {
        return Err("not a JSON object".to_string());
    };
    let text = match fields.remove("text") {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => return Err("missing field `text`".to_string()),
        Some(other) => return Err(format!("field `text` is not a string: {other}")),
    };
    if text.trim().is_empty() {
        return Err("empty `text`".to_string());
    }
    let title = match fields.remove("title") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let id = match fields.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => format!("{file}#{line}"),
    };
    let date = match fields.remove("date") {
        Some(Value::String(s)) if !s.trim().is_empty() => match parse_date(&s) {
            Some(d) => Some(d),
            None => {
                warnings.push(format!(
                    "{file}:{line}: unreadable date {s:?} (expected YYYY-MM-DD or RFC 3339); article kept as undated"
                ));
                None
            }
        },
        Some(Value::String(_)) | Some(Value::Null) | None => None,
        Some(other) => {
            warnings.push(format!(
                "{file}:{line}: date {other} is not a string; article kept as undated"
            ));
            None
        }
    };
    Ok(Article {
        id,
        file: file.to_string(),
        line: Some(line),
        date,
        title,
        text,
        extra: fields.into_iter().collect(),
    })
}

/// Accepts `YYYY-MM-DD`, RFC 3339, and RFC 3339 without an offset; an RFC 3339 timestamp keeps
/// the calendar date of its own offset (the day the publisher printed).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.date_naive());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.date());
        }
    }
    None
}

/// Ids key the themes' representative articles, so they must be unique: a repeated id gets a
/// `~N` suffix and a warning rather than silently shadowing another article.
fn dedupe_ids(corpus: &mut Corpus) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for article in &mut corpus.articles {
        let n = seen.entry(article.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let new_id = format!("{}~{}", article.id, *n);
            corpus.warnings.push(format!(
                "{}:{}: id {:?} already used; renamed to {:?}",
                article.file,
                article.line.unwrap_or(0),
                article.id,
                new_id
            ));
            article.id = new_id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(name: &str, content: &[u8]) -> Corpus {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        fs::write(&path, content).unwrap();
        read_inputs(&[&path]).unwrap()
    }

    #[test]
    fn jsonl_fields_dates_and_rejects() {
        let corpus = read_str(
            "a.jsonl",
            br#"{"id":"x1","title":"T","text":"body one","date":"2025-05-12","label":"gaza"}

{"text":"body two","date":"2025-05-13T23:30:00-04:00"}
{"text":"  "}
{not json
{"title":"no text"}
{"text":"bad date","date":"12/05/2025"}
"#,
        );
        assert_eq!(corpus.articles.len(), 3);
        assert_eq!(corpus.rejects.len(), 3);
        assert_eq!(corpus.n_read(), 6);
        let a = &corpus.articles[0];
        assert_eq!(a.id, "x1");
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2025, 5, 12));
        assert_eq!(a.extra["label"], Value::String("gaza".into()));
        let b = &corpus.articles[1];
        assert!(b.id.ends_with("a.jsonl#3"), "{}", b.id);
        assert_eq!(b.date, NaiveDate::from_ymd_opt(2025, 5, 13));
        assert_eq!(corpus.articles[2].date, None);
        assert!(corpus
            .warnings
            .iter()
            .any(|w| w.contains(":7: unreadable date")));
        let reasons: Vec<_> = corpus
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons[0], (Some(4), "empty `text`"));
        assert!(reasons[1].1.starts_with("malformed JSON"));
        assert_eq!(reasons[2], (Some(6), "missing field `text`"));
    }

    #[test]
    fn text_file_title_and_body() {
        let corpus = read_str("t.txt", b"\n\n  Headline here \n\nFirst para.\nSecond.\n");
        assert_eq!(corpus.articles[0].title, "Headline here");
        assert_eq!(corpus.articles[0].text, "First para.\nSecond.");
        let empty = read_str("e.txt", b"  \n");
        assert_eq!(empty.rejects[0].reason, "empty file");
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_with_position() {
        let corpus = read_str("u.txt", b"Title\nline two\nbad \xff byte\n");
        assert_eq!(corpus.articles.len(), 1);
        assert!(corpus.articles[0].text.contains('\u{fffd}'));
        assert!(
            corpus.warnings[0].contains("u.txt:3: invalid UTF-8 at byte 19"),
            "{:?}",
            corpus.warnings
        );
    }

    #[test]
    fn gzip_and_repeated_ids() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"id\":7,\"text\":\"a\"}\n{\"id\":7,\"text\":\"b\"}\n")
            .unwrap();
        let corpus = read_str("z.jsonl.gz", &enc.finish().unwrap());
        let ids: Vec<_> = corpus.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["7", "7~2"]);
    }

    #[test]
    fn missing_path_and_unknown_extension() {
        assert!(matches!(
            read_inputs(&["/nonexistent/x.jsonl"]),
            Err(CorpusError::NotFound { .. })
        ));
        let corpus = read_str("x.pdf", b"%PDF");
        assert!(corpus.articles.is_empty());
        assert!(corpus.warnings[0].contains("unsupported file type"));
    }
}
