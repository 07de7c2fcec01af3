//! Bad input never panics: each case gets a clear message naming the file and line, a non-zero
//! exit when nothing could be done, and every article read is either clustered or rejected.

mod common;

use std::fs;
use std::path::Path;

use common::*;

/// The first `n` lines of the sample corpus: good articles to mix bad input into.
fn good_lines(n: usize) -> String {
    let text = fs::read_to_string(sample().join("reuters-sample.jsonl")).unwrap();
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

fn run(inputs: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run".to_string()];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap().to_string()));
    args.extend(["--out".to_string(), out.to_str().unwrap().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    tidings(&refs)
}

#[test]
fn missing_input_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[&dir.path().join("nope.jsonl")],
        &dir.path().join("out"),
        &[],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("nope.jsonl: no such file or directory"),
        "{err}"
    );
}

#[test]
fn empty_inputs_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty_jsonl = dir.path().join("empty.jsonl");
    let empty_txt = dir.path().join("empty.txt");
    fs::write(&empty_jsonl, "").unwrap();
    fs::write(&empty_txt, "\n \n").unwrap();
    let o = run(&[&empty_jsonl, &empty_txt], &dir.path().join("out"), &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("empty.jsonl: empty file"), "{err}");
    assert!(err.contains("no readable articles"), "{err}");
    assert!(err.contains("empty.txt: empty page"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // An empty folder too.
    let folder = dir.path().join("nothing");
    fs::create_dir(&folder).unwrap();
    let o = run(&[&folder], &dir.path().join("out"), &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no readable articles"));
}

#[test]
fn k_larger_than_the_corpus_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("few.jsonl");
    fs::write(&input, good_lines(12)).unwrap();
    let o = run(&[&input], &dir.path().join("out"), &["--k", "50"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("k = 50 is larger than the number of articles to cluster (12)"),
        "{err}"
    );
}

/// Malformed lines, empty texts, bad dates and invalid UTF-8 cost only what they must; the
/// run succeeds, the rejects are listed with their reasons, and the accounting adds up.
#[test]
fn bad_lines_are_rejected_or_warned_and_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.jsonl");
    let mut content = good_lines(40);
    content.push_str("{\"title\": \"broken\", \"text\": \n"); // line 41
    content.push_str("{\"title\": \"blank\", \"text\": \"   \"}\n"); // line 42
    content.push_str(
        "{\"title\": \"Oil prices\", \"text\": \"Oil prices rose as OPEC cut crude output.\", \"date\": \"last Tuesday\"}\n",
    ); // line 43
    content.push_str("[1, 2]\n"); // line 44
    let mut bytes = content.into_bytes();
    bytes.extend_from_slice(b"{\"text\": \"Sugar \xff exports and crude oil prices\"}\n"); // line 45
    fs::write(&input, bytes).unwrap();
    let out = dir.path().join("out");
    let o = run(&[&input], &out, &["--k", "4"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("mixed.jsonl:41: malformed JSON"), "{err}");
    assert!(err.contains("mixed.jsonl:42: empty `text`"), "{err}");
    assert!(
        err.contains("mixed.jsonl:43: unreadable date \"last Tuesday\""),
        "{err}"
    );
    assert!(err.contains("mixed.jsonl:44: not a JSON object"), "{err}");
    assert!(
        err.contains("mixed.jsonl:45: invalid UTF-8 at byte"),
        "{err}"
    );

    let rejects = read_parquet(&out.join("rejects.parquet"));
    let lines = ints(&rejects, "line");
    assert_eq!(lines, [41, 42, 44]);
    let articles = read_parquet(&out.join("articles.parquet"));
    assert_eq!(articles.height(), 42);
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("45 articles read = 42 clustered + 0 duplicates + 3 rejected"),
        "{summary}"
    );
    // The article with the bad date is kept, in the undated bucket.
    let counts = read_parquet(&out.join("theme_counts.parquet"));
    let periods = strings(&counts, "period");
    assert_eq!(periods.last().map(String::as_str), Some("undated"));
    let undated: i64 = periods
        .iter()
        .zip(ints(&counts, "count"))
        .filter(|(p, _)| p.as_str() == "undated")
        .map(|(_, c)| c)
        .sum();
    assert_eq!(undated, 2);
}

#[test]
fn text_files_and_unknown_files() {
    let dir = tempfile::tempdir().unwrap();
    let news = dir.path().join("news");
    fs::create_dir(&news).unwrap();
    let topics = [
        (
            "oil",
            "Oil prices rose after OPEC agreed to cut crude output and oil exports.",
        ),
        (
            "sugar",
            "Sugar harvest and sugar exports fell as cane output dropped in Brazil.",
        ),
    ];
    for i in 0..6 {
        let (name, body) = topics[i % 2];
        fs::write(
            news.join(format!("{name}-{i}.txt")),
            format!("{name} story {i}\n\n{body}\nReport number {i} on {name} markets.\n"),
        )
        .unwrap();
    }
    fs::write(news.join("only-a-title.txt"), "Just a headline\n").unwrap();
    fs::write(news.join("photo.jpg"), [0xff, 0xd8, 0xff]).unwrap();
    let out = dir.path().join("out");
    let o = run(&[&news], &out, &["--k", "2", "--max-df", "1.0"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("photo.jpg: skipped: unsupported file type"),
        "{err}"
    );
    assert!(
        err.contains("only-a-title.txt:1: no body text after the headline"),
        "{err}"
    );
    let articles = read_parquet(&out.join("articles.parquet"));
    let titles = strings(&articles, "title");
    let themes = ints(&articles, "theme_id");
    assert_eq!(titles.len(), 6);
    // The two topics end up in two different themes.
    for (t, th) in titles.iter().zip(&themes) {
        let same = titles
            .iter()
            .zip(&themes)
            .filter(|(u, _)| u.split(' ').next() == t.split(' ').next())
            .all(|(_, x)| x == th);
        assert!(same, "{titles:?} {themes:?}");
    }
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("7 articles read = 6 clustered + 0 duplicates + 1 rejected"),
        "{summary}"
    );
}
