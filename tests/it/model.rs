//! Saved models: fit once, then assign later weeks to the same themes.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;

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
    // A newer file, and older ones (version 2 had no theme names, version 3 no stable ids or
    // birth periods), are refused, not misread.
    for version in [99u32, 2, 3] {
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
                "model format version {version}, but this tidings reads versions 4 to {}",
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

fn model_cmd(args: &[&str]) -> std::process::Output {
    tidings(&[&["model"], args].concat())
}

fn shown(model: &Path) -> serde_json::Value {
    let o = model_cmd(&["show", model.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn ids_and_names(shown: &serde_json::Value) -> Vec<(i64, String)> {
    shown["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["theme_id"].as_i64().unwrap(),
                t["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// rename, merge and drop are kept in the model file; every other theme keeps its id and
/// name; a run with the edited model writes those ids and names; ids are never reused.
#[test]
fn model_edits_round_trip_and_keep_untouched_ids() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 6);
    let m = model.to_str().unwrap();
    let before = ids_and_names(&shown(&model));
    assert_eq!(
        before.iter().map(|t| t.0).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5]
    );
    let sizes: Vec<i64> = shown(&model)["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["size"].as_i64().unwrap())
        .collect();

    for args in [
        vec!["rename", m, "2", "  Gulf shipping "],
        vec!["merge", m, "1", "4"],
        vec!["drop", m, "3"],
    ] {
        let o = model_cmd(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let after = shown(&model);
    let themes = ids_and_names(&after);
    assert_eq!(
        themes,
        [
            before[0].clone(),
            before[1].clone(),
            (2, "Gulf shipping".to_string()),
            before[5].clone()
        ]
    );
    assert_eq!(
        after["themes"][1]["size"].as_i64(),
        Some(sizes[1] + sizes[4])
    );
    assert_eq!(after["next_id"].as_i64(), Some(6));
    assert!(after["themes"][0]["born"]
        .as_str()
        .unwrap()
        .starts_with("1987-W10"));

    let out = dir.path().join("run");
    let o = tidings(&[
        "run",
        "data/sample",
        "--model",
        m,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = read_parquet(&out.join("themes.parquet"));
    assert_eq!(ints(&t, "theme_id"), [0, 1, 2, 5, 6]);
    assert_eq!(strings(&t, "name")[2], "Gulf shipping");
    assert_eq!(strings(&t, "name")[4], "(unassigned)");
    let articles = read_parquet(&out.join("articles.parquet"));
    let ids = ints(&articles, "theme_id");
    assert!(ids.iter().all(|i| [0, 1, 2, 5, 6].contains(i)), "{ids:?}");
    let counts = read_parquet(&out.join("theme_counts.parquet"));
    let mut counted = ints(&counts, "theme_id");
    counted.sort_unstable();
    counted.dedup();
    assert_eq!(counted, [0, 1, 2, 5, 6]);
}

/// Edits naming a theme the model does not have (or would leave it empty) are refused with
/// the ids it does have, and leave the file as it was.
#[test]
fn bad_model_edits_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 4);
    let m = model.to_str().unwrap();
    assert!(model_cmd(&["drop", m, "2"]).status.success());
    let bytes = fs::read(&model).unwrap();
    for (args, says) in [
        (
            vec!["rename", m, "2", "x"],
            "no theme 2 in the model (its themes: 0, 1, 3)",
        ),
        (vec!["rename", m, "1", " "], "a theme name cannot be empty"),
        (
            vec!["merge", m, "0", "9"],
            "no theme 9 in the model (its themes: 0, 1, 3)",
        ),
        (vec!["merge", m, "1", "1"], "theme 1 is listed twice"),
        (vec!["drop", m, "2"], "no theme 2 in the model"),
    ] {
        let o = model_cmd(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(says) && err.contains(m), "{args:?}: {err}");
        assert_eq!(
            fs::read(&model).unwrap(),
            bytes,
            "{args:?} changed the file"
        );
    }
    let o = model_cmd(&["rename", m, "3", &ids_and_names(&shown(&model))[0].1]);
    assert!(
        stderr(&o).contains("theme 0 is already called"),
        "{}",
        stderr(&o)
    );
    for id in ["1", "3"] {
        assert!(model_cmd(&["drop", m, id]).status.success());
    }
    let o = model_cmd(&["drop", m, "0"]);
    assert!(
        stderr(&o).contains("the model's only theme"),
        "{}",
        stderr(&o)
    );
}

/// The sample's articles dated in ISO week `week` of 1987, as a JSON Lines file in `dir`.
fn sample_week(dir: &Path, weeks: &[u32]) -> PathBuf {
    use chrono::Datelike;
    let text = fs::read_to_string(repo().join("data/sample/reuters-sample.jsonl")).unwrap();
    let lines: String = text
        .lines()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let date = v["date"].as_str().and_then(|d| d.get(..10));
            date.and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| weeks.contains(&d.iso_week().week()))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let name = weeks.iter().map(|w| format!("w{w}")).collect::<String>();
    let path = dir.join(format!("{name}.jsonl"));
    fs::write(&path, lines).unwrap();
    path
}

/// Fits 6 themes on the sample's weeks 10-12 into `dir/m.model` (outputs in `dir/fit`).
fn fit_weeks_10_to_12(dir: &Path) -> PathBuf {
    let model = dir.join("m.model");
    let fit_on = sample_week(dir, &[10, 11, 12]);
    let o = tidings(&[
        "fit",
        fit_on.to_str().unwrap(),
        "--k",
        "6",
        "--model",
        model.to_str().unwrap(),
        "--out",
        dir.join("fit").to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    model
}

/// `tidings update` of `model` with the sample's week `week`, outputs in `dir/w<week>`, with
/// `flag` (`--json` or `--quiet`); returns the output folder and what the command printed.
fn update_week(dir: &Path, model: &Path, week: u32, flag: &str) -> (PathBuf, std::process::Output) {
    let input = sample_week(dir, &[week]);
    let out = dir.join(format!("w{week}"));
    let o = tidings(&[
        "update",
        "--model",
        model.to_str().unwrap(),
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        flag,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    (out, o)
}

/// `update`: the saved themes keep their ids and names week after week, new ones (if any)
/// take ids above them with the week as their birth, the model file grows, and every
/// article of the week is accounted for.
#[test]
fn update_keeps_ids_and_names_and_records_births() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_weeks_10_to_12(dir.path());
    let m = model.to_str().unwrap();
    let fitted = ids_and_names(&shown(&model));
    let mut seen = fitted.clone();
    for week in [13u32, 14, 15] {
        let (out, o) = update_week(dir.path(), &model, week, "--json");
        let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let read = summary["articles_read"].as_i64().unwrap();
        let accounted = ["clustered", "duplicates", "rejected"]
            .iter()
            .map(|k| summary[k].as_i64().unwrap())
            .sum::<i64>();
        assert_eq!(read, accounted);
        let now = ids_and_names(&shown(&model));
        assert_eq!(
            &now[..seen.len()],
            &seen[..],
            "week {week} renumbered or renamed"
        );
        let born = summary["new_themes"].as_array().unwrap();
        assert_eq!(now.len(), seen.len() + born.len());
        let themes = read_parquet(&out.join("themes.parquet"));
        let ids = ints(&themes, "theme_id");
        let births = strings_or_null(&themes, "born");
        for t in born {
            let id = t["theme_id"].as_i64().unwrap();
            assert!(id >= 6);
            let row = ids.iter().position(|&i| i == id).unwrap();
            assert_eq!(
                births[row].as_deref(),
                Some(format!("1987-W{week}").as_str())
            );
        }
        for (row, id) in ids.iter().enumerate() {
            if let Some(p) = fitted.iter().position(|t| t.0 == *id) {
                assert_eq!(
                    births[row].as_deref(),
                    Some("1987-W10..1987-W12"),
                    "theme {p}"
                );
            }
        }
        seen = now;
    }
    let o = tidings(&["update", "--model", m, "data/sample", "--k", "3"]);
    assert!(
        stderr(&o).contains("--k does not apply to update"),
        "{}",
        stderr(&o)
    );
}

fn strings_or_null(df: &polars::prelude::DataFrame, col: &str) -> Vec<Option<String>> {
    let ca = df.column(col).unwrap().str().unwrap().clone();
    (0..ca.len())
        .map(|i| ca.get(i).map(str::to_string))
        .collect()
}

/// `timeline` over a fit and three updates: its counts are the runs' counts, period by
/// period and theme by theme (the unassigned followed by name); a period given twice is
/// refused naming both folders.
#[test]
fn timeline_counts_add_up_to_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_weeks_10_to_12(dir.path());
    let mut runs = vec![dir.path().join("fit")];
    for week in [13u32, 14, 15] {
        runs.push(update_week(dir.path(), &model, week, "--quiet").0);
    }
    let out = dir.path().join("timeline");
    let mut args = vec!["timeline".to_string()];
    args.extend(runs.iter().rev().map(|r| r.display().to_string()));
    args.extend(["--out".into(), out.display().to_string(), "--quiet".into()]);
    let o = tidings(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    let timeline = read_parquet(&out.join("timeline.parquet"));
    let periods = strings(&timeline, "period");
    assert_eq!(
        {
            let mut p = periods.clone();
            p.dedup();
            p
        },
        ["1987-W10", "1987-W11", "1987-W12", "1987-W13", "1987-W14", "1987-W15"]
    );
    let names = strings(&timeline, "name");
    let counts = ints(&timeline, "count");
    for run in &runs {
        let tc = read_parquet(&run.join("theme_counts.parquet"));
        let (p, l, c) = (
            strings(&tc, "period"),
            strings(&tc, "theme_label"),
            ints(&tc, "count"),
        );
        for row in 0..tc.height() {
            if p[row] == "undated" {
                continue;
            }
            let ids = tc.column("theme_id").unwrap().i64().unwrap().get(row);
            let got: i64 = (0..timeline.height())
                .filter(|&r| {
                    periods[r] == p[row]
                        && if l[row] == "(unassigned)" {
                            names[r] == "(unassigned)"
                        } else {
                            timeline.column("theme_id").unwrap().i64().unwrap().get(r) == ids
                        }
                })
                .map(|r| counts[r])
                .sum();
            assert_eq!(got, c[row], "{} {} {}", run.display(), p[row], l[row]);
        }
    }
    let shares = floats(&timeline, "share");
    for period in ["1987-W10", "1987-W15"] {
        let total: f64 = (0..timeline.height())
            .filter(|&r| periods[r] == period)
            .map(|r| shares[r])
            .sum();
        assert!((total - 1.0).abs() < 1e-9, "{period}: {total}");
    }
    assert!(out.join("timeline.png").exists());
    let md = fs::read_to_string(out.join("timeline.md")).unwrap();
    assert!(md.starts_with("# Timeline: 1987-W10 to 1987-W15"), "{md}");

    let fit = runs[0].to_str().unwrap();
    let o = tidings(&["timeline", fit, fit, "--out", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(err.contains("period 1987-W10 is in both"), "{err}");
    let o = tidings(&[
        "timeline",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).contains("theme_counts.parquet: cannot open"),
        "{}",
        stderr(&o)
    );
}
