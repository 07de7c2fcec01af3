//! Real-world input: the scraped pages of `data/seeds` (five files, two articles each, the
//! same article opening all five) become six clean, distinct articles.

use std::collections::HashMap;
use std::fs;

use crate::common::*;
use tidings::corpus::read_inputs;
use tidings::dedup::{find_duplicates, DedupParams};

const TITLES: [&str; 4] = [
    "Putin’s Message to Syria’s Al-Sharaa: A Step Toward Restoring Ties?",
    "Lebanon to Seek US Guarantees in Response to Proposal",
    "SDF Responds to ISIS Attacks in Eastern Syria",
    "Syrian Govt Visits Notorious Al-Hol Camp for First Time Since Kurds Deal",
];

#[test]
fn seed_pages_split_into_clean_articles() {
    let corpus = read_inputs(&[repo().join("data/seeds")]).unwrap();
    assert!(corpus.rejects.is_empty(), "{:?}", corpus.rejects);
    assert_eq!(corpus.articles.len(), 10, "two articles per page");
    for a in &corpus.articles {
        let lines: Vec<&str> = a.text.lines().map(str::trim).collect();
        assert!(
            !lines.contains(&"TT") && !lines.contains(&"20"),
            "{}",
            a.title
        );
        assert!(
            !a.text.contains(&a.title),
            "headline repeated in {:?}",
            a.title
        );
        let caption = a.extra["caption"].as_str().unwrap();
        assert!(!a.text.contains(caption), "caption left in {:?}", a.title);
        assert!(
            a.text.split_whitespace().count() > 100,
            "{:?} body too short",
            a.title
        );
    }
    let texts: Vec<&str> = corpus.articles.iter().map(|a| a.text.as_str()).collect();
    let d = find_duplicates(&texts, &DedupParams::default());
    let kept: Vec<&str> = corpus
        .articles
        .iter()
        .enumerate()
        .filter(|(i, _)| !d.is_duplicate(*i))
        .map(|(_, a)| a.title.as_str())
        .collect();
    assert_eq!(kept.len(), 6, "{kept:?}");
    for t in TITLES {
        assert!(kept.contains(&t), "{t} missing from {kept:?}");
    }
    assert!(kept.iter().any(|t| t.contains("Gaza")), "{kept:?}");
    assert!(kept.iter().any(|t| t.contains("Sadr")), "{kept:?}");
    let putin = corpus
        .articles
        .iter()
        .position(|a| a.title == TITLES[0])
        .unwrap();
    assert_eq!(d.times_seen[putin], 5);
}

/// The same through the command line: five copies of one story make one article seen five
/// times and four rows of duplicates.parquet, and the accounting adds up.
#[test]
fn seed_run_lists_duplicates() {
    let out = tempfile::tempdir().unwrap();
    let o = tidings(&[
        "run",
        "data/seeds",
        "--out",
        out.path().to_str().unwrap(),
        "--k",
        "3",
        "--min-df",
        "1",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let articles = read_parquet(&out.path().join("articles.parquet"));
    assert_eq!(articles.height(), 6);
    let seen: HashMap<String, i64> = strings(&articles, "title")
        .into_iter()
        .zip(ints(&articles, "times_seen"))
        .collect();
    assert_eq!(seen[TITLES[0]], 5);
    assert_eq!(seen.values().sum::<i64>(), 10);
    let dups = read_parquet(&out.path().join("duplicates.parquet"));
    assert_eq!(dups.height(), 4);
    let putin_id = strings(&articles, "article_id")[strings(&articles, "title")
        .iter()
        .position(|t| t == TITLES[0])
        .unwrap()]
    .clone();
    assert!(strings(&dups, "duplicate_of")
        .iter()
        .all(|d| *d == putin_id));
    let summary = fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("10 articles read = 6 clustered + 4 duplicates + 0 rejected"),
        "{summary}"
    );
    // With --keep-duplicates every copy is clustered.
    let o = tidings(&[
        "run",
        "data/seeds",
        "--out",
        out.path().to_str().unwrap(),
        "--k",
        "3",
        "--min-df",
        "1",
        "--quiet",
        "--keep-duplicates",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read_parquet(&out.path().join("articles.parquet")).height(),
        10
    );
}

/// CSV, Parquet (written by a previous run) and gzip inputs, with mapped field names and a
/// date from the folder name.
#[test]
fn csv_parquet_and_gzip_inputs() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let week = dir.path().join("2025-W19");
    fs::create_dir(&week).unwrap();
    let sample = fs::read_to_string(sample().join("reuters-sample.jsonl")).unwrap();
    let mut csv = String::from("headline,body\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for (i, line) in sample.lines().take(60).enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (title, text) = (v["title"].as_str().unwrap(), v["text"].as_str().unwrap());
        if i < 30 {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            csv.push_str(&format!("{},{}\n", q(title), q(text)));
        } else {
            let rec = serde_json::json!({"headline": title, "body": text});
            writeln!(gz, "{rec}").unwrap();
        }
    }
    fs::write(week.join("feed.csv"), csv).unwrap();
    fs::write(week.join("feed.jsonl.gz"), gz.finish().unwrap()).unwrap();
    let out = dir.path().join("out");
    let o = tidings(&[
        "run",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--text-field",
        "body",
        "--title-field",
        "headline",
        "--k",
        "3",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let articles = read_parquet(&out.join("articles.parquet"));
    assert_eq!(articles.height(), 60);
    let counts = read_parquet(&out.join("theme_counts.parquet"));
    assert!(strings(&counts, "period").iter().all(|p| p == "2025-W19"));

    // The articles table just written is itself a valid Parquet input.
    let again = dir.path().join("again");
    let o = tidings(&[
        "run",
        out.join("articles.parquet").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--k",
        "3",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let round = read_parquet(&again.join("articles.parquet"));
    assert_eq!(round.height(), 60);
    assert_eq!(strings(&round, "title"), strings(&articles, "title"));
}
