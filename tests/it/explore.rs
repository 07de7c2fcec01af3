//! `explore.html`: one self-contained page whose embedded data is the run's tables (the
//! browser test in `python/tests/browser.py` drives it in Chromium).
use std::fs;

use crate::common::*;

#[test]
fn the_explore_page_embeds_the_run_and_nothing_from_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A headline that would end a <script> element if written raw.
    let input = dir.path().join("in.jsonl");
    let mut text = fs::read_to_string(sample().join("reuters-sample.jsonl")).unwrap();
    text.push_str(
        "{\"id\": \"x-1\", \"date\": \"1987-03-10\", \"title\": \"OIL </script><!-- PRICES\", \
         \"text\": \"Crude oil prices rose on Tuesday as OPEC ministers met in Vienna.\"}\n",
    );
    fs::write(&input, text).unwrap();
    let o = tidings(&[
        "run",
        input.to_str().unwrap(),
        "--k",
        "6",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = fs::read_to_string(out.join("explore.html")).unwrap();
    assert!(!html.contains("https://") && !html.contains("src=\"http"));
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "the headline cannot close a script"
    );
    let start = html.find("id=\"data\">").unwrap() + "id=\"data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    let themes = read_parquet(&out.join("themes.parquet"));
    let sizes: Vec<i64> = data["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["size"].as_i64().unwrap())
        .collect();
    assert_eq!(sizes, ints(&themes, "size"));
    let articles = read_parquet(&out.join("articles.parquet"));
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), articles.height());
    assert!(rows
        .iter()
        .any(|r| r[1].as_str() == Some("OIL </script><!-- PRICES")));
    let stories = read_parquet(&out.join("stories.parquet"));
    let multi = ints(&stories, "articles")
        .iter()
        .filter(|&&n| n > 1)
        .count();
    assert_eq!(data["stories"].as_array().unwrap().len(), multi);
}
