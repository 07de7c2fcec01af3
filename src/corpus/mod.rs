//! Corpus reading: turns files and folders into [`Article`]s, and every input that cannot become
//! an article into a [`Reject`] with its reason, so nothing read is ever silently lost.
//!
//! Supported inputs, each optionally gzip-compressed (`.gz`):
//! - `.txt`: a scraped page holding one or more articles, split and cleaned by [`crate::pages`];
//! - `.jsonl`: one JSON object per line;
//! - `.csv` (with a header row) and `.parquet`: one article per row.
//!
//! Records have `text` (required), `title`, `date`, `id` and `source` (optional; the first
//! three can be mapped to other names with [`ReadOptions`]); every other field is carried
//! through to the articles table. Articles with no date take one from their path (a folder or
//! file name like `2025-05-12` or `2025-W19`) or from [`ReadOptions::default_date`].

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use flate2::read::MultiGzDecoder;
use serde_json::Value;

mod csv_rows;
mod dates;
mod json_lines;
mod parquet_rows;
mod store;
mod text_page;

use self::{csv_rows::*, json_lines::*, parquet_rows::*, text_page::*};
pub use dates::{
    date_from_path, date_in_window, day_number, from_day_number, parse_date, EARLIEST_DATE,
    LATEST_DATE,
};
pub use parquet_rows::read_table;
pub use store::TextStore;
pub(crate) use store::{text_bytes, Scratch};

/// Errors that stop reading altogether (as opposed to per-article rejects).
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("no input given")]
    NoInput,
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    #[error("{name}: no `{field}` column (columns: {columns}); map another with text_field")]
    NoTextColumn {
        name: String,
        field: String,
        columns: String,
    },
    // The OS message is the source's: anyhow's `{:#}` prints it once, after this.
    #[error("{path}: cannot read")]
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
    pub extra: Fields,
}

impl Article {
    /// The title, or for an untitled article the first `chars` characters of its text: what
    /// a reader is shown to recognise it.
    pub fn headline(&self, chars: usize) -> String {
        if self.title.is_empty() {
            self.text.chars().take(chars).collect()
        } else {
            self.title.clone()
        }
    }
}

/// An article's other fields, sorted by name. A sorted vector rather than a `BTreeMap`: a
/// map's node holds room for eleven entries, and at a million articles with two or three
/// extra fields each that spare room alone would be half a gigabyte.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Vec<(String, Value)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn insert(&mut self, name: String, value: Value) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&name)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (name, value)),
        }
    }

    /// Fields in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl FromIterator<(String, Value)> for Fields {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Fields {
        let mut fields: Vec<(String, Value)> = iter.into_iter().collect();
        // Stable, keeping the last of repeated names as a map would.
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields.reverse();
        fields.dedup_by(|a, b| a.0 == b.0);
        fields.reverse();
        fields.shrink_to_fit();
        Fields(fields)
    }
}

impl std::ops::Index<&str> for Fields {
    type Output = Value;
    fn index(&self, name: &str) -> &Value {
        self.get(name).unwrap_or(&Value::Null)
    }
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
    /// Records a record (a line or a row) that could not become an article.
    fn reject(&mut self, file: &str, line: u64, reason: String) {
        self.rejects.push(Reject {
            file: file.to_string(),
            line: Some(line),
            reason,
        });
    }

    /// Articles read, whether kept or rejected.
    pub fn n_read(&self) -> usize {
        self.articles.len() + self.rejects.len()
    }
}

/// How to read records: which fields hold the text, title and date, and the date to give
/// articles that have none.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    pub text_field: String,
    pub title_field: String,
    pub date_field: String,
    pub default_date: Option<NaiveDate>,
    /// Folders not to read: the output folder, when it lies inside an input, so that a second
    /// run does not read the first one's tables as articles.
    pub skip_dirs: Vec<PathBuf>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            text_field: "text".into(),
            title_field: "title".into(),
            date_field: "date".into(),
            default_date: None,
            skip_dirs: Vec::new(),
        }
    }
}

/// Reads every input path with the default options.
pub fn read_inputs<P: AsRef<Path>>(inputs: &[P]) -> Result<Corpus, CorpusError> {
    read_inputs_with(inputs, &ReadOptions::default())
}

/// Reads every input path; directories are walked recursively in sorted order so that the
/// article order, and therefore every generated id and table, is the same on every run.
pub fn read_inputs_with<P: AsRef<Path>>(
    inputs: &[P],
    options: &ReadOptions,
) -> Result<Corpus, CorpusError> {
    if inputs.is_empty() {
        return Err(CorpusError::NoInput);
    }
    let mut files = Vec::new();
    let mut walked = std::collections::HashSet::new();
    let mut warnings = Vec::new();
    for input in inputs {
        let path = input.as_ref();
        if !path.exists() {
            return Err(CorpusError::NotFound {
                path: path.to_path_buf(),
            });
        }
        collect_files(
            path,
            &mut files,
            &mut walked,
            &options.skip_dirs,
            &mut warnings,
        )?;
    }
    let mut corpus = Corpus {
        warnings,
        ..Corpus::default()
    };
    for file in &files {
        let before = corpus.articles.len();
        read_file(file, options, &mut corpus)?;
        let path_date = date_from_path(file).or(options.default_date);
        date_undated(&mut corpus.articles[before..], path_date);
    }
    dedupe_ids(&mut corpus);
    Ok(corpus)
}

/// The files `inputs` name, folders walked as [`read_inputs_with`] walks them (sorted, each
/// once, hidden entries left out). Paths that cannot be listed are left out: reading them
/// reports why.
pub fn input_files<P: AsRef<Path>>(inputs: &[P]) -> Vec<PathBuf> {
    let (mut files, mut walked, mut warnings) = (Vec::new(), Default::default(), Vec::new());
    for input in inputs {
        collect_files(input.as_ref(), &mut files, &mut walked, &[], &mut warnings).ok();
    }
    files
}

/// The files under `path`, in sorted order. A folder already walked (a symlink loop such as
/// `d/loop -> .`) is not walked again, and a dangling link inside a folder is skipped with a
/// warning rather than stopping the run.
fn collect_files(
    path: &Path,
    out: &mut Vec<PathBuf>,
    walked: &mut std::collections::HashSet<PathBuf>,
    skip: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<(), CorpusError> {
    if !path.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let io_err = |source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    };
    let real = fs::canonicalize(path).map_err(io_err)?;
    if skip.contains(&real) {
        warnings.push(format!("{}: skipped: the output folder", path.display()));
        return Ok(());
    }
    if !walked.insert(real.clone()) {
        warnings.push(format!(
            "{}: skipped: the folder {} was already read (a symbolic link loop?)",
            path.display(),
            real.display()
        ));
        return Ok(());
    }
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
        if hidden {
            continue;
        }
        if !entry.exists() {
            warnings.push(format!(
                "{}: skipped: a symbolic link to nothing",
                entry.display()
            ));
            continue;
        }
        collect_files(&entry, out, walked, skip, warnings)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Page,
    JsonLines,
    Csv,
    Parquet,
}

fn detect_format(path: &Path) -> Option<(Format, bool)> {
    // Lossy: a name that is not valid UTF-8 (`bad\xff.jsonl`) still has its extension.
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let (stem, gz) = match name.strip_suffix(".gz") {
        Some(stem) => (stem.to_string(), true),
        None => (name, false),
    };
    let format = match Path::new(&stem).extension()?.to_str()? {
        "txt" | "text" => Format::Page,
        "jsonl" | "ndjson" => Format::JsonLines,
        "csv" => Format::Csv,
        "parquet" => Format::Parquet,
        _ => return None,
    };
    Some((format, gz))
}

fn read_file(path: &Path, options: &ReadOptions, corpus: &mut Corpus) -> Result<(), CorpusError> {
    let display = path.display().to_string();
    let Some((format, gz)) = detect_format(path) else {
        corpus.warnings.push(format!(
            "{display}: skipped: unsupported file type (expected .txt, .jsonl, .csv or .parquet, \
             optionally .gz)"
        ));
        return Ok(());
    };
    let io_err = |source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    };
    if format == Format::JsonLines {
        let file = fs::File::open(path).map_err(io_err)?;
        return if gz {
            read_json_lines(&display, MultiGzDecoder::new(file), options, corpus)
        } else {
            read_json_lines(&display, file, options, corpus)
        }
        .map_err(io_err);
    }
    let mut bytes = fs::read(path).map_err(io_err)?;
    if gz {
        // A gzip member ends with its uncompressed size (mod 2³²): reserving it up front
        // spares the decoder a dozen regrowths and copies of a buffer tens of MB long. Only
        // a hint, so a multi-member or damaged file is still read whole.
        let hint = bytes.len().checked_sub(4).map_or(0, |at| {
            let size = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
            (size as usize).min(bytes.len().saturating_mul(64))
        });
        let mut decoded = Vec::with_capacity(hint);
        MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut decoded)
            .map_err(io_err)?;
        bytes = decoded;
    }
    if format == Format::Parquet {
        read_parquet(&display, bytes, options, corpus);
        return Ok(());
    }
    // A CSV file, like JSON Lines, is binary only when its first line (the header) holds a
    // NUL; one further down costs only its own row.
    let binary = match format {
        Format::Csv => first_line_has_nul(&bytes),
        _ => bytes[..bytes.len().min(8192)].contains(&0),
    };
    if binary {
        corpus.warnings.push(format!(
            "{display}: skipped: binary content (a NUL byte in the first 8 KiB) in a text file"
        ));
        return Ok(());
    }
    let text = decode_utf8(&display, bytes, &mut corpus.warnings);
    match format {
        Format::Page => read_page(&display, &text, corpus),
        Format::Csv => read_csv(&display, &text, options, corpus),
        Format::JsonLines | Format::Parquet => unreachable!("handled above"),
    }
    Ok(())
}

/// Decodes lossily: one bad byte should not cost a whole file, but the user must hear of it.
/// Valid input is taken over without a copy.
fn decode_utf8(file: &str, bytes: Vec<u8>, warnings: &mut Vec<String>) -> String {
    let (text, warning) = decode_utf8_at(file, bytes, 1, 0);
    warnings.extend(warning);
    text
}

/// [`decode_utf8`] for a piece of a file that starts at line `first_line` and byte `offset`;
/// the warning, if any, names the file's line and byte.
fn decode_utf8_at(
    file: &str,
    bytes: Vec<u8>,
    first_line: u64,
    offset: usize,
) -> (String, Option<String>) {
    match utf8_string(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let line = first_line + bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u64;
            let at = offset + valid;
            let warning = format!(
                "{file}:{line}: invalid UTF-8 at byte {at}; undecodable bytes replaced with U+FFFD"
            );
            (String::from_utf8_lossy(&bytes).into_owned(), Some(warning))
        }
    }
}

/// `bytes` as text. Checked with SIMD (`simdutf8`): std's check is fast for ASCII only, and
/// on Cyrillic text reading and reading back the texts checked them for 7.5% of a run. Where
/// a check fails, std's says where.
fn utf8_string(bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: the bytes were just found to be UTF-8.
        Ok(unsafe { String::from_utf8_unchecked(bytes) })
    } else {
        String::from_utf8(bytes)
    }
}

/// Turns one record (a JSON object, a CSV or Parquet row) into an article, or says why not.
fn record_to_article(
    file: &str,
    line: u64,
    mut fields: serde_json::Map<String, Value>,
    options: &ReadOptions,
    warnings: &mut Vec<String>,
) -> Result<Article, String> {
    let text_field = options.text_field.as_str();
    let text = match fields.remove(text_field) {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => return Err(format!("missing field `{text_field}`")),
        Some(other) => return Err(format!("field `{text_field}` is not a string: {other}")),
    };
    if text.trim().is_empty() {
        return Err(format!("empty `{text_field}`"));
    }
    let title = match fields.remove(&options.title_field) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let id = match fields.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => format!("{file}#{line}"),
    };
    let date = match fields.remove(&options.date_field) {
        Some(Value::String(s)) if !s.trim().is_empty() => match parse_date(&s) {
            Some(d) if date_in_window(d) => Some(d),
            Some(d) => {
                warnings.push(format!(
                    "{file}:{line}: date {d} is outside {EARLIEST_DATE}..{LATEST_DATE}; article \
                     kept as undated"
                ));
                None
            }
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

/// Gives `date` to the articles whose record had none.
fn date_undated(articles: &mut [Article], date: Option<NaiveDate>) {
    for article in articles.iter_mut().filter(|a| a.date.is_none()) {
        article.date = date;
    }
}

/// Ids key the themes' representative articles, so they must be unique: a repeated id gets a
/// `~N` suffix and a warning rather than silently shadowing another article.
fn dedupe_ids(corpus: &mut Corpus) {
    // Most inputs repeat no id, which one pass over the ids as they are tells (at a million
    // articles, copying every id into two maps first was a third of a second on one core).
    let mut ids: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    ids.reserve(corpus.articles.len());
    if corpus.articles.iter().all(|a| ids.insert(a.id.as_str())) {
        return;
    }
    drop(ids);
    // Every id given, so that a new `a~2` never takes the id of a real article `a~2`.
    let mut taken: std::collections::HashSet<String> =
        corpus.articles.iter().map(|a| a.id.clone()).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for article in &mut corpus.articles {
        let n = seen.entry(article.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let mut new_id = format!("{}~{}", article.id, *n);
            while taken.contains(&new_id) {
                *n += 1;
                new_id = format!("{}~{}", article.id, *n);
            }
            taken.insert(new_id.clone());
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
mod tests;
