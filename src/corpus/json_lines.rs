//! `.jsonl` inputs: one JSON object per line, parsed in blocks on every core.

use super::*;

/// JSON lines are read in blocks of about this many bytes, cut at line ends: one thread reads
/// (and decompresses, the one step of reading that cannot be split) while the others parse
/// the blocks already read, so the file's text is never held whole.
pub(super) const JSON_BLOCK_BYTES: usize = 1 << 20;

/// A NUL byte in the first 8 KiB means binary content, unless the file starts as JSON Lines
/// and the NUL is past its first line: then only the line holding it is rejected, rather than
/// every line of the file lost.
pub(super) fn json_lines_look_binary(block: &[u8]) -> bool {
    let head = &block[..block.len().min(8192)];
    head.contains(&0)
        && (first_line_has_nul(head)
            || head.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{'))
}

pub(super) fn first_line_has_nul(block: &[u8]) -> bool {
    let head = &block[..block.len().min(8192)];
    head.split(|&b| b == b'\n')
        .next()
        .unwrap_or(head)
        .contains(&0)
}

pub(super) fn read_json_lines(
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
    // Room for every block's articles at once: grown block by block, the list was copied
    // into twice its size several times over (at a million articles, 100,000 pages first
    // touched, on one core).
    corpus
        .articles
        .reserve(parsed.iter().map(|(_, part, _)| part.articles.len()).sum());
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
pub(super) fn send_blocks(
    mut source: impl Read,
    tx: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
) {
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
pub(super) fn parse_json_lines(
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
