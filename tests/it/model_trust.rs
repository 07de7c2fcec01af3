//! A weekly model a cron job and an editor share: one writer at a time, a rewrite that keeps
//! what its owner set, and settings the model fixes refused instead of ignored.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tidings::model::{ModelLock, ThemeModel};

use crate::common::*;

fn names(model: &Path) -> Vec<String> {
    let m = ThemeModel::load(model).unwrap();
    m.themes.iter().map(|t| t.name.clone()).collect()
}

fn rename(model: &Path, id: usize, name: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.current_dir(repo())
        .args([
            "model",
            "rename",
            model.to_str().unwrap(),
            &id.to_string(),
            name,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Every theme renamed at once by its own process, twenty times over: no edit is lost.
#[test]
fn edits_at_once_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 6);
    let ids: Vec<usize> = ThemeModel::load(&model)
        .unwrap()
        .themes
        .iter()
        .map(|t| t.id)
        .collect();
    for round in 0..20 {
        let children: Vec<_> = ids
            .iter()
            .map(|&id| {
                rename(&model, id, &format!("r{round} t{id}"))
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
        }
        let want: Vec<String> = ids.iter().map(|id| format!("r{round} t{id}")).collect();
        assert_eq!(names(&model), want, "round {round}");
    }
}

/// A second writer waits for the first (saying so), or with --no-wait is refused at once
/// and leaves the model as it was.
#[test]
fn a_second_writer_waits_or_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 4);
    let before = fs::read(&model).unwrap();
    let lock = ModelLock::acquire(&model, false, || {}).unwrap();

    let o = tidings(&[
        "model",
        "rename",
        model.to_str().unwrap(),
        "0",
        "Oil",
        "--no-wait",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("another tidings is updating or editing"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(&model).unwrap(), before);

    let waiting = rename(&model, 0, "Oil").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(fs::read(&model).unwrap(), before, "it waited");
    drop(lock);
    let o = waiting.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("waiting for another tidings"),
        "{}",
        stderr(&o)
    );
    assert_eq!(names(&model)[0], "Oil");
}

#[cfg(unix)]
#[test]
fn a_rewrite_keeps_the_files_mode_and_link_and_clears_dead_writers_leftovers() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 4);
    fs::set_permissions(&model, fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("current.model");
    symlink(&model, &link).unwrap();
    let leftover = dir.path().join(".tidings-themes.model-dead1");
    fs::write(&leftover, "half a model").unwrap();

    let o = tidings(&["model", "rename", link.to_str().unwrap(), "1", "Grain"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(names(&model)[1], "Grain", "the link's target was written");
    let mode = fs::metadata(&model).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(!leftover.exists());
}

/// A model that cannot be saved is refused before the week is run: its previous outputs
/// stay.
#[cfg(unix)]
#[test]
fn a_read_only_model_is_refused_before_the_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 4);
    fs::set_permissions(&model, fs::Permissions::from_mode(0o444)).unwrap();
    let before = fs::read(&model).unwrap();
    let out = dir.path().join("week");
    let o = tidings(&[
        "update",
        "data/sample",
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    assert!(!out.exists(), "nothing was run");
    assert_eq!(fs::read(&model).unwrap(), before);
}

#[test]
fn a_model_with_bytes_appended_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 3);
    let mut bytes = fs::read(&model).unwrap();
    bytes.extend_from_slice(b"1234567");
    fs::write(&model, bytes).unwrap();
    let e = ThemeModel::load(&model).unwrap_err();
    assert!(format!("{e:#}").contains("corrupt model file"), "{e:#}");
}

/// The name of the unassigned, and one name for two themes, are refused wherever a user
/// names themes.
#[test]
fn reserved_and_repeated_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 4);
    let o = tidings(&[
        "model",
        "rename",
        model.to_str().unwrap(),
        "0",
        "(Unassigned)",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("reserved"), "{}", stderr(&o));

    fs::write(
        dir.path().join("tidings.toml"),
        "[names]\n0 = \"Oil\"\n1 = \"Oil\"\n",
    )
    .unwrap();
    let sample = sample();
    let out = dir.path().join("out");
    let o = tidings_in(
        dir.path(),
        &[
            "run",
            sample.to_str().unwrap(),
            "--k",
            "4",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("both called \"Oil\""), "{}", stderr(&o));
}

/// What the model fixed when it was fitted cannot be changed by a later run: a flag is
/// refused naming it; the config file's value is a warning, and the model's is used.
#[test]
fn settings_the_model_fixes_are_refused_or_reported() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 4);
    let out = dir.path().join("week");
    for (command, flag, value) in [
        ("update", "--min-df", "7"),
        ("update", "--dims", "20"),
        ("run", "--language", "french"),
        ("run", "--k", "3"),
    ] {
        let o = tidings(&[
            command,
            "data/sample",
            "--model",
            model.to_str().unwrap(),
            flag,
            value,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!o.status.success(), "{command} {flag}");
        let err = stderr(&o);
        // `run --model --k` is refused by the parser itself.
        assert!(
            err.contains(&format!("{flag} cannot be given with --model"))
                || (flag == "--k" && err.contains("cannot be used with '--k")),
            "{command} {flag}: {err}"
        );
    }
    let o = tidings(&[
        "update",
        "data/sample",
        "--model",
        model.to_str().unwrap(),
        "--restarts",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).contains("--restarts must be at least 1"),
        "{}",
        stderr(&o)
    );

    fs::write(dir.path().join("tidings.toml"), "min_df = 7\n").unwrap();
    let sample = sample();
    let o = tidings_in(
        dir.path(),
        &[
            "run",
            sample.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("sets min_df, which a model fixes"),
        "{summary}"
    );
    assert!(
        summary.contains("the model's themes, vocabulary"),
        "{summary}"
    );
    assert!(!summary.contains("min_df = 7"), "{summary}");
}

/// A declared theme none of whose terms the corpus has is saved with no centroid; assigning
/// to the model never puts an article there.
#[test]
fn an_empty_declared_theme_takes_no_article() {
    let dir = tempfile::tempdir().unwrap();
    let themes = dir.path().join("themes.toml");
    fs::write(
        &themes,
        "[[theme]]\nname = \"Quidditch\"\nterms = [\"snitch\", \"quaffle\"]\n",
    )
    .unwrap();
    let model = dir.path().join("m.model");
    let o = tidings(&[
        "fit",
        "data/sample",
        "--k",
        "5",
        "--themes",
        themes.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--out",
        dir.path().join("fit").to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("run");
    let o = tidings(&[
        "run",
        "data/sample",
        "--model",
        model.to_str().unwrap(),
        "--max-distance",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let themes = read_parquet(&out.join("themes.parquet"));
    let quidditch = strings(&themes, "name")
        .iter()
        .position(|n| n == "Quidditch")
        .expect("the declared theme is kept");
    assert_eq!(ints(&themes, "size")[quidditch], 0);
}

/// The sample split into one JSON Lines file per ISO week (`1987-W10.jsonl`, ...).
fn weeks(dir: &Path) -> std::collections::BTreeMap<String, PathBuf> {
    use chrono::Datelike;
    let text = fs::read_to_string(sample().join("reuters-sample.jsonl")).unwrap();
    let mut by_week: std::collections::BTreeMap<String, String> = Default::default();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let d = chrono::NaiveDate::parse_from_str(v["date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        let w = d.iso_week();
        let week = format!("{}-W{:02}", w.year(), w.week());
        let lines = by_week.entry(week).or_default();
        lines.push_str(line);
        lines.push('\n');
    }
    by_week
        .into_iter()
        .map(|(week, lines)| {
            let path = dir.join(format!("{week}.jsonl"));
            fs::write(&path, lines).unwrap();
            (week, path)
        })
        .collect()
}

fn update(model: &Path, input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "update",
        input.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    tidings(&args)
}

fn sizes(model: &Path) -> Vec<usize> {
    ThemeModel::load(model)
        .unwrap()
        .themes
        .iter()
        .map(|t| t.size)
        .collect()
}

/// A week is counted once: the same week again is refused naming when it was absorbed, and
/// `--replace` re-does the last update exactly, from the model as it was before it.
#[test]
fn a_week_is_absorbed_once_and_replace_redoes_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let weeks = weeks(dir.path());
    let fit_input = &weeks["1987-W10"];
    let model = dir.path().join("m.model");
    fit_model(fit_input, 4, &model, &dir.path().join("fit"));
    let out = dir.path().join("w");
    let w11 = &weeks["1987-W11"];

    let o = update(&model, fit_input, &out, &[]);
    assert!(!o.status.success(), "the fit's own week again");
    assert!(
        stderr(&o).contains("absorbed by its fit on"),
        "{}",
        stderr(&o)
    );

    let o = update(&model, w11, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let once = fs::read(&model).unwrap();
    let sizes_once = sizes(&model);
    let o = update(&model, w11, &out, &[]);
    assert!(!o.status.success(), "the same week twice");
    let err = stderr(&o);
    assert!(
        err.contains("1987-W11, which the model absorbed by its update on")
            && err.contains("--replace"),
        "{err}"
    );
    assert_eq!(
        fs::read(&model).unwrap(),
        once,
        "a refused update changes nothing"
    );

    let o = update(&model, w11, &out, &["--replace"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(sizes(&model), sizes_once, "replaced, not counted twice");
    let m = ThemeModel::load(&model).unwrap();
    let kinds: Vec<(&str, &str)> = m
        .ledger
        .entries
        .iter()
        .map(|e| (e.kind.as_str(), e.periods.as_str()))
        .collect();
    assert_eq!(kinds, [("fit", "1987-W10"), ("update", "1987-W11")]);

    let o = update(&model, &weeks["1987-W12"], &out, &["--replace"]);
    assert!(!o.status.success(), "--replace with another week");
    assert!(
        stderr(&o).contains("re-does the last update (1987-W11"),
        "{}",
        stderr(&o)
    );

    let o = tidings(&["model", "show", model.to_str().unwrap()]);
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(
        shown.contains("absorbed:") && shown.contains("update  1987-W11"),
        "{shown}"
    );

    // An edit since the update: replacing it would take the edit back, so it is refused.
    assert!(
        tidings(&["model", "rename", model.to_str().unwrap(), "0", "Oil"])
            .status
            .success()
    );
    let o = update(&model, w11, &out, &["--replace"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("an edit"), "{}", stderr(&o));
}

/// A model saved before the ledger (format 4) still loads, with nothing recorded.
#[test]
fn a_model_from_before_the_ledger_loads() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit_sample(dir.path(), 3);
    let m = ThemeModel::load(&model).unwrap();
    let mut bytes = b"TIDINGSM".to_vec();
    bytes.extend_from_slice(&4u32.to_le_bytes());
    bytes.extend(bincode::serialize(&m).unwrap());
    let old = dir.path().join("v4.model");
    fs::write(&old, bytes).unwrap();
    let loaded = ThemeModel::load(&old).unwrap();
    assert!(loaded.ledger.entries.is_empty());
    assert_eq!(loaded.themes, m.themes);
}

/// A timeline lays end to end the runs of one model at one kind of period: runs of another
/// model, or counted by day among weeks, are refused naming both runs; counts written with
/// 32-bit integers (by another tool) are read.
#[test]
fn a_timeline_keeps_to_one_model_and_one_kind_of_period() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let weeks = weeks(dir.path());
    let fit_week = |week: &str, k: usize, name: &str| -> (PathBuf, PathBuf) {
        let model = dir.path().join(format!("{name}.model"));
        let out = dir.path().join(format!("fit-{name}"));
        fit_model(&weeks[week], k, &model, &out);
        (model, out)
    };
    let (a, fit_a) = fit_week("1987-W10", 4, "a");
    let (_, fit_b) = fit_week("1987-W11", 3, "b");
    let w11 = dir.path().join("w11");
    assert!(update(&a, &weeks["1987-W11"], &w11, &[]).status.success());
    let timeline = |runs: &[&Path]| {
        let out = dir.path().join("timeline");
        let mut args = vec!["timeline"];
        args.extend(runs.iter().map(|r| r.to_str().unwrap()));
        args.extend(["--out", out.to_str().unwrap(), "--quiet"]);
        tidings(&args)
    };
    assert!(timeline(&[&fit_a, &w11]).status.success());

    let o = timeline(&[&fit_a, &fit_b]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("a timeline follows the themes of one model"),
        "{}",
        stderr(&o)
    );

    let daily = dir.path().join("daily");
    let o = tidings(&[
        "run",
        weeks["1987-W12"].to_str().unwrap(),
        "--model",
        a.to_str().unwrap(),
        "--period",
        "day",
        "--out",
        daily.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = timeline(&[&fit_a, &w11, &daily]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("counts by day and"), "{}", stderr(&o));

    let counts = w11.join("theme_counts.parquet");
    let mut df = read_parquet(&counts);
    for name in ["theme_id", "count"] {
        let narrow = df.column(name).unwrap().cast(&DataType::Int32).unwrap();
        df.with_column(narrow).unwrap();
    }
    ParquetWriter::new(fs::File::create(&counts).unwrap())
        .finish(&mut df)
        .unwrap();
    let o = timeline(&[&fit_a, &w11]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Two runs into one new output folder at once both succeed, and the folder holds one whole
/// run (before, the second to finish failed with "Directory not empty").
#[test]
fn two_runs_into_one_new_folder_both_land() {
    for round in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let run = || {
            Command::new(env!("CARGO_BIN_EXE_tidings"))
                .current_dir(repo())
                .args(["run", "data/sample", "--k", "5", "--quiet", "--out"])
                .arg(&out)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (run(), run());
        for child in [a, b] {
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success(), "round {round}: {}", stderr(&o));
        }
        assert_eq!(read_parquet(&out.join("themes.parquet")).height(), 5);
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(
            left.len(),
            1,
            "round {round}: only the output folder is left"
        );
    }
}

/// A story that goes on into the next week keeps its id: the model carries its open stories,
/// `update` continues them, new stories take ids it never gave, `--replace` re-does the week's
/// stories exactly, and a timeline follows them across the runs.
#[test]
fn stories_go_on_from_week_to_week() {
    let dir = tempfile::tempdir().unwrap();
    let weeks = weeks(dir.path());
    let model = dir.path().join("m.model");
    let fit_out = dir.path().join("fit");
    fit_model(&weeks["1987-W11"], 4, &model, &fit_out);
    let w12 = dir.path().join("w12");
    let o = update(&model, &weeks["1987-W12"], &w12, &[]);
    assert!(o.status.success(), "{}", stderr(&o));

    let summary = fs::read_to_string(w12.join("summary.md")).unwrap();
    assert!(
        summary.contains("**Against the model's history** (")
            && summary.contains("Benjamini-Hochberg"),
        "the week's themes tested against what the model absorbed: {summary}"
    );
    assert!(
        !fit_out.join("history.parquet").exists(),
        "a fit has no history to test against"
    );
    let history = read_parquet(&w12.join("history.parquet"));
    let level = strings(&history, "level");
    let status = strings(&history, "status");
    let q = floats(&history, "q_value");
    let p = floats(&history, "p_value");
    let before_n = ints(&history, "articles_before");
    for i in 0..history.height() {
        assert!(
            p[i] <= q[i] + 1e-12 && q[i] <= 1.0,
            "q is p corrected upward: {history}"
        );
        match (level[i].as_str(), before_n[i]) {
            ("story", 0) => assert_eq!(status[i], "new", "{history}"),
            ("story", _) => assert!(
                ["growing", "fading", "continuing"].contains(&status[i].as_str()),
                "{history}"
            ),
            ("theme", _) => assert!(
                ["new", "rose", "fell", "steady"].contains(&status[i].as_str()),
                "{history}"
            ),
            other => panic!("unexpected row {other:?}"),
        }
    }
    assert!(
        level.iter().filter(|l| *l == "theme").count() >= 4
            && level.iter().any(|l| l == "story")
            && before_n
                .iter()
                .zip(&level)
                .any(|(n, l)| l == "story" && *n > 0),
        "every saved theme and the stories, carried ones with their earlier articles: {history}"
    );
    let before = read_parquet(&fit_out.join("stories.parquet"));
    let after = read_parquet(&w12.join("stories.parquet"));
    let old_ids: std::collections::HashSet<i64> = ints(&before, "story_id").into_iter().collect();
    let max_old = old_ids.iter().copied().max().unwrap();
    let continued: Vec<bool> = after
        .column("continued")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .map(|b| b.unwrap_or(false))
        .collect();
    assert!(continued.iter().any(|&c| c), "some story goes on into W12");
    for (id, c) in ints(&after, "story_id").into_iter().zip(&continued) {
        if *c {
            assert!(old_ids.contains(&id), "continued story {id} was W11's");
        } else {
            assert!(id > max_old, "new story {id} takes an id never given");
        }
    }
    let first = |col: &str| -> Vec<Option<i32>> {
        after
            .column(col)
            .unwrap()
            .cast(&polars::prelude::DataType::Int32)
            .unwrap()
            .i32()
            .unwrap()
            .iter()
            .collect()
    };
    for ((c, story_first), run_first) in continued
        .iter()
        .zip(first("story_first_date"))
        .zip(first("first_date"))
    {
        if *c {
            assert!(
                story_first < run_first,
                "a continued story began before this week"
            );
        }
    }

    let again = dir.path().join("w12-again");
    let o = update(&model, &weeks["1987-W12"], &again, &["--replace"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read(w12.join("stories.parquet")).unwrap(),
        fs::read(again.join("stories.parquet")).unwrap(),
        "--replace re-does the week's stories from the model as it was"
    );

    let timeline = dir.path().join("timeline");
    let o = tidings(&[
        "timeline",
        fit_out.to_str().unwrap(),
        w12.to_str().unwrap(),
        "--out",
        timeline.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = fs::read_to_string(timeline.join("timeline.md")).unwrap();
    assert!(md.contains("## Longest-running stories"), "{md}");
    assert!(
        md.contains("in 2 runs"),
        "a story listed across both runs: {md}"
    );
}
