//! Theme names: what a reader of a briefing sees first. Read off the real scraped pages in
//! `data/seeds`, the Reuters sample, a `tidings.toml` that renames themes, and a saved model.

use std::collections::HashSet;
use std::fs;

use crate::common::*;
use polars::prelude::DataFrame;

const STOP_WORDS: &str = include_str!("../../assets/stopwords/english.txt");

fn list_column(df: &DataFrame, col: &str) -> Vec<Vec<String>> {
    let lists = df.column(col).unwrap().list().unwrap();
    (0..lists.len())
        .map(|i| {
            let s = lists.get_as_series(i).unwrap();
            let s = s.str().unwrap();
            (0..s.len())
                .map(|j| s.get(j).unwrap_or("").to_string())
                .collect()
        })
        .collect()
}

/// The words of a name or term, lower case, apostrophes folded.
fn words(term: &str) -> Vec<String> {
    term.split([' ', '-', '\u{2013}'])
        .map(|w| w.trim_matches(',').to_lowercase().replace('\u{2019}', "'"))
        .filter(|w| !w.is_empty())
        .collect()
}

fn is_contraction(w: &str) -> bool {
    ["n't", "'re", "'ve", "'ll", "'d", "'m"]
        .iter()
        .any(|s| w.ends_with(s))
}

/// Names and top terms never show stop words or contractions, anywhere in them.
fn assert_no_stop_words(themes: &DataFrame) {
    let stop: HashSet<&str> = STOP_WORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let names = strings(themes, "name");
    let terms = list_column(themes, "top_terms");
    for (name, top) in names.iter().zip(&terms) {
        assert!(!top.is_empty(), "{name}: no top terms");
        for term in std::iter::once(name).chain(top) {
            for w in words(term) {
                assert!(
                    !stop.contains(w.as_str()) && !is_contraction(&w),
                    "{term:?} (theme {name:?}) has the stop word {w:?}"
                );
            }
        }
    }
}

/// The issue's own example: six distinct articles, six themes, named as an editor would.
#[test]
fn seed_pages_get_names_an_editor_would_write() {
    let out = tempfile::tempdir().unwrap();
    let o = tidings(&[
        "run",
        "data/seeds",
        "--k",
        "6",
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let themes = read_parquet(&out.path().join("themes.parquet"));
    let articles = read_parquet(&out.path().join("articles.parquet"));
    let names = strings(&themes, "name");
    let name_of = |headline: &str| -> String {
        let titles = strings(&articles, "title");
        let at = titles
            .iter()
            .position(|t| t.contains(headline))
            .unwrap_or_else(|| panic!("no article {headline:?} in {titles:?}"));
        names[ints(&articles, "theme_id")[at] as usize].clone()
    };
    let gaza = name_of("Food Security Experts Warn Gaza");
    assert!(
        gaza.contains("Gaza") && gaza.to_lowercase().contains("famine"),
        "{gaza:?}"
    );
    let putin = name_of("Putin’s Message to Syria’s Al-Sharaa");
    assert!(
        ["syria", "russia", "putin", "al-sharaa"]
            .iter()
            .any(|w| putin.to_lowercase().contains(w)),
        "{putin:?}"
    );
    assert_no_stop_words(&themes);
    // Names are short and distinct, and the articles table carries them.
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
    assert!(names.iter().all(|n| (1..=4).contains(&words(n).len())));
    for (t, label) in ints(&articles, "theme_id")
        .iter()
        .zip(strings(&articles, "theme_label"))
    {
        assert_eq!(label, names[*t as usize]);
    }
}

/// Words are shown as they are written mid-sentence: names and abbreviations keep their
/// capitals, ordinary words stay lower case.
#[test]
fn reuters_terms_read_as_written() {
    let out = tempfile::tempdir().unwrap();
    let o = tidings(&[
        "run",
        "--k",
        "8",
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let themes = read_parquet(&out.path().join("themes.parquet"));
    assert_no_stop_words(&themes);
    let all: Vec<String> = list_column(&themes, "top_terms").concat();
    let names = strings(&themes, "name");
    let shown: Vec<&str> = all
        .iter()
        .chain(&names)
        .flat_map(|t| t.split(' '))
        .collect();
    for written in ["U.S.", "OPEC", "Japan"] {
        assert!(shown.contains(&written), "{written} in {shown:?}");
    }
    for lower in ["oil", "sugar", "coffee", "trade"] {
        assert!(all.contains(&lower.to_string()), "{lower} in {all:?}");
    }
    // Few terms are listed under two themes (topic diversity, as OCTIS measures it).
    let distinct: HashSet<String> = all.iter().map(|t| t.to_lowercase()).collect();
    assert!(
        distinct.len() as f64 >= 0.9 * all.len() as f64,
        "{} distinct of {}: {all:?}",
        distinct.len(),
        all.len()
    );
    assert!(names.contains(&"crude oil".to_string()), "{names:?}");
}

/// `[names]` in tidings.toml renames themes; `fit` keeps the names in the model, so a later
/// run with the model (and no config) shows them; an id with no theme is a warning.
#[test]
fn names_set_in_config_are_kept_by_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tidings.toml");
    fs::write(
        &config,
        "k = 5\n[names]\n0 = \"Company results\"\n2 = \"Gulf shipping\"\n9 = \"Nothing\"\n",
    )
    .unwrap();
    let model = dir.path().join("m.model");
    let fit_out = dir.path().join("fit");
    let o = tidings(&[
        "fit",
        "data/sample",
        "--config",
        config.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--out",
        fit_out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[names] 9 = \"Nothing\": there is no theme 9"),
        "{}",
        stderr(&o)
    );
    let fitted = strings(&read_parquet(&fit_out.join("themes.parquet")), "name");
    assert_eq!(fitted[0], "Company results");
    assert_eq!(fitted[2], "Gulf shipping");

    let run_out = dir.path().join("run");
    let o = tidings(&[
        "run",
        "data/sample",
        "--model",
        model.to_str().unwrap(),
        "--out",
        run_out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let themes = read_parquet(&run_out.join("themes.parquet"));
    assert_eq!(strings(&themes, "name")[..5], fitted[..]);
    let counts = read_parquet(&run_out.join("theme_counts.parquet"));
    assert!(strings(&counts, "theme_label").contains(&"Gulf shipping".to_string()));
    let summary = fs::read_to_string(run_out.join("summary.md")).unwrap();
    assert!(summary.contains("Gulf shipping"));

    // A key that is not a theme id is an error naming the file.
    fs::write(&config, "[names]\ngulf = \"Gulf shipping\"\n").unwrap();
    let o = tidings(&["run", "--config", config.to_str().unwrap(), "--quiet"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("tidings.toml") && stderr(&o).contains("\"gulf\""),
        "{}",
        stderr(&o)
    );
}
