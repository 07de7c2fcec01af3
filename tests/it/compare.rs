//! `tidings compare`: two inputs or one dated input, the comparison tables, charts and story,
//! and the edge cases (a theme on one side only, an empty side, no shared vocabulary).

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use crate::common::*;

/// `per_label` sample articles of each label, skipping the first `skip` of each.
fn sample_by_label(labels: &[&str], skip: usize, per_label: usize) -> String {
    let text = fs::read_to_string(sample().join("reuters-sample.jsonl")).unwrap();
    let mut out = String::new();
    for label in labels {
        let tag = format!("\"label\": \"{label}\"");
        for line in text
            .lines()
            .filter(|l| l.contains(&tag))
            .skip(skip)
            .take(per_label)
        {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn compare(args: &[&str], out: &Path) -> std::process::Output {
    let mut all = vec!["compare"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap(), "--quiet"]);
    tidings(&all)
}

#[test]
fn dated_input_split_by_weeks() {
    let out = tempfile::tempdir().unwrap();
    let o = compare(
        &[
            "data/sample",
            "--before",
            "1987-W11",
            "--after",
            "1987-W14",
            "--k",
            "6",
        ],
        out.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "comparison.parquet",
        "keyword_shifts.parquet",
        "compare.png",
        "compare_terms.png",
        "compare.md",
        "articles.parquet",
        "themes.parquet",
    ] {
        assert!(out.path().join(f).exists(), "{f} missing");
    }
    let cmp = read_parquet(&out.path().join("comparison.parquet"));
    let names: Vec<String> = cmp
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "theme_id",
            "name",
            "label",
            "count_before",
            "count_after",
            "share_before",
            "share_after",
            "count_change",
            "share_change",
            "relative_change",
            "z",
            "p_value",
            "q_value",
            "status"
        ]
    );
    // Each q-value is at least its p-value, and at most 1.
    for (p, q) in floats(&cmp, "p_value").iter().zip(floats(&cmp, "q_value")) {
        assert!(q >= *p - 1e-12 && q <= 1.0, "p {p}, q {q}");
    }
    let articles = read_parquet(&out.path().join("articles.parquet"));
    let sides = strings(&articles, "side");
    let n_before = sides.iter().filter(|s| *s == "before").count() as i64;
    let n_after = sides.iter().filter(|s| *s == "after").count() as i64;
    assert_eq!(n_before + n_after, articles.height() as i64);
    assert_eq!(ints(&cmp, "count_before").iter().sum::<i64>(), n_before);
    assert_eq!(ints(&cmp, "count_after").iter().sum::<i64>(), n_after);
    // Every story of more than one report, its two sides adding up to its articles, and a
    // status that agrees with its counts.
    let stories = read_parquet(&out.path().join("stories.parquet"));
    let sc = read_parquet(&out.path().join("story_comparison.parquet"));
    let size: HashMap<i64, i64> = ints(&stories, "story_id")
        .into_iter()
        .zip(ints(&stories, "articles"))
        .collect();
    assert_eq!(
        sc.height(),
        size.values().filter(|&&n| n > 1).count(),
        "one row per story of 2+"
    );
    let (before, after) = (ints(&sc, "count_before"), ints(&sc, "count_after"));
    for (i, ((id, status), q)) in ints(&sc, "story_id")
        .iter()
        .zip(strings(&sc, "status"))
        .zip(floats(&sc, "q_value"))
        .enumerate()
    {
        assert_eq!(before[i] + after[i], size[id], "story {id}");
        let expected = match (before[i], after[i]) {
            (0, _) => "new",
            (_, 0) => "over",
            _ if q <= 0.05 => status.as_str(),
            _ => "continuing",
        };
        assert_eq!(status, expected, "story {id}");
    }
    assert!(strings(&sc, "status").iter().any(|s| s == "new"));
    // Articles of other weeks are not lost: they are listed as rejects with the reason.
    let rejects = read_parquet(&out.path().join("rejects.parquet"));
    let reasons = strings(&rejects, "reason");
    assert!(reasons
        .iter()
        .all(|r| r.contains("outside --before and --after")));
    let summary = fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(summary.contains(&format!(
        "599 articles read = {} clustered",
        n_before + n_after
    )));
    let shifts = read_parquet(&out.path().join("keyword_shifts.parquet"));
    let scopes = strings(&shifts, "scope");
    assert!(scopes.contains(&"overall".to_string()) && scopes.contains(&"theme".to_string()));
    let story = fs::read_to_string(out.path().join("compare.md")).unwrap();
    assert!(
        story.starts_with("# What changed: 1987-W11 → 1987-W14"),
        "{story}"
    );
    assert!(story.contains("![Share change per theme](compare.png)"));
}

/// Earnings reports appear only after, shipping only before: their themes are marked new and
/// vanished, and the earnings vocabulary rises.
#[test]
fn theme_on_one_side_only() {
    let dir = tempfile::tempdir().unwrap();
    // Different crude articles on each side: the same article on both would be a duplicate.
    let before = sample_by_label(&["crude", "ship"], 0, 25);
    let after = sample_by_label(&["crude", "earn"], 25, 25);
    fs::write(dir.path().join("before.jsonl"), before).unwrap();
    fs::write(dir.path().join("after.jsonl"), after).unwrap();
    let out = dir.path().join("out");
    let (b, a) = (
        dir.path().join("before.jsonl"),
        dir.path().join("after.jsonl"),
    );
    let o = compare(
        &[b.to_str().unwrap(), a.to_str().unwrap(), "--k", "3"],
        &out,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cmp = read_parquet(&out.join("comparison.parquet"));
    let status = strings(&cmp, "status");
    let after = ints(&cmp, "count_after");
    let before = ints(&cmp, "count_before");
    let new = status.iter().position(|s| s == "new").expect("a new theme");
    // Most of the 25 earnings reports; those of oil companies may join the oil theme.
    assert!(after[new] >= 15, "{after:?}");
    assert_eq!(before[new], 0);
    // Shipping all but disappears (Gulf tanker stories may sit with oil, and a stray article
    // may join it) and the fall is significant.
    let z = floats(&cmp, "z");
    assert!(
        (0..before.len()).any(|t| before[t] >= 15 && after[t] <= 2 && z[t] < -3.0),
        "{before:?} {after:?} {z:?}"
    );
    let story = fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(story.contains("**new this period**"), "{story}");
    let shifts = read_parquet(&out.join("keyword_shifts.parquet"));
    let rising: Vec<String> = strings(&shifts, "term")
        .into_iter()
        .zip(strings(&shifts, "scope"))
        .zip(strings(&shifts, "direction"))
        .filter(|((_, s), d)| s == "overall" && d == "rising")
        .map(|((t, _), _)| t)
        .take(10)
        .collect();
    assert!(
        rising
            .iter()
            .any(|t| ["vs", "cts", "net", "shr"].contains(&t.as_str())),
        "{rising:?}"
    );
}

#[test]
fn empty_side_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (b, a) = (
        dir.path().join("before.jsonl"),
        dir.path().join("after.jsonl"),
    );
    fs::write(&b, sample_by_label(&["crude"], 0, 10)).unwrap();
    fs::write(&a, "").unwrap();
    let o = compare(
        &[b.to_str().unwrap(), a.to_str().unwrap()],
        &dir.path().join("out"),
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("the after side") && err.contains("has no readable articles"),
        "{err}"
    );
    // One input without --before/--after is a usage error, not a panic.
    let o = compare(&[b.to_str().unwrap()], &dir.path().join("out"));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("exactly two inputs"), "{}", stderr(&o));
    // A dated split where one side has no article.
    let o = compare(
        &["data/sample", "--before", "1990-W01", "--after", "1987-W12"],
        &dir.path().join("out"),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("the before side (1990-W01) has no readable articles"));
}

#[test]
fn sides_with_no_shared_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let words = |base: &[&str], i: usize| -> String {
        (0..12)
            .map(|j| base[(i + j) % base.len()])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let alpha = [
        "harbour", "vessel", "cargo", "freight", "tanker", "berth", "crane",
    ];
    let beta = [
        "harvest", "wheat", "barley", "grain", "silo", "tractor", "drought",
    ];
    let lines = |base: &[&str]| -> String {
        (0..8)
            .map(|i| {
                format!(
                    "{{\"title\": \"t{i}\", \"text\": \"{}\"}}\n",
                    words(base, i)
                )
            })
            .collect()
    };
    let (b, a) = (dir.path().join("b.jsonl"), dir.path().join("a.jsonl"));
    fs::write(&b, lines(&alpha)).unwrap();
    fs::write(&a, lines(&beta)).unwrap();
    let out = dir.path().join("out");
    let o = compare(
        &[
            b.to_str().unwrap(),
            a.to_str().unwrap(),
            "--k",
            "2",
            "--min-df",
            "1",
            "--max-df",
            "1.0",
        ],
        &out,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cmp = read_parquet(&out.join("comparison.parquet"));
    let mut status = strings(&cmp, "status");
    status.sort();
    assert_eq!(status, ["new", "vanished"]);
    let story = fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(story.contains("**new this period**") && story.contains("**gone this period**"));
}
