//! The readers, on inputs as users have them.

/// The texts of `rows` as [`TextStore::joined`] gives them, one string each.
fn joined(store: &TextStore, articles: &[Article], rows: std::ops::Range<usize>) -> Vec<String> {
    let (bytes, ends) = store.joined(articles, rows).unwrap();
    let mut start = 0;
    ends.iter()
        .map(|&end| {
            let text = std::str::from_utf8(&bytes[start..end]).unwrap().to_string();
            start = end;
            text
        })
        .collect()
}

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
    let all = joined(&store, &articles, 0..3);
    assert_eq!(all, [texts[0], texts[2], texts[3]]);
    assert_eq!(joined(&store, &articles, 1..3), all[1..]);
    assert!(joined(&store, &articles, 2..2).is_empty());
    let kept: Vec<Article> = all
        .iter()
        .map(|t| Article {
            text: t.clone(),
            ..articles[0].clone()
        })
        .collect();
    assert_eq!(joined(&TextStore::default(), &kept, 0..3), all);
    // A text dropped between two kept ones leaves a gap in the file.
    let mut articles = kept.clone();
    let mut store = TextStore::spill(&mut articles, dir.path()).unwrap();
    store.retain(&[true, false, true]);
    articles.remove(1);
    assert_eq!(joined(&store, &articles, 0..2), [texts[0], texts[3]]);
    assert!(joined(&store, &articles, 1..1).is_empty());
    assert_eq!(TextStore::default().text(&articles, 0).unwrap(), "");
}

/// Notes written beside the texts by several writers, each flushing blocks as they fill,
/// come back each to its own article, also after rows are dropped; an article without one
/// has none, and texts spilled without notes have none.
#[test]
fn notes_read_back_with_their_articles() {
    let mut articles: Vec<Article> = (0..6000)
        .map(|i| Article {
            id: i.to_string(),
            file: "f".into(),
            line: None,
            date: None,
            title: String::new(),
            text: format!("text {i}"),
            extra: Default::default(),
        })
        .collect();
    // About 2.4 MB a writer: each fills blocks and writes them before it finishes.
    let note = |i: usize| (i % 7 != 3).then(|| vec![(i % 251) as u8; 600 + i % 300]);
    let dir = tempfile::tempdir().unwrap();
    let scratch = Scratch::create(dir.path(), &articles).unwrap();
    // Two runs of articles, their writers taking turns as threads would.
    let (mut a, mut b) = (scratch.notes(), scratch.notes());
    for i in 0..3000 {
        a.push(note(i).as_deref()).unwrap();
        b.push(note(3000 + i).as_deref()).unwrap();
    }
    let mut notes = a.finish().unwrap();
    notes.extend(b.finish().unwrap());
    // The texts written as a run writes them, beside the notes.
    let mut texts = scratch.texts_from(0);
    for a in &mut articles {
        texts.push(&std::mem::take(&mut a.text)).unwrap();
    }
    texts.finish().unwrap();
    let mut store = scratch.into_store(notes);
    for i in 0..6000 {
        assert_eq!(store.note(i).unwrap(), note(i), "article {i}");
    }
    assert_eq!(store.text(&articles, 5999).unwrap(), "text 5999");
    let keep: Vec<bool> = (0..6000).map(|i| i % 2 == 0).collect();
    store.retain(&keep);
    assert_eq!(store.note(1).unwrap(), note(2));
    assert_eq!(store.note(2999).unwrap(), note(5998));
    assert_eq!(store.note(3000).unwrap(), None);
    let plain = TextStore::spill(&mut articles, dir.path()).unwrap();
    assert_eq!(plain.note(0).unwrap(), None);
    assert_eq!(TextStore::default().note(0).unwrap(), None);
}

/// Texts of several megabytes, written by every thread in blocks, come back each whole and
/// in order.
#[test]
fn a_large_spill_reads_back_every_text() {
    let texts: Vec<String> = (0..9000)
        .map(|i| format!("Article {i}: {}", "wörds and more words ".repeat(i % 97)))
        .collect();
    let mut articles: Vec<Article> = texts
        .iter()
        .map(|t| Article {
            id: t.chars().take(12).collect(),
            file: "f".into(),
            line: None,
            date: None,
            title: String::new(),
            text: t.clone(),
            extra: Default::default(),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let store = TextStore::spill(&mut articles, dir.path()).unwrap();
    assert_eq!(joined(&store, &articles, 0..texts.len()), texts);
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
    let bytes = include_bytes!("../../tests/data/nested.parquet").to_vec();
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
