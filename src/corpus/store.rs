//! Where the clustered articles' texts wait between tokenizing and writing.

use super::*;

/// Bytes a thread gathers before each write of the scratch file.
const SPILL_BLOCK: usize = 1 << 20;
/// Articles a task writes into its own part of the scratch file: each part is written in
/// whole blocks but its last, so parts of a few megabytes cost no more writes than one part.
const SPILL_RUN: usize = 4096;

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
pub(super) struct Spilled {
    /// Unnamed (deleted when closed, also when the process dies).
    file: fs::File,
    /// Each article's text as (offset, length) in the file, in article order.
    spans: Vec<(u64, u64)>,
}

impl TextStore {
    /// Moves every article's text into a scratch file in `dir`, leaving `text` empty. Runs of
    /// articles are written side by side, each into its own part of the file: at a million
    /// articles the kernel's copying into new page-cache pages took 4 s of one core, the
    /// other idle.
    pub fn spill(articles: &mut [Article], dir: &Path) -> std::io::Result<TextStore> {
        use rayon::prelude::*;
        let file = tempfile::tempfile_in(dir)?;
        let mut spans = Vec::with_capacity(articles.len());
        let mut at = 0u64;
        for a in articles.iter() {
            spans.push((at, a.text.len() as u64));
            at += a.text.len() as u64;
        }
        articles
            .par_chunks_mut(SPILL_RUN)
            .zip(spans.par_chunks(SPILL_RUN))
            .try_for_each(|(run, spans)| -> std::io::Result<()> {
                let mut block: Vec<u8> = Vec::with_capacity(SPILL_BLOCK);
                let mut from = spans.first().map_or(0, |s| s.0);
                for a in run {
                    let text = std::mem::take(&mut a.text);
                    block.extend_from_slice(text.as_bytes());
                    if block.len() >= SPILL_BLOCK {
                        write_all_at(&file, &block, from)?;
                        from += block.len() as u64;
                        block.clear();
                    }
                }
                write_all_at(&file, &block, from)
            })?;
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
pub(super) fn read_exact_at(file: &fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(unix)]
fn write_all_at(file: &fs::File, buf: &[u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, at)
}

#[cfg(windows)]
fn write_all_at(file: &fs::File, mut buf: &[u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(file, buf, at)? {
            0 => return Err(std::io::ErrorKind::WriteZero.into()),
            n => {
                buf = &buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
pub(super) fn read_exact_at(
    file: &fs::File,
    mut buf: &mut [u8],
    mut at: u64,
) -> std::io::Result<()> {
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
