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

/// Where the clustered articles' texts are once they have been analysed: in the articles
/// themselves, or moved to a scratch file ([`TextStore::spill`]). At a million full-length
/// articles the texts are 3 GiB that nothing reads again until theme naming (the sentences of
/// a few phrases) and `articles.parquet`; in a file they wait in the operating system's page
/// cache, which gives way under memory pressure, instead of in the process.
#[derive(Debug, Default)]
pub struct TextStore {
    spilled: Option<Spilled>,
}

#[derive(Debug)]
struct Spilled {
    /// Unnamed (deleted when closed, also when the process dies).
    file: fs::File,
    /// Each article's text as (offset, length) in the file, in article order.
    spans: Vec<(u64, u64)>,
}

impl TextStore {
    /// Moves every article's text into a scratch file in `dir`, leaving `text` empty.
    pub fn spill(articles: &mut [Article], dir: &Path) -> std::io::Result<TextStore> {
        use std::io::Write;
        let file = tempfile::tempfile_in(dir)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut spans = Vec::with_capacity(articles.len());
        let mut at = 0u64;
        for a in articles.iter_mut() {
            let text = std::mem::take(&mut a.text);
            out.write_all(text.as_bytes())?;
            spans.push((at, text.len() as u64));
            at += text.len() as u64;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        Ok(TextStore {
            spilled: Some(Spilled { file, spans }),
        })
    }

    pub fn is_spilled(&self) -> bool {
        self.spilled.is_some()
    }

    /// Keeps the texts of the articles marked in `keep` (as the articles themselves are
    /// filtered).
    pub fn retain(&mut self, keep: &[bool]) {
        if let Some(s) = &mut self.spilled {
            let mut k = keep.iter();
            s.spans.retain(|_| k.next().copied().unwrap_or(false));
        }
    }

    /// Article `i`'s text.
    pub fn text<'a>(
        &self,
        articles: &'a [Article],
        i: usize,
    ) -> std::io::Result<std::borrow::Cow<'a, str>> {
        match &self.spilled {
            None => Ok(std::borrow::Cow::Borrowed(articles[i].text.as_str())),
            Some(_) => self
                .with_texts(articles, i..i + 1, |t| t[0].to_string())
                .map(std::borrow::Cow::Owned),
        }
    }

    /// Calls `f` with the texts of articles `rows`, read from the file in one piece when
    /// spilled.
    pub fn with_texts<R>(
        &self,
        articles: &[Article],
        rows: std::ops::Range<usize>,
        f: impl FnOnce(&[&str]) -> R,
    ) -> std::io::Result<R> {
        let Some(s) = &self.spilled else {
            let texts: Vec<&str> = articles[rows].iter().map(|a| a.text.as_str()).collect();
            return Ok(f(&texts));
        };
        let spans = &s.spans[rows];
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return Ok(f(&[]));
        };
        // Spans are in file order: rows dropped after spilling leave gaps, read over.
        let start = first.0;
        let mut buf = vec![0u8; (last.0 + last.1 - start) as usize];
        read_exact_at(&s.file, &mut buf, start)?;
        let texts = spans
            .iter()
            .map(|&(at, len)| {
                let from = (at - start) as usize;
                std::str::from_utf8(&buf[from..from + len as usize])
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
            })
            .collect::<std::io::Result<Vec<&str>>>()?;
        Ok(f(&texts))
    }
}

#[cfg(unix)]
fn read_exact_at(file: &fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &fs::File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
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

/// Dates outside these are taken for mistakes (a year 1 or 9999 placeholder) and the article
/// kept as undated with a warning: the trends' period grid spans every period between the
/// first and last date, and a single stray year 1 would make millions of empty periods.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// Whether `d` lies in [`EARLIEST_DATE`]..=[`LATEST_DATE`].
pub fn date_in_window(d: NaiveDate) -> bool {
    (EARLIEST_DATE..=LATEST_DATE).contains(&d)
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
    match String::from_utf8(bytes) {
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

fn read_page(file: &str, content: &str, corpus: &mut Corpus) {
    let articles = crate::pages::split_page(content);
    if articles.is_empty() {
        corpus.rejects.push(Reject {
            file: file.to_string(),
            line: None,
            reason: "empty page: no text lines".to_string(),
        });
    }
    for a in articles {
        let location = Reject {
            file: file.to_string(),
            line: Some(a.line),
            reason: String::new(),
        };
        if a.body.trim().is_empty() {
            corpus.rejects.push(Reject {
                reason: format!("no body text after the headline {:?}", a.title),
                ..location
            });
            continue;
        }
        let mut extra = Fields::default();
        if !a.captions.is_empty() {
            extra.insert("caption".to_string(), Value::String(a.captions.join("\n")));
        }
        corpus.articles.push(Article {
            id: format!("{file}#{}", a.line),
            file: file.to_string(),
            line: Some(a.line),
            date: None,
            title: a.title,
            text: a.body,
            extra,
        });
    }
}

/// JSON lines are read in blocks of about this many bytes, cut at line ends: one thread reads
/// (and decompresses, the one step of reading that cannot be split) while the others parse
/// the blocks already read, so the file's text is never held whole.
const JSON_BLOCK_BYTES: usize = 1 << 20;

/// A NUL byte in the first 8 KiB means binary content, unless the file starts as JSON Lines
/// and the NUL is past its first line: then only the line holding it is rejected, rather than
/// every line of the file lost.
fn json_lines_look_binary(block: &[u8]) -> bool {
    let head = &block[..block.len().min(8192)];
    head.contains(&0)
        && (first_line_has_nul(head)
            || head.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{'))
}

fn first_line_has_nul(block: &[u8]) -> bool {
    let head = &block[..block.len().min(8192)];
    head.split(|&b| b == b'\n')
        .next()
        .unwrap_or(head)
        .contains(&0)
}

fn read_json_lines(
    file: &str,
    source: impl Read + Send,
    options: &ReadOptions,
    corpus: &mut Corpus,
) -> std::io::Result<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
    let parsed = std::sync::Mutex::new(Vec::new());
    // Like a whole file's decoding, only the first invalid UTF-8 is reported, ahead of the
    // lines' own warnings.
    let mut decoding: Option<String> = None;
    let mut binary = false;
    std::thread::scope(|scope| {
        scope.spawn(move || send_blocks(source, &tx));
        rayon::scope(|tasks| -> std::io::Result<()> {
            let (mut first_line, mut offset) = (1u64, 0usize);
            // Owned here, so that stopping early also ends the reading thread.
            for (i, block) in rx.into_iter().enumerate() {
                let block = block?;
                if i == 0 && json_lines_look_binary(&block) {
                    binary = true;
                    return Ok(());
                }
                let (start, len) = (first_line, block.len());
                first_line += block.iter().filter(|&&b| b == b'\n').count() as u64;
                let (text, warning) = decode_utf8_at(file, block, start, offset);
                offset += len;
                if decoding.is_none() {
                    decoding = warning;
                }
                let parsed = &parsed;
                tasks.spawn(move |_| {
                    let mut part = Corpus::default();
                    let any_line = parse_json_lines(file, &text, start, options, &mut part);
                    parsed
                        .lock()
                        .expect("no parsing task panics")
                        .push((i, part, any_line));
                });
            }
            Ok(())
        })
    })?;
    if binary {
        corpus.warnings.push(format!(
            "{file}: skipped: binary content (a NUL byte in the first 8 KiB) in a text file"
        ));
        return Ok(());
    }
    corpus.warnings.extend(decoding);
    let mut parsed = parsed.into_inner().expect("no parsing task panics");
    parsed.sort_by_key(|&(i, _, _)| i);
    let mut any_line = false;
    for (_, part, any) in parsed {
        corpus.articles.extend(part.articles);
        corpus.rejects.extend(part.rejects);
        corpus.warnings.extend(part.warnings);
        any_line |= any;
    }
    if !any_line {
        corpus
            .warnings
            .push(format!("{file}: empty file: no JSON lines in it"));
    }
    Ok(())
}

/// Sends `source` in blocks that end at a line end (the last may not), stopping at the
/// first error or when the receiver stops listening.
fn send_blocks(mut source: impl Read, tx: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>) {
    let mut carry = Vec::new();
    loop {
        let mut block = std::mem::take(&mut carry);
        let mut end = block.len();
        block.resize(end + JSON_BLOCK_BYTES, 0);
        let mut eof = false;
        while end < block.len() {
            match source.read(&mut block[end..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        block.truncate(end);
        if !eof {
            match block.iter().rposition(|&b| b == b'\n') {
                Some(last) => carry = block.split_off(last + 1),
                None => {
                    // One line longer than a block: keep reading it.
                    carry = block;
                    continue;
                }
            }
        }
        if (!block.is_empty() && tx.send(Ok(block)).is_err()) || eof {
            return;
        }
    }
}

/// Parses lines numbered from `first_line`; says whether any was not blank.
fn parse_json_lines(
    file: &str,
    content: &str,
    first_line: u64,
    options: &ReadOptions,
    corpus: &mut Corpus,
) -> bool {
    let mut any_line = false;
    for (line_no, raw) in (first_line..).zip(content.lines()) {
        let raw = raw.trim_start_matches('\u{feff}').trim();
        if raw.is_empty() {
            continue;
        }
        any_line = true;
        let record = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(fields)) => Ok(fields),
            Ok(_) => Err("not a JSON object".to_string()),
            Err(e) => Err(format!("malformed JSON: {e}")),
        };
        match record
            .and_then(|r| record_to_article(file, line_no, r, options, &mut corpus.warnings))
        {
            Ok(article) => corpus.articles.push(article),
            Err(reason) => corpus.reject(file, line_no, reason),
        }
    }
    any_line
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

fn read_csv(file: &str, content: &str, options: &ReadOptions, corpus: &mut Corpus) {
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

/// Parquet rows are numbered like lines (1-based) so rejects can point at them.
fn read_parquet(file: &str, bytes: Vec<u8>, options: &ReadOptions, corpus: &mut Corpus) {
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
fn holds_records(dtype: &polars::prelude::ArrowDataType) -> bool {
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

fn read_rows(
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

/// The most specific date in a path: the last component holding `YYYY-MM-DD` (that day) or
/// `YYYY-Www` (the Monday of that ISO week).
pub fn date_from_path(path: &Path) -> Option<NaiveDate> {
    path_date(path).filter(|&d| date_in_window(d))
}

fn path_date(path: &Path) -> Option<NaiveDate> {
    path.components().rev().find_map(|c| {
        let name = c.as_os_str().to_str()?;
        let b = name.as_bytes();
        (0..b.len()).find_map(|i| {
            let rest = name.get(i..)?;
            if let Some(d) = rest
                .get(..10)
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            {
                return Some(d);
            }
            let w = rest.get(..8)?;
            let (year, week) = w.split_once("-W")?;
            if year.len() != 4 || week.len() != 2 {
                return None;
            }
            NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, chrono::Weekday::Mon)
        })
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

/// Gives `date` to the articles whose record had none.
fn date_undated(articles: &mut [Article], date: Option<NaiveDate>) {
    for article in articles.iter_mut().filter(|a| a.date.is_none()) {
        article.date = date;
    }
}

/// Ids key the themes' representative articles, so they must be unique: a repeated id gets a
/// `~N` suffix and a warning rather than silently shadowing another article.
fn dedupe_ids(corpus: &mut Corpus) {
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
mod tests {
    /// Texts set aside come back as they were, also across the gaps left by dropped rows and
    /// for empty and multi-byte texts.
    #[test]
    fn spilled_texts_read_back_after_rows_are_dropped() {
        let texts = ["Oil rose.", "", "Café „Zürich“ 東京", "Last one"];
        let mut articles: Vec<Article> = texts
            .iter()
            .map(|t| Article {
                id: t.to_string(),
                file: "f".into(),
                line: None,
                date: None,
                title: String::new(),
                text: t.to_string(),
                extra: Default::default(),
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let mut store = TextStore::spill(&mut articles, dir.path()).unwrap();
        assert!(articles.iter().all(|a| a.text.is_empty()));
        assert_eq!(store.text(&articles, 2).unwrap(), texts[2]);
        store.retain(&[true, false, true, true]);
        articles.remove(1);
        let all = store
            .with_texts(&articles, 0..3, |t| {
                t.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            })
            .unwrap();
        assert_eq!(all, [texts[0], texts[2], texts[3]]);
        assert_eq!(store.with_texts(&articles, 1..1, |t| t.len()).unwrap(), 0);
        assert_eq!(TextStore::default().text(&articles, 0).unwrap(), "");
    }

    #[test]
    fn renamed_ids_never_take_a_real_one() {
        let article = |id: &str| Article {
            id: id.into(),
            file: "f".into(),
            line: None,
            date: None,
            title: String::new(),
            text: "x".into(),
            extra: Fields::default(),
        };
        let mut corpus = Corpus {
            articles: ["a", "a", "a~2", "a"].map(article).to_vec(),
            ..Corpus::default()
        };
        dedupe_ids(&mut corpus);
        let ids: Vec<&str> = corpus.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a", "a~3", "a~2", "a~4"]);
        assert_eq!(corpus.warnings.len(), 2);
    }

    use super::*;

    /// A Parquet file with a struct column and a list of structs beside its text (written by
    /// pyarrow: tests/data/nested.parquet): every article is read, the nested columns are
    /// left out and named.
    #[test]
    fn nested_parquet_columns_are_left_out_not_the_file() {
        let bytes = include_bytes!("../tests/data/nested.parquet").to_vec();
        let mut corpus = Corpus::default();
        read_parquet(
            "nested.parquet",
            bytes,
            &ReadOptions::default(),
            &mut corpus,
        );
        let ids: Vec<&str> = corpus.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert!(corpus.articles[0].date.is_some());
        assert_eq!(
            corpus.warnings,
            ["nested.parquet: nested columns `meta`, `tags` left out (flatten them to read their fields)"]
        );
    }

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
    fn text_page_title_body_and_line() {
        let corpus = read_str("t.txt", b"\n\n  Headline here \n\nFirst para.\nSecond.\n");
        let a = &corpus.articles[0];
        assert_eq!(a.title, "Headline here");
        assert_eq!(a.text, "First para. Second.");
        assert_eq!(a.line, Some(3));
        assert!(a.id.ends_with("t.txt#3"));
        let empty = read_str("e.txt", b"  \n");
        assert_eq!(empty.rejects[0].reason, "empty page: no text lines");
    }

    #[test]
    fn csv_with_mapped_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.csv");
        fs::write(
            &path,
            "headline,body,published,lang\n\"Oil, again\",\"Crude rose.\nA second line.\",2025-05-12,en\nNo body,,2025-05-13,en\n",
        )
        .unwrap();
        let options = ReadOptions {
            text_field: "body".into(),
            title_field: "headline".into(),
            date_field: "published".into(),
            ..ReadOptions::default()
        };
        let corpus = read_inputs_with(&[&path], &options).unwrap();
        let a = &corpus.articles[0];
        assert_eq!(
            (a.title.as_str(), a.text.as_str()),
            ("Oil, again", "Crude rose.\nA second line.")
        );
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2025, 5, 12));
        assert_eq!(a.extra["lang"], Value::String("en".into()));
        assert_eq!(corpus.rejects[0].reason, "missing field `body`");
        assert_eq!(corpus.rejects[0].line, Some(4));
    }

    #[test]
    fn dates_from_paths_and_default() {
        assert_eq!(
            date_from_path(Path::new("news/2025-05-12/a.txt")),
            NaiveDate::from_ymd_opt(2025, 5, 12)
        );
        assert_eq!(
            date_from_path(Path::new("2024-01-01/week-2025-W19.jsonl")),
            NaiveDate::from_ymd_opt(2025, 5, 5)
        );
        assert_eq!(date_from_path(Path::new("news/a.txt")), None);
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("2025-W20");
        fs::create_dir(&sub).unwrap();
        fs::write(
            sub.join("a.jsonl"),
            "{\"text\":\"x\"}\n{\"text\":\"y\",\"date\":\"2020-01-01\"}\n",
        )
        .unwrap();
        let corpus = read_inputs(&[dir.path()]).unwrap();
        assert_eq!(
            corpus.articles[0].date,
            NaiveDate::from_ymd_opt(2025, 5, 12)
        );
        assert_eq!(corpus.articles[1].date, NaiveDate::from_ymd_opt(2020, 1, 1));
        fs::write(dir.path().join("b.jsonl"), "{\"text\":\"z\"}\n").unwrap();
        let options = ReadOptions {
            default_date: NaiveDate::from_ymd_opt(2025, 1, 1),
            ..Default::default()
        };
        let corpus = read_inputs_with(&[dir.path().join("b.jsonl")], &options).unwrap();
        assert_eq!(corpus.articles[0].date, NaiveDate::from_ymd_opt(2025, 1, 1));
    }

    #[test]
    fn binary_content_is_skipped() {
        let corpus = read_str("blob.txt", b"PK\x03\x04\x00\x00binary");
        assert!(corpus.articles.is_empty() && corpus.rejects.is_empty());
        assert!(corpus.warnings[0].contains("blob.txt: skipped: binary content"));
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_with_position() {
        let corpus = read_str("u.txt", b"Title\nline two\nbad \xff byte here\n");
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

    fn gzip(content: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(content).unwrap();
        gz.finish().unwrap()
    }

    /// A gzip file decoded in blocks while earlier blocks are parsed reads exactly like the
    /// same lines uncompressed: same articles in the same order, and a bad line far past the
    /// first block still named by its own line number.
    #[test]
    fn gzip_json_lines_stream_in_order_with_line_numbers() {
        let mut lines = String::new();
        for i in 0..6000 {
            if i == 4321 {
                lines.push_str("{not json\n");
            } else if i == 10 {
                lines.push('\n');
            } else {
                let cafe = if i == 4999 { "caf\u{e9} " } else { "" };
                let body = "words of a long enough article body ".repeat(16);
                lines.push_str(&format!(
                    "{{\"id\":\"a{i}\",\"text\":\"{cafe}{body}{i}\"}}\n"
                ));
            }
        }
        assert!(lines.len() > 2 * JSON_BLOCK_BYTES, "spans several blocks");
        // Line 5000 gets an undecodable byte in place of its é, far past the first block.
        let at = lines.find('\u{e9}').unwrap();
        let mut bytes = lines.into_bytes();
        bytes.splice(at..at + 2, [0xff]);
        let plain = read_str("feed.jsonl", &bytes);
        let streamed = read_str("feed.jsonl.gz", &gzip(&bytes));
        let warning = format!("feed.jsonl.gz:5000: invalid UTF-8 at byte {at};");
        assert!(
            streamed.warnings[0].contains(&warning),
            "{:?}",
            streamed.warnings
        );
        assert_eq!(plain.warnings.len(), streamed.warnings.len());
        assert_eq!(streamed.articles.len(), 5998);
        assert_eq!(streamed.rejects.len(), 1);
        assert_eq!(streamed.rejects[0].line, Some(4322));
        let ids = |c: &Corpus| c.articles.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&streamed), ids(&plain));
        let lines_of = |c: &Corpus| c.articles.iter().map(|a| a.line).collect::<Vec<_>>();
        assert_eq!(lines_of(&streamed), lines_of(&plain));
        assert_eq!(streamed.articles[5000].line, Some(5003));
    }

    /// Invalid UTF-8 or binary content inside a gzip file is reported as in a plain file.
    #[test]
    fn gzip_json_lines_with_bad_bytes_say_where() {
        let mut bad = b"{\"text\":\"fine\"}\n{\"text\":\"caf".to_vec();
        bad.extend([0xff, 0xfe]);
        bad.extend(b"\"}\n");
        let corpus = read_str("bad.jsonl.gz", &gzip(&bad));
        assert_eq!(corpus.articles.len(), 2);
        assert!(
            corpus.warnings[0].contains("bad.jsonl.gz:2: invalid UTF-8"),
            "{:?}",
            corpus.warnings
        );
        let corpus = read_str("blob.jsonl.gz", &gzip(b"{\"text\":\"a\0b\"}\n"));
        assert!(corpus.articles.is_empty());
        assert!(corpus.warnings[0].contains("skipped: binary content"));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::OsStr::from_bytes(b"bad\xff.jsonl");
            assert_eq!(
                detect_format(Path::new(name)),
                Some((Format::JsonLines, false))
            );
        }
        // A NUL past a good first line costs only its own line.
        let corpus = read_str(
            "nul.jsonl",
            b"{\"text\":\"one\"}\n{\"text\":\"t\0wo\"}\n{\"text\":\"three\"}\n",
        );
        assert_eq!(corpus.articles.len(), 2, "{:?}", corpus.warnings);
        assert_eq!(corpus.rejects.len(), 1);
        assert_eq!(corpus.rejects[0].line, Some(2));
        // So does one in a CSV row; one in the header means the file is not CSV.
        let corpus = read_str("nul.csv", b"id,text\na,one\nb,t\0wo\nc,three\n");
        assert_eq!(corpus.articles.len(), 2, "{:?}", corpus.warnings);
        assert_eq!(corpus.rejects[0].line, Some(3));
        assert!(corpus.rejects[0].reason.contains("NUL"));
        let corpus = read_str("nul.csv", b"id,te\0xt\na,one\n");
        assert!(corpus.warnings[0].contains("skipped: binary content"));
        let corpus = read_str("empty.jsonl.gz", &gzip(b""));
        assert!(corpus.warnings[0].contains("empty file"));
    }
}
