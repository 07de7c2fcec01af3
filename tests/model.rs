//! Saved models: fit once, then assign later weeks to the same themes.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

/// Fits `k` themes on the sample into `dir/themes.model`, with the run's outputs in `dir/fit`.
fn fit_sample(dir: &Path, k: usize) -> PathBuf {
    let model = dir.join("themes.model");
    let out = dir.join("fit");
    let k = k.to_string();
    let o = tidings(&[
        "fit",
        "data/sample",
        "--model",
        model.to_str().unwrap(),
        "--k",
        &k,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    model
}

#[test]
fn fit_save_load_assign_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 6);
    let (fit_out, run_out) = (dir.path().join("fit"), dir.path().join("run"));
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
    let fitted = read_parquet(&fit_out.join("articles.parquet"));
    let assigned = read_parquet(&run_out.join("articles.parquet"));
    assert_eq!(
        strings(&fitted, "article_id"),
        strings(&assigned, "article_id")
    );
    assert_eq!(ints(&fitted, "theme_id"), ints(&assigned, "theme_id"));
    assert_eq!(
        strings(&fitted, "theme_label"),
        strings(&assigned, "theme_label")
    );
    // The saved themes plus an (empty) unassigned one.
    let themes = read_parquet(&run_out.join("themes.parquet"));
    assert_eq!(themes.height(), 7);
    assert_eq!(strings(&themes, "label")[6], "(unassigned)");
    assert_eq!(strings(&themes, "name")[6], "(unassigned)");
    assert_eq!(ints(&themes, "size")[6], 0);
}

#[test]
fn unlike_articles_are_unassigned_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 8);
    // Ten articles about a story the model never saw, mixed with ten it knows.
    let sample = fs::read_to_string(sample().join("reuters-sample.jsonl")).unwrap();
    let mut week: String = sample.lines().take(10).map(|l| format!("{l}\n")).collect();
    for i in 0..10 {
        week.push_str(&format!(
            "{{\"id\": \"v{i}\", \"title\": \"Volcano erupts\", \"text\": \"The volcano erupted \
             again on day {i}, sending ash over villages; volcanologists said lava flows and \
             ash clouds threatened villages near the crater, and ash fell on farms.\"}}\n"
        ));
    }
    let input = dir.path().join("week.jsonl");
    fs::write(&input, week).unwrap();
    let out = dir.path().join("run");
    let o = tidings(&[
        "run",
        input.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--keep-duplicates",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let articles = read_parquet(&out.join("articles.parquet"));
    let labels = strings(&articles, "theme_label");
    let unassigned = labels.iter().filter(|l| *l == "(unassigned)").count();
    assert!(unassigned >= 8, "{labels:?}");
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("A new theme may be forming"), "{summary}");
    assert!(
        summary.contains("volcano") || summary.contains("ash"),
        "{summary}"
    );
}

#[test]
fn wrong_model_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let future = dir.path().join("future.model");
    let out = dir.path().join("out");
    // A newer file, and one of version 2 (before themes had names), are refused, not misread.
    for version in [99u32, 2] {
        let mut bytes = b"TIDINGSM".to_vec();
        bytes.extend_from_slice(&version.to_le_bytes());
        bytes.extend_from_slice(&[0; 16]);
        fs::write(&future, bytes).unwrap();
        let o = tidings(&[
            "run",
            "--model",
            future.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            err.contains(&format!(
                "model format version {version}, but this tidings reads version {}",
                tidings::model::FORMAT_VERSION
            )),
            "{err}"
        );
    }
    let junk = dir.path().join("junk.model");
    fs::write(&junk, "not a model").unwrap();
    let o = tidings(&[
        "run",
        "--model",
        junk.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not a tidings model file"),
        "{}",
        stderr(&o)
    );
}

/// A damaged or crafted model with a valid header: every part's length and value is checked
/// on load, and the error names the file (a short IDF vector once panicked mid-run).
#[test]
fn damaged_model_files_are_refused_naming_the_file() {
    use tidings::model::ThemeModel;
    let dir = tempfile::tempdir().unwrap();
    let good = ThemeModel::load(&fit_sample(dir.path(), 4)).unwrap();
    type Spoil = fn(&mut ThemeModel);
    let damage: [(&str, Spoil); 5] = [
        ("short-idf", |m| {
            m.idf.truncate(m.idf.len() / 2);
        }),
        ("zero-dims", |m| {
            m.dims = 0;
            m.centroids.clear();
        }),
        ("nan-centroid", |m| m.centroids[0] = f64::NAN),
        ("lsa-beyond", |m| {
            if let Some(c) = m.lsa_columns.last_mut() {
                *c = u32::MAX;
            }
        }),
        ("no-themes", |m| m.themes.clear()),
    ];
    for (name, spoil) in damage {
        let mut m = good.clone();
        spoil(&mut m);
        let path = dir.path().join(format!("{name}.model"));
        m.save(&path).unwrap();
        let o = tidings(&[
            "run",
            "data/sample",
            "--model",
            path.to_str().unwrap(),
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ]);
        assert!(!o.status.success(), "{name} was accepted");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{name}.model: corrupt model file")),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}
