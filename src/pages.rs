//! Pages: turns scraped text pages into clean articles. A page may hold several articles; each
//! may repeat its headline, carry a photo caption (often twice) and stray lines left by the
//! scraper (`TT`, `20`). The cleaner works on the shape of the text, not on one site's markup:
//!
//! - **boundaries**: a run of two or more blank lines ends an article when what follows starts
//!   with a headline-like line and has a body of its own; otherwise the text continues the
//!   current article (pages that double-space paragraphs stay whole);
//! - **stray lines**: lines with fewer than four letters are dropped;
//! - **headline repetition**: later copies of the first line (the title) are dropped;
//! - **captions**: a line repeated before the body starts is a caption, kept out of the body
//!   (returned separately); a repeated line inside the body keeps its first copy only.

/// One article cut from a page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageArticle {
    /// 1-based line of the page where the article starts.
    pub line: u64,
    pub title: String,
    /// Paragraphs separated by blank lines.
    pub body: String,
    pub captions: Vec<String>,
}

/// Lines with fewer letters than this are scraper debris, not text.
const MIN_LETTERS: usize = 4;
/// A headline is a short line; a body needs a few words to be worth an article.
const MAX_HEADLINE_WORDS: usize = 25;
const MIN_BODY_WORDS: usize = 15;

fn letters(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Comparison key: case and spacing do not make two lines different.
fn key(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn looks_like_headline(line: &str) -> bool {
    let n = words(line);
    n > 0 && n <= MAX_HEADLINE_WORDS && !line.trim_end().ends_with(['.', ',', ';', ':'])
}

/// A block of text between article-boundary candidates: (first line number, lines with their
/// numbers, blank lines kept as `None` to mark paragraphs).
struct Segment {
    lines: Vec<(u64, Option<String>)>,
}

impl Segment {
    fn content(&self) -> impl Iterator<Item = (u64, &str)> {
        self.lines
            .iter()
            .filter_map(|(n, l)| l.as_deref().map(|l| (*n, l)))
    }
}

/// Splits at runs of two or more blank lines.
fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut current: Vec<(u64, Option<String>)> = Vec::new();
    let mut blanks = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = i as u64 + 1;
        if line.is_empty() {
            blanks += 1;
            if !current.is_empty() {
                current.push((n, None));
            }
            continue;
        }
        if blanks >= 2 && current.iter().any(|(_, l)| l.is_some()) {
            out.push(Segment {
                lines: std::mem::take(&mut current),
            });
        }
        blanks = 0;
        current.push((n, Some(line.to_string())));
    }
    if current.iter().any(|(_, l)| l.is_some()) {
        out.push(Segment { lines: current });
    }
    out
}

/// Cleans one article's lines into title, body and captions.
fn clean(lines: &[(u64, Option<String>)]) -> Option<PageArticle> {
    let kept: Vec<(u64, Option<&str>)> = lines
        .iter()
        .filter(|(_, l)| l.as_deref().is_none_or(|l| letters(l) >= MIN_LETTERS))
        .map(|(n, l)| (*n, l.as_deref()))
        .collect();
    let (start, title) = kept.iter().find_map(|(n, l)| l.map(|l| (*n, l)))?;
    let title_key = key(title);
    let mut seen_count: std::collections::HashMap<String, usize> = Default::default();
    for (_, l) in &kept {
        if let Some(l) = l {
            *seen_count.entry(key(l)).or_default() += 1;
        }
    }
    let mut in_body = false;
    let mut captions: Vec<String> = Vec::new();
    let mut emitted: std::collections::HashSet<String> = Default::default();
    let mut paragraphs: Vec<String> = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut title_seen = false;
    for (_, l) in &kept {
        let Some(l) = l else {
            if !para.is_empty() {
                paragraphs.push(para.join(" "));
                para.clear();
            }
            continue;
        };
        let k = key(l);
        if k == title_key {
            if title_seen {
                continue; // the headline again
            }
            title_seen = true;
            continue;
        }
        let repeated = seen_count.get(&k).copied().unwrap_or(0) > 1;
        if !in_body && repeated {
            if !captions.iter().any(|c| key(c) == k) {
                captions.push(l.to_string());
            }
            continue;
        }
        in_body = true;
        if !emitted.insert(k) {
            continue; // a repeated block inside the body: keep its first copy
        }
        para.push(l);
    }
    if !para.is_empty() {
        paragraphs.push(para.join(" "));
    }
    Some(PageArticle {
        line: start,
        title: title.to_string(),
        body: paragraphs.join("\n\n"),
        captions,
    })
}

/// Splits a page into articles. Line endings may be `\n`, `\r\n` or `\r`.
pub fn split_page(text: &str) -> Vec<PageArticle> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    };
    // Merge segments that cannot stand alone into the article before them.
    let mut merged: Vec<Segment> = Vec::new();
    for seg in segments(&text) {
        let mut content = seg.content().filter(|(_, l)| letters(l) >= MIN_LETTERS);
        let first = content.next().map(|(_, l)| l.to_string());
        let body_words: usize = content.map(|(_, l)| words(l)).sum();
        let starts_article =
            first.as_deref().is_some_and(looks_like_headline) && body_words >= MIN_BODY_WORDS;
        match merged.last_mut() {
            Some(prev) if !starts_article => {
                prev.lines.push((0, None));
                prev.lines.extend(seg.lines);
            }
            _ => merged.push(seg),
        }
    }
    merged.iter().filter_map(|s| clean(&s.lines)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARA: &str = "The minister said on Thursday that talks would resume next week after a \
                        pause of several months, according to officials familiar with the matter.";

    #[test]
    fn scraped_page_with_two_articles() {
        let page = format!(
            "Gaza Faces Famine Risk\n\nA child waits for food (AFP)\nA child waits for food (AFP)\nTT\n20\n\n\
             Gaza Faces Famine Risk\n\nA child waits for food (AFP)\nA child waits for food (AFP)\n\n\
             {PARA}\n\nAid agencies warned of famine.\n\n\n\nSadr Boycotts Election\n\nSadr speaks (Reuters)\n\
             Sadr speaks (Reuters)\nTT\n\nSadr Boycotts Election\n\n{PARA}\n"
        );
        let arts = split_page(&page);
        assert_eq!(arts.len(), 2, "{arts:#?}");
        assert_eq!(arts[0].title, "Gaza Faces Famine Risk");
        assert_eq!(arts[0].line, 1);
        assert_eq!(arts[0].captions, ["A child waits for food (AFP)"]);
        assert_eq!(
            arts[0].body,
            format!("{PARA}\n\nAid agencies warned of famine.")
        );
        assert_eq!(arts[1].title, "Sadr Boycotts Election");
        assert_eq!(arts[1].line, 19);
        assert_eq!(arts[1].body, PARA);
        for a in &arts {
            assert!(!a.body.contains("TT") && !a.body.contains("(AFP)"));
        }
    }

    #[test]
    fn one_article_no_caption_crlf_no_trailing_newline() {
        let page = format!(
            "Plain Headline\r\n\r\n{PARA}\r\n\r\n\r\nSecond paragraph, still the same story."
        );
        let arts = split_page(&page);
        assert_eq!(arts.len(), 1, "{arts:#?}");
        assert_eq!(arts[0].title, "Plain Headline");
        assert!(arts[0].captions.is_empty());
        assert_eq!(
            arts[0].body,
            format!("{PARA}\n\nSecond paragraph, still the same story.")
        );
    }

    #[test]
    fn double_spaced_paragraphs_stay_one_article() {
        let page = format!("Headline\n\n\n{PARA}\n\n\n{PARA} Again.\n\n\nA short closing line.\n");
        let arts = split_page(&page);
        assert_eq!(arts.len(), 1, "{arts:#?}");
        assert_eq!(arts[0].body.matches("minister").count(), 2);
    }

    #[test]
    fn empty_and_debris_pages() {
        assert!(split_page("").is_empty());
        assert!(split_page("\n\nTT\n20\n").is_empty());
    }
}
