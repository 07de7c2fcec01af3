//! Stories: the events under the themes, as a user reads them from the tables.

use std::collections::{HashMap, HashSet};

use crate::common::*;

fn run(args: &[&str]) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let mut all = vec!["run", "--out", out.path().to_str().unwrap(), "--quiet"];
    all.extend_from_slice(args);
    let o = tidings(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

/// The scraped pages hold six distinct articles, each a different event; the Putin/al-Sharaa
/// page comes five times. Six stories, each with its own name, the four copies counted as
/// that story's.
#[test]
fn each_distinct_seed_article_is_its_own_story_with_its_copies() {
    let out = run(&["data/seeds"]);
    let stories = read_parquet(&out.path().join("stories.parquet"));
    assert_eq!(stories.height(), 6);
    assert_eq!(ints(&stories, "articles"), vec![1; 6]);
    let names = strings(&stories, "name");
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), 6, "{names:?}");
    let putin = names
        .iter()
        .position(|n| n.contains("Al-Sharaa"))
        .expect("the Putin/al-Sharaa story");
    assert_eq!(ints(&stories, "copies")[putin], 4);
    // The page was scraped from five files: five sources carried it.
    assert_eq!(ints(&stories, "sources")[putin], 5);
    assert_eq!(ints(&stories, "copies").iter().sum::<i64>(), 4);
    let dups = read_parquet(&out.path().join("duplicates.parquet"));
    assert_eq!(
        ints(&dups, "story_id"),
        vec![ints(&stories, "story_id")[putin]; 4]
    );
}

/// Every clustered article is in exactly one story, and the stories table agrees with the
/// articles table: sizes, days, themes and copies.
#[test]
fn stories_account_for_every_article() {
    let out = run(&["--k", "8"]);
    let articles = read_parquet(&out.path().join("articles.parquet"));
    let stories = read_parquet(&out.path().join("stories.parquet"));
    let story_of = ints(&articles, "story_id");
    let ids = ints(&stories, "story_id");
    assert_eq!(ids, (0..stories.height() as i64).collect::<Vec<_>>());
    let mut size: HashMap<i64, i64> = HashMap::new();
    for s in &story_of {
        *size.entry(*s).or_default() += 1;
    }
    let sizes = ints(&stories, "articles");
    for (id, n) in ids.iter().zip(&sizes) {
        assert_eq!(size.get(id).copied().unwrap_or(0), *n, "story {id}");
    }
    assert_eq!(sizes.iter().sum::<i64>(), articles.height() as i64);
    // Some reports of the same event are found together, but the stories are far more than
    // the themes.
    let multi = sizes.iter().filter(|&&n| n > 1).count();
    assert!(multi >= 10, "{multi} stories of 2+");
    assert!(stories.height() > 100);
    // Articles per day add up to the story's dated articles.
    let per_day = stories.column("per_day").unwrap().list().unwrap().clone();
    let dated: Vec<bool> = articles
        .column("date")
        .unwrap()
        .as_materialized_series()
        .is_not_null()
        .iter()
        .map(|b| b.unwrap_or(false))
        .collect();
    for (i, counts) in per_day.amortized_iter().enumerate() {
        let total: i64 = counts
            .map(|c| {
                c.as_ref()
                    .i32()
                    .unwrap()
                    .into_no_null_iter()
                    .map(i64::from)
                    .sum()
            })
            .unwrap_or(0);
        let expected = story_of
            .iter()
            .zip(&dated)
            .filter(|(s, d)| **s == ids[i] && **d)
            .count() as i64;
        assert_eq!(total, expected, "story {i}");
    }
    // A story's theme is the one most of its articles are in.
    let themes_of = ints(&articles, "theme_id");
    for (id, theme) in ids.iter().zip(ints(&stories, "theme_id")) {
        let mut count: HashMap<i64, usize> = HashMap::new();
        for (s, t) in story_of.iter().zip(&themes_of) {
            if s == id {
                *count.entry(*t).or_default() += 1;
            }
        }
        let most = count.values().max().copied().unwrap_or(0);
        assert_eq!(count.get(&theme).copied().unwrap_or(0), most, "story {id}");
    }
    // Copies belong to the story of the article they repeat.
    let dups = read_parquet(&out.path().join("duplicates.parquet"));
    let row_of: HashMap<String, usize> = strings(&articles, "article_id")
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    for (of, s) in strings(&dups, "duplicate_of")
        .iter()
        .zip(ints(&dups, "story_id"))
    {
        assert_eq!(story_of[row_of[of]], s);
    }
    let copies: i64 = ints(&stories, "copies").iter().sum();
    assert_eq!(copies, dups.height() as i64);
    // Who covers what: the input's `source` field, every article and copy counted once.
    assert!(
        out.path().join("sources.png").exists(),
        "the coverage chart"
    );
    let sources = read_parquet(&out.path().join("sources.parquet"));
    assert_eq!(
        ints(&sources, "articles").iter().sum::<i64>(),
        articles.height() as i64
    );
    assert_eq!(
        ints(&sources, "copies").iter().sum::<i64>(),
        dups.height() as i64
    );
    let themes = read_parquet(&out.path().join("themes.parquet"));
    assert_eq!(
        ints(&themes, "copies").iter().sum::<i64>(),
        dups.height() as i64
    );
}

#[test]
fn bad_story_settings_are_refused_before_reading() {
    for (args, message) in [
        (
            &["--story-threshold", "0"][..],
            "--story-threshold must be above 0",
        ),
        (&["--story-threshold", "NaN"][..], "got NaN"),
        (
            &["--story-window", "1000"][..],
            "--story-window must be at most",
        ),
        (
            &["--story-rejoin", "1000"][..],
            "--story-rejoin must be at most",
        ),
        (&["--story-age", "1000"][..], "--story-age must be at most"),
    ] {
        let mut all = vec!["run", "no/such/input"];
        all.extend_from_slice(args);
        let o = tidings(&all);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
}
