//! Bad input never panics: each case gets a clear message naming the file and line, a non-zero
//! exit when nothing could be done, and every article read is either clustered or rejected.

use std::fs;
use std::path::Path;

use crate::common::*;

/// The first `n` lines of the sample corpus: good articles to mix bad input into.
fn good_lines(n: usize) -> String {
    let text = fs::read_to_string(sample().join("reuters-sample.jsonl")).unwrap();
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

/// The first `n` sample records, each changed by `edit` (given its 0-based index).
fn edited_lines(n: usize, edit: impl Fn(usize, &mut serde_json::Value)) -> String {
    good_lines(n)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            edit(i, &mut record);
            format!("{record}\n")
        })
        .collect()
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

/// Year-1 and year-9999 placeholders once panicked (`--period week`), ran out of memory
/// (`--period day`) or made millions of empty periods; they are now undated, with a warning.
#[test]
fn dates_far_from_now_are_kept_as_undated() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("far.jsonl");
    let text = edited_lines(42, |i, record| match i {
        40 => record["date"] = "0001-01-01".into(),
        41 => record["date"] = "9999-12-31".into(),
        _ => {}
    });
    fs::write(&input, text).unwrap();
    for period in ["week", "day"] {
        let out = dir.path().join(period);
        let o = run(
            &[&input],
            &out,
            &["--k", "3", "--period", period, "--keep-duplicates"],
        );
        let err = stderr(&o);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains("far.jsonl:41: date 0001-01-01 is outside 1900-01-01..2100-12-31"),
            "{err}"
        );
        assert!(
            err.contains("far.jsonl:42: date 9999-12-31 is outside"),
            "{err}"
        );
        let counts = read_parquet(&out.join("theme_counts.parquet"));
        assert!(counts.height() < 500, "{} rows", counts.height());
        let articles = read_parquet(&out.join("articles.parquet"));
        assert_eq!(articles.height(), 42);
    }
    let o = run(&[&input], &dir.path().join("x"), &["--date", "0001-01-01"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--date 0001-01-01 is outside"),
        "{}",
        stderr(&o)
    );
}

/// Settings that cannot work are refused before anything is read, naming the flag.
#[test]
fn impossible_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.jsonl");
    fs::write(&input, good_lines(30)).unwrap();
    for (flags, message) in [
        (&["--restarts", "0"][..], "--restarts must be at least 1"),
        (
            &["--duplicate-threshold", "1.5"][..],
            "--duplicate-threshold must be above 0",
        ),
        (&["--duplicate-threshold", "NaN"][..], "got NaN"),
        (
            &["--duplicate-threshold", "0"][..],
            "--duplicate-threshold must be above 0",
        ),
        (&["--k-max", "1"][..], "--k-max must be at least 2"),
    ] {
        let o = run(&[&input], &dir.path().join("out"), flags);
        assert!(!o.status.success(), "{flags:?} was accepted");
        let err = stderr(&o);
        assert!(err.contains(message), "{flags:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A folder that links back to itself is read once, and a link to nothing is skipped: both
/// with a warning, neither stopping the run.
#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let news = dir.path().join("news");
    fs::create_dir_all(news.join("sub")).unwrap();
    fs::write(news.join("a.jsonl"), good_lines(30)).unwrap();
    symlink(".", news.join("loop")).unwrap();
    symlink("..", news.join("sub").join("up")).unwrap();
    symlink("gone.jsonl", news.join("dangling.jsonl")).unwrap();
    let o = run(&[&news], &dir.path().join("out"), &["--k", "3", "--json"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["articles_read"], 30, "{err}");
    assert!(
        err.contains("already read (a symbolic link loop?)"),
        "{err}"
    );
    assert!(
        err.contains("dangling.jsonl: skipped: a symbolic link to nothing"),
        "{err}"
    );
}

/// `tidings run | head -1`: the reader goes away; tidings ends quietly, as Unix tools do.
#[cfg(unix)]
#[test]
fn a_closed_stdout_is_not_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.jsonl");
    fs::write(&input, good_lines(60)).unwrap();
    for extra in [&[][..], &["--json"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .args(["run", input.to_str().unwrap(), "--k", "3", "--out"])
            .arg(dir.path().join("out"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            o.status.success() || o.status.signal() == Some(libc_sigpipe()),
            "{:?}: {err}",
            o.status
        );
    }
}

fn libc_sigpipe() -> i32 {
    13
}

/// `--out` inside an input folder: the next run does not read the last one's tables as
/// articles. `--out` naming a file is refused before the analysis.
#[test]
fn outputs_inside_the_input_are_not_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let news = dir.path().join("news");
    fs::create_dir(&news).unwrap();
    fs::write(news.join("a.jsonl"), good_lines(40)).unwrap();
    let out = news.join("reports");
    let read = |o: &std::process::Output| -> serde_json::Value {
        assert!(o.status.success(), "{}", stderr(o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["articles_read"].clone()
    };
    let first = read(&run(&[&news], &out, &["--k", "3", "--json"]));
    let o = run(&[&news], &out, &["--k", "3", "--json"]);
    assert_eq!(read(&o), first);
    assert!(
        stderr(&o).contains("reports: skipped: the output folder"),
        "{}",
        stderr(&o)
    );
    let file = dir.path().join("file.txt");
    fs::write(&file, "x").unwrap();
    let o = run(&[&news], &file, &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("exists and is not a folder"),
        "{}",
        stderr(&o)
    );
}

/// Fields named like the table's own columns keep their values under a free name, even when
/// the input also has a field of the first prefixed name.
#[test]
fn input_fields_never_clash_with_the_tables_columns() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.jsonl");
    let text = edited_lines(30, |_, record| {
        record["source"] = "wire".into();
        record["input_source"] = "feed".into();
    });
    fs::write(&input, text).unwrap();
    let out = dir.path().join("out");
    let o = run(&[&input], &out, &["--k", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let articles = read_parquet(&out.join("articles.parquet"));
    assert_eq!(strings(&articles, "input_source")[0], "feed");
    assert_eq!(strings(&articles, "input_input_source")[0], "wire");
}

/// `--dims 0` on a corpus whose dense TF-IDF matrix would not fit is refused, naming the
/// option, instead of aborting on the allocation (here the memory is capped to 1 MiB).
#[test]
fn a_dense_matrix_too_large_for_memory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = tidings_env(
        &[
            "run",
            "data/sample",
            "--dims",
            "0",
            "--k",
            "3",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("TIDINGS_MEMORY_MIB", "1")],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("(--dims 0) needs a dense"), "{err}");
    assert!(err.contains("use --dims 100"), "{err}");
    let o = tidings(&[
        "run",
        "data/sample",
        "--dims",
        "0",
        "--k",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A run into a folder that held a comparison (or metrics, or a killed run's temporary files)
/// leaves none of them beside its own outputs.
#[test]
fn a_run_leaves_no_stale_outputs_of_another_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let o = tidings(&[
        "compare",
        "data/sample",
        "--before",
        "1987-W12",
        "--after",
        "1987-W13",
        "--k",
        "4",
        "--label-field",
        "label",
        "--out",
        out_s,
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in [
        "comparison.parquet",
        "compare.md",
        "keyword_shifts.parquet",
        "metrics.parquet",
    ] {
        assert!(out.join(name).exists(), "{name}");
    }
    fs::write(out.join(".tidings-killed.parquet"), "half").unwrap();
    let o = tidings(&["run", "data/sample", "--k", "4", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "articles.parquet",
            "duplicates.parquet",
            "explore.html",
            "index.html",
            "rejects.parquet",
            "sources.parquet",
            "sources.png",
            "stories.parquet",
            "stories.png",
            "summary.md",
            "theme_counts.parquet",
            "theme_frequency.png",
            "theme_tree.parquet",
            "theme_tree.png",
            "theme_trends.png",
            "themes.parquet"
        ]
    );
}

/// Ctrl-C or SIGTERM during a run: it stops at its next stage, exits 130 or 143 with one line,
/// and leaves no temporary files and no partial outputs.
#[cfg(unix)]
#[test]
fn signals_stop_a_run_cleanly() {
    use std::process::{Command, Stdio};
    let corpus_dir = tempfile::tempdir().unwrap();
    let corpus = large_corpus(corpus_dir.path(), 30);
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let child = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .args([
                "run",
                corpus.to_str().unwrap(),
                "--k",
                "10",
                "--keep-duplicates",
                "--quiet",
                "--out",
            ])
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(400));
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(child.id() as i32, signal) };
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{err}");
        assert!(err.contains("tidings: stopped by"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        let left = fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "files were written after the signal");
    }
}

/// The files of an output folder by name, with their bytes.
#[cfg(unix)]
fn folder(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// SIGKILL at several points while a run writes its outputs (before its new folder exists,
/// with 0, 3, 6 or 9 files in it, after the swap): the output folder always holds one whole
/// run, the previous or the new one, byte for byte, never a mix and never a temporary file;
/// the next run clears what the killed one left beside the folder.
#[cfg(unix)]
#[test]
fn a_killed_run_leaves_one_whole_run() {
    use std::process::{Command, Stdio};
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let (old_args, new_args) = (["--k", "4"], ["--k", "5"]);
    let run = |extra: &[&str], out: &Path| {
        let o = tidings(
            &[
                &[
                    "run",
                    "data/sample",
                    "--quiet",
                    "--out",
                    out.to_str().unwrap(),
                ],
                extra,
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
    };
    // What a whole new run writes, for reference (same seed: the same bytes).
    let reference = root.path().join("reference");
    run(&new_args, &reference);
    let new = folder(&reference);
    // summary.md carries the run's timings; all else is byte-identical.
    let same = |a: &std::collections::BTreeMap<String, Vec<u8>>,
                b: &std::collections::BTreeMap<String, Vec<u8>>| {
        a.keys().eq(b.keys()) && a.iter().all(|(k, v)| k == "summary.md" || b[k] == *v)
    };
    let mut seen = Vec::new();
    for files_before_kill in [None, Some(0), Some(3), Some(6), Some(9), Some(usize::MAX)] {
        run(&old_args, &out);
        let old = folder(&out);
        let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .current_dir(repo())
            .args(["run", "data/sample", "--quiet", "--out"])
            .arg(&out)
            .args(new_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let staging = root.path().join(format!(".out.tidings-{}-0", child.id()));
        loop {
            let written = fs::read_dir(&staging).map(|d| d.count()).ok();
            let ready = match files_before_kill {
                None => true,
                Some(usize::MAX) => false,
                Some(n) => written.is_some_and(|w| w >= n),
            };
            if ready || child.try_wait().unwrap().is_some() {
                break;
            }
        }
        // SAFETY: killing our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        child.wait().unwrap();
        let now = folder(&out);
        let state = if now == old {
            "previous"
        } else if same(&now, &new) {
            "new"
        } else {
            panic!(
                "killed at {files_before_kill:?}: a mix: {:?}",
                now.keys().collect::<Vec<_>>()
            )
        };
        seen.push(format!("{files_before_kill:?}: {state}"));
        assert!(now.keys().all(|n| !n.starts_with(".tidings-")));
    }
    eprintln!("states after SIGKILL: {seen:?}");
    run(&old_args, &out);
    let beside: Vec<_> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside.len(), 2, "leftovers beside the folder: {beside:?}");
}
