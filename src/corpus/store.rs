//! Where the clustered articles' texts wait between tokenizing and writing.

use super::*;

/// Bytes a thread gathers before each write of the scratch file.
const SPILL_BLOCK: usize = 1 << 20;
/// Articles a task writes into its own part of the scratch file: each part is written in
/// whole blocks but its last, so parts of a few megabytes cost no more writes than one part.
const SPILL_RUN: usize = 4096;

/// Where the clustered articles' texts are once they have been analysed: in the articles
/// themselves, or moved to a scratch file ([`Scratch::texts_from`]). At a million full-length
/// articles the texts are 2.2 GB that nothing reads again until theme naming (the sentences of
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
    /// Each article's note ([`Scratch::notes`]) as [`NoteWriter`] packs it, in article order;
    /// empty when none were written.
    notes: Vec<u64>,
}

/// A note's place: its offset in the high 40 bits, its length in the low 24 (a note that
/// does not fit is not kept).
const NOTE_LEN_BITS: u32 = 24;
const NOTE_AT_BITS: u32 = 64 - NOTE_LEN_BITS;
/// An article without a note.
const NO_NOTE: u64 = u64::MAX;

/// The scratch file, made before the texts are analysed so that each text, and what the
/// analysis learns of it ([`Scratch::notes`]), can be set down as it is analysed. The texts
/// take the file's start, each at a place known up front, the notes what follows.
#[derive(Debug)]
pub(crate) struct Scratch {
    file: fs::File,
    /// Each article's text as (offset, length), in article order.
    places: Vec<(u64, u64)>,
    /// Where the next block of notes goes; starts past the texts.
    end: std::sync::atomic::AtomicU64,
}

impl Scratch {
    /// An unnamed scratch file in `dir`, with room at its start for the texts of `articles`.
    pub(crate) fn create(dir: &Path, articles: &[Article]) -> std::io::Result<Scratch> {
        let mut at = 0u64;
        let places: Vec<(u64, u64)> = articles
            .iter()
            .map(|a| {
                let place = (at, a.text.len() as u64);
                at += place.1;
                place
            })
            .collect();
        Ok(Scratch {
            file: tempfile::tempfile_in(dir)?,
            places,
            end: at.into(),
        })
    }

    /// A writer of the texts of a run of articles in order, from article `first`'s.
    pub(crate) fn texts_from(&self, first: usize) -> TextWriter<'_> {
        TextWriter {
            scratch: self,
            block: Vec::with_capacity(SPILL_BLOCK),
            at: self.places.get(first).map_or(0, |p| p.0),
        }
    }

    /// The store of the texts written, with each article's note at `notes` (as the note
    /// writers gave them; empty for none).
    pub(crate) fn into_store(self, notes: Vec<u64>) -> TextStore {
        TextStore {
            spilled: Some(Spilled {
                file: self.file,
                spans: self.places,
                notes,
            }),
        }
    }

    /// A writer of one note per article, for a run of articles in order. Each thread has its
    /// own; their blocks land wherever the file's end is when they are full, so the notes'
    /// order in the file depends on the threads, and nothing read back does.
    pub(crate) fn notes(&self) -> NoteWriter<'_> {
        NoteWriter {
            scratch: self,
            block: Vec::with_capacity(SPILL_BLOCK),
            pending: Vec::new(),
            index: Vec::new(),
        }
    }
}

/// Writes the texts of a run of articles into their part of the file, a block at a time
/// (see [`Scratch::texts_from`]).
pub(crate) struct TextWriter<'s> {
    scratch: &'s Scratch,
    block: Vec<u8>,
    /// Where `block` goes.
    at: u64,
}

impl TextWriter<'_> {
    /// The run's next text.
    pub(crate) fn push(&mut self, text: &str) -> std::io::Result<()> {
        self.block.extend_from_slice(text.as_bytes());
        if self.block.len() >= SPILL_BLOCK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        write_all_at(&self.scratch.file, &self.block, self.at)?;
        self.at += self.block.len() as u64;
        self.block.clear();
        Ok(())
    }

    /// Writes what is left of the run.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        self.flush()
    }
}

/// Writes the notes of a run of articles (see [`Scratch::notes`]).
pub(crate) struct NoteWriter<'s> {
    scratch: &'s Scratch,
    block: Vec<u8>,
    /// Notes in `block`, as (index entry, offset in the block, length).
    pending: Vec<(usize, usize, usize)>,
    index: Vec<u64>,
}

impl NoteWriter<'_> {
    /// The next article's note; `None` when it has none (readers then do without).
    pub(crate) fn push(&mut self, note: Option<&[u8]>) -> std::io::Result<()> {
        match note {
            Some(n) if n.len() < 1 << NOTE_LEN_BITS => {
                self.pending
                    .push((self.index.len(), self.block.len(), n.len()));
                self.block.extend_from_slice(n);
                self.index.push(0);
                if self.block.len() >= SPILL_BLOCK {
                    self.flush()?;
                }
            }
            _ => self.index.push(NO_NOTE),
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let at = self.scratch.end.fetch_add(
            self.block.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        write_all_at(&self.scratch.file, &self.block, at)?;
        for (i, from, len) in self.pending.drain(..) {
            let place = at + from as u64;
            self.index[i] = if place < 1 << NOTE_AT_BITS {
                place << NOTE_LEN_BITS | len as u64
            } else {
                NO_NOTE
            };
        }
        self.block.clear();
        Ok(())
    }

    /// Where each article's note is, in order, once the last block is written.
    pub(crate) fn finish(mut self) -> std::io::Result<Vec<u64>> {
        self.flush()?;
        Ok(self.index)
    }
}

impl TextStore {
    /// Moves every article's text into a scratch file in `dir`, leaving `text` empty, runs of
    /// articles side by side, each into its own part of the file. (A run sets its texts aside
    /// as it tokenizes them instead, with [`Scratch::texts_from`].)
    pub fn spill(articles: &mut [Article], dir: &Path) -> std::io::Result<TextStore> {
        use rayon::prelude::*;
        let scratch = Scratch::create(dir, articles)?;
        articles
            .par_chunks_mut(SPILL_RUN)
            .enumerate()
            .try_for_each(|(r, run)| -> std::io::Result<()> {
                let mut texts = scratch.texts_from(r * SPILL_RUN);
                for a in run {
                    texts.push(&std::mem::take(&mut a.text))?;
                }
                texts.finish()
            })?;
        Ok(scratch.into_store(Vec::new()))
    }

    pub fn is_spilled(&self) -> bool {
        self.spilled.is_some()
    }

    /// Keeps the texts of the articles marked in `keep` (as the articles themselves are
    /// filtered).
    pub fn retain(&mut self, keep: &[bool]) {
        if let Some(s) = &mut self.spilled {
            retain_marked(&mut s.spans, keep);
            retain_marked(&mut s.notes, keep);
        }
    }

    /// Article `i`'s note, when the texts were spilled with notes and it has one.
    pub fn note(&self, i: usize) -> std::io::Result<Option<Vec<u8>>> {
        let Some(s) = &self.spilled else {
            return Ok(None);
        };
        match s.notes.get(i) {
            Some(&at) if at != NO_NOTE => s
                .read(at >> NOTE_LEN_BITS, at & ((1 << NOTE_LEN_BITS) - 1))
                .map(Some),
            _ => Ok(None),
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
            // Read straight into the string's own buffer: naming reads hundreds of thousands
            // of texts one at a time.
            Some(s) => {
                let (at, len) = s.spans[i];
                super::utf8_string(s.read(at, len)?)
                    .map(std::borrow::Cow::Owned)
                    .map_err(|e| not_text(e.utf8_error()))
            }
        }
    }

    /// The texts of articles `rows` end to end, and where each one ends in them: what a
    /// Parquet text column holds, handed over without a string made for each text. Spilled
    /// texts are read in one piece, which becomes the buffer returned (the gaps left by
    /// dropped rows closed in place). Not checked as UTF-8 here: whoever makes them a column
    /// checks the whole buffer at once.
    pub fn joined(
        &self,
        articles: &[Article],
        rows: std::ops::Range<usize>,
    ) -> std::io::Result<(Vec<u8>, Vec<usize>)> {
        let mut ends = Vec::with_capacity(rows.len());
        let Some(s) = &self.spilled else {
            let texts = &articles[rows];
            let mut bytes = Vec::with_capacity(texts.iter().map(|a| a.text.len()).sum());
            for a in texts {
                bytes.extend_from_slice(a.text.as_bytes());
                ends.push(bytes.len());
            }
            return Ok((bytes, ends));
        };
        let spans = &s.spans[rows];
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return Ok((Vec::new(), ends));
        };
        let start = first.0;
        let mut bytes = s.read(start, last.0 + last.1 - start)?;
        let mut end = 0;
        for &(at, len) in spans {
            let from = (at - start) as usize;
            if from != end {
                bytes.copy_within(from..from + len as usize, end);
            }
            end += len as usize;
            ends.push(end);
        }
        bytes.truncate(end);
        Ok((bytes, ends))
    }
}

impl Spilled {
    /// `len` bytes of the file from `at`: a text, a run of texts, or a note.
    fn read(&self, at: u64, len: u64) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len as usize];
        read_exact_at(&self.file, &mut buf, at)?;
        Ok(buf)
    }
}

/// Bytes read back from the scratch file that are not the text written there.
fn not_text(e: std::str::Utf8Error) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e)
}

/// The articles' texts' size in bytes: what decides whether they are set aside.
pub(crate) fn text_bytes(articles: &[Article]) -> u64 {
    articles.iter().map(|a| a.text.len() as u64).sum()
}

/// Keeps the items of `v` marked in `keep`.
fn retain_marked<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| k.next().copied().unwrap_or(false));
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
