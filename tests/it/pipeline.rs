//! End-to-end behaviour of `tidings run`: theme quality on a labelled corpus, the documented
//! tables and their accounting, charts, and byte-identical output for the same seed.

use std::collections::HashMap;
use std::fs;

use crate::common::*;

const TABLES: [&str; 6] = [
    "articles.parquet",
    "stories.parquet",
    "themes.parquet",
    "theme_counts.parquet",
    "duplicates.parquet",
    "rejects.parquet",
];

fn columns(df: &polars::prelude::DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

/// The sample is eight Reuters topics; with k = 8 the themes must recover them.
#[test]
fn sample_run_recovers_labels_and_writes_documented_tables() {
    let out = tempfile::tempdir().unwrap();
    let out_s = out.path().to_str().unwrap();
    let o = tidings(&["run", "--out", out_s, "--k", "8", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let articles = read_parquet(&out.path().join("articles.parquet"));
    assert_eq!(
        columns(&articles)[..9],
        [
            "article_id",
            "source",
            "line",
            "date",
            "title",
            "theme_id",
            "theme_label",
            "story_id",
            "distance"
        ]
    );
    // Carried-through fields: `label` as is, the input's own `source` renamed.
    assert!(columns(&articles).contains(&"label".to_string()));
    assert!(columns(&articles).contains(&"input_source".to_string()));
    // The sample holds 8 Reuters duplicates (7 exact, 1 near), set aside before clustering.
    assert_eq!(articles.height(), 591);

    let labels = strings(&articles, "label");
    let themes_of = ints(&articles, "theme_id");
    let score = nmi(&labels, &themes_of);
    eprintln!("NMI against Reuters topics: {score:.3}");
    assert!(score >= 0.65, "NMI {score}");

    let themes = read_parquet(&out.path().join("themes.parquet"));
    assert_eq!(
        columns(&themes),
        [
            "theme_id",
            "name",
            "label",
            "top_terms",
            "size",
            "share",
            "copies",
            "sources",
            "stability",
            "unstable",
            "born",
            "representative_ids",
            "representative_titles",
            "model"
        ]
    );
    assert_eq!(themes.height(), 8);
    let sizes = ints(&themes, "size");
    assert_eq!(sizes.iter().sum::<i64>(), 591);
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "largest first");
    // Sizes agree with the articles table.
    let mut per_theme: HashMap<i64, i64> = HashMap::new();
    themes_of
        .iter()
        .for_each(|&t| *per_theme.entry(t).or_default() += 1);
    for (t, &size) in sizes.iter().enumerate() {
        assert_eq!(per_theme[&(t as i64)], size);
    }
    // Every theme's stability is measured, in [0, 1], and flagged below the threshold.
    let stability = floats(&themes, "stability");
    let unstable = themes.column("unstable").unwrap().bool().unwrap();
    for (i, &s) in stability.iter().enumerate() {
        assert!((0.0..=1.0).contains(&s), "theme {i}: stability {s}");
        assert_eq!(
            unstable.get(i),
            Some(s < tidings::cluster::UNSTABLE_BELOW),
            "theme {i}"
        );
    }
    // Oil is a topic of its own in this corpus: some name must say so.
    let theme_names = strings(&themes, "name");
    assert!(
        theme_names.iter().any(|l| l.contains("oil")),
        "{theme_names:?}"
    );
    // Each article's theme_label is its theme's name.
    let labels_of = strings(&articles, "theme_label");
    for (t, label) in themes_of.iter().zip(&labels_of) {
        assert_eq!(label, &theme_names[*t as usize]);
    }
    // Representatives are real article ids, three per theme.
    let ids: std::collections::HashSet<String> =
        strings(&articles, "article_id").into_iter().collect();
    let reps = themes.column("representative_ids").unwrap().list().unwrap();
    for i in 0..reps.len() {
        let rep = reps.get_as_series(i).unwrap();
        let rep = rep.str().unwrap();
        assert_eq!(rep.len(), 3);
        for j in 0..rep.len() {
            assert!(ids.contains(rep.get(j).unwrap()));
        }
    }

    let counts = read_parquet(&out.path().join("theme_counts.parquet"));
    assert_eq!(
        columns(&counts),
        [
            "period",
            "period_start",
            "theme_id",
            "theme_label",
            "count",
            "share"
        ]
    );
    assert_eq!(ints(&counts, "count").iter().sum::<i64>(), 591);
    let periods: std::collections::BTreeSet<String> =
        strings(&counts, "period").into_iter().collect();
    assert!(periods.len() >= 3, "{periods:?}");
    assert!(periods.contains("1987-W12"));
    assert_eq!(counts.height(), periods.len() * 8);

    let rejects = read_parquet(&out.path().join("rejects.parquet"));
    assert_eq!(columns(&rejects), ["source", "line", "reason"]);
    assert_eq!(rejects.height(), 0);

    for png in ["theme_frequency.png", "theme_trends.png"] {
        let bytes = fs::read(out.path().join(png)).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        assert!(bytes.len() > 20_000, "{png} looks empty");
    }
    let summary = fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(summary.contains("599 articles read = 591 clustered + 8 duplicates + 0 rejected"));
    assert!(summary.contains("k = 8, as given"));
    assert!(summary.contains("![Articles per theme](theme_frequency.png)"));
    // No temporary files are left behind.
    let names: Vec<_> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".tidings-")),
        "{names:?}"
    );
}

/// Same input and seed give the same bytes, whatever the number of threads; another seed is
/// allowed to differ but must still account for every article.
#[test]
fn same_seed_gives_identical_tables_across_thread_counts() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let run = |dir: &tempfile::TempDir, threads: &str| {
        let o = tidings_env(
            &[
                "run",
                "--out",
                dir.path().to_str().unwrap(),
                "--quiet",
                "--seed",
                "7",
            ],
            // rayon's pool and matrixmultiply's (the LSA's dense products).
            &[
                ("RAYON_NUM_THREADS", threads),
                ("MATMUL_NUM_THREADS", threads),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run(&a, "1");
    run(&b, "2");
    for t in TABLES {
        let (x, y) = (
            fs::read(a.path().join(t)).unwrap(),
            fs::read(b.path().join(t)).unwrap(),
        );
        assert!(x == y, "{t} differs between runs");
    }
    let summary = fs::read_to_string(a.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("of the rise of the mean silhouette"),
        "{summary}"
    );
}

/// `--json` prints a summary scripts can parse; `index.html` is one self-contained page.
#[test]
fn json_summary_and_html_page() {
    let out = tempfile::tempdir().unwrap();
    let o = tidings(&[
        "run",
        "--out",
        out.path().to_str().unwrap(),
        "--k",
        "5",
        "--quiet",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(v["articles_read"], 599);
    assert_eq!(
        v["clustered"].as_u64().unwrap()
            + v["duplicates"].as_u64().unwrap()
            + v["rejected"].as_u64().unwrap(),
        599
    );
    assert_eq!(v["themes"].as_array().unwrap().len(), 5);
    assert!(v["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p.as_str().unwrap().ends_with("index.html")));
    let html = fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("data:image/png;base64,"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external requests"
    );
    let themes = read_parquet(&out.path().join("themes.parquet"));
    for name in strings(&themes, "name") {
        assert!(html.contains(&name.replace('&', "&amp;")), "{name} missing");
    }
}

/// theme_tree.parquet: every theme a leaf exactly once, groups joined closest first up to one
/// root holding them all; a model run's unassigned are not in the tree.
#[test]
fn the_theme_tree_holds_every_theme_once() {
    let dir = tempfile::tempdir().unwrap();
    let (fit, run) = (dir.path().join("fit"), dir.path().join("run"));
    let model = dir.path().join("m.model");
    let o = tidings(&[
        "fit",
        "data/sample",
        "--k",
        "8",
        "--quiet",
        "--model",
        model.to_str().unwrap(),
        "--out",
        fit.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = tidings(&[
        "run",
        "data/sample",
        "--quiet",
        "--model",
        model.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for out in [&fit, &run] {
        let tree = read_parquet(&out.join("theme_tree.parquet"));
        assert_eq!(
            tree.height(),
            2 * 7,
            "two children for each of k - 1 merges"
        );
        let ids = tree
            .column("child_theme_id")
            .unwrap()
            .i64()
            .unwrap()
            .clone();
        let mut leaves: Vec<i64> = (0..ids.len()).filter_map(|i| ids.get(i)).collect();
        leaves.sort_unstable();
        assert_eq!(leaves, (0..8).collect::<Vec<_>>());
        let distances = floats(&tree, "distance");
        assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
        let children = strings(&tree, "child");
        let parents = strings(&tree, "parent");
        for g in 1..7 {
            let name = format!("G{g}");
            assert_eq!(children.iter().filter(|c| **c == name).count(), 1, "{name}");
        }
        assert_eq!(parents.last().map(String::as_str), Some("G7"));
        assert_eq!(ints(&tree, "parent_themes").last(), Some(&8));
        assert!(out.join("theme_tree.png").exists());
    }
}

/// The CLI sets the article texts aside in a scratch file as it tokenizes them when they are
/// many (a million full-length articles hold 2.2 GB of text); that must change nothing a user
/// sees:
/// the same tables byte for byte, the same headlines (read back from the file for untitled
/// articles), every text readable, each with where its tokens are, and no file left behind.
#[test]
fn texts_set_aside_as_they_are_tokenized_change_no_output() {
    use tidings::pipeline::{self, RunConfig};
    use tidings::text::Span;
    let dir = tempfile::tempdir().unwrap();
    // Every third article untitled, so its headline comes from its text.
    let corpus = dir.path().join("in.jsonl");
    let lines: Vec<String> = fs::read_to_string(sample().join("reuters-sample.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if i % 3 == 0 {
                v.as_object_mut().unwrap().remove("title");
            }
            v.to_string()
        })
        .collect();
    fs::write(&corpus, lines.join("\n")).unwrap();
    let scratch = dir.path().join("scratch");
    fs::create_dir(&scratch).unwrap();
    let mut config = RunConfig {
        inputs: vec![corpus],
        ..RunConfig::default()
    };
    config.settings.cluster.k = Some(8);
    let held = pipeline::analyze(&config).unwrap();
    config.scratch = Some(scratch.clone());
    let spilled = pipeline::analyze(&config).unwrap();

    assert!(spilled.texts.is_spilled() && !held.texts.is_spilled());
    // Texts fewer than `scratch_from` bytes in all stay in memory.
    config.scratch_from = fs::metadata(&config.inputs[0]).unwrap().len();
    assert!(!pipeline::analyze(&config).unwrap().texts.is_spilled());
    assert!(spilled.articles.iter().all(|a| a.text.is_empty()));
    assert_eq!(spilled.articles.len(), held.articles.len());
    for (i, a) in held.articles.iter().enumerate() {
        assert_eq!(spilled.text(i).unwrap(), a.text.as_str(), "article {i}");
        assert_eq!(spilled.headline(i, 80), held.headline(i, 80));
    }
    assert!(held.articles.iter().any(|a| a.title.is_empty()));
    // Beside each text, where its tokens were written, as analysing it again finds them.
    let analyzer = config.analyzer();
    let mut cache = analyzer.cache();
    for (i, a) in held.articles.iter().enumerate() {
        let note = spilled.texts.note(i).unwrap().expect("a note");
        let places = cache.spans(&[&a.title, &a.text]);
        assert_eq!(Span::decode(&note), Some(places), "article {i}");
    }
    assert_eq!(held.texts.note(0).unwrap(), None);
    // The scratch file has no name: nothing to clean up, even after a crash.
    assert_eq!(fs::read_dir(&scratch).unwrap().count(), 0);

    let (a, b) = same_tables(&held, &spilled, dir.path(), "with the texts set aside");
    let themes = |p: &std::path::Path| {
        let s = fs::read_to_string(p.join("summary.md")).unwrap();
        let from = s.find("## Themes").unwrap();
        let to = s[from + 1..]
            .find("\n## ")
            .map_or(s.len(), |e| from + 1 + e);
        s[from..to].to_string()
    };
    assert_eq!(themes(&a), themes(&b));
}

/// Naming reads how terms are written from the spans a small corpus keeps, and from the
/// texts analysed again in a larger one: both must give the same names, byte for byte.
#[test]
fn kept_spans_change_no_name() {
    use tidings::pipeline::{self, RunConfig};
    let dir = tempfile::tempdir().unwrap();
    let mut config = RunConfig {
        inputs: vec![
            sample().join("reuters-sample.jsonl"),
            repo().join("data/seeds"),
        ],
        ..RunConfig::default()
    };
    config.settings.cluster.k = Some(8);
    let analysed = pipeline::analyze(&config).unwrap();
    config.spans_below = u64::MAX;
    let spanned = pipeline::analyze(&config).unwrap();
    let names = |a: &pipeline::Analysis| {
        let themes: Vec<String> = a.themes.themes.iter().map(|t| t.name.clone()).collect();
        let stories: Vec<String> = a.stories.stories.iter().map(|s| s.name.clone()).collect();
        (themes, stories)
    };
    let (themes, stories) = names(&spanned);
    assert_eq!(names(&analysed), (themes.clone(), stories.clone()));
    // Names of several words, read from the texts, are among them.
    assert!(stories.iter().any(|n| n.contains(' ')), "{stories:?}");
    same_tables(&analysed, &spanned, dir.path(), "with the spans kept");
}

/// Writes both analyses' reports under `dir` (`a`, `b`), asserts their tables are the same
/// byte for byte, and returns the two folders.
fn same_tables(
    x: &tidings::pipeline::Analysis,
    y: &tidings::pipeline::Analysis,
    dir: &std::path::Path,
    what: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let (a, b) = (dir.join("a"), dir.join("b"));
    tidings::report::write(x, None, &a, None).unwrap();
    tidings::report::write(y, None, &b, None).unwrap();
    for t in TABLES {
        let (p, q) = (fs::read(a.join(t)).unwrap(), fs::read(b.join(t)).unwrap());
        assert!(p == q, "{t} differs {what}");
    }
    (a, b)
}

/// The seed only breaks ties: on a corpus with clear structure (eight Reuters topics, k = 8),
/// two seeds put (nearly) every article in the same theme, and the themes say how stable
/// they are the same way.
#[test]
fn two_seeds_give_the_same_themes() {
    let dir = tempfile::tempdir().unwrap();
    let themes_of = |seed: &str| -> (HashMap<String, i64>, Vec<f64>) {
        let out = dir.path().join(seed);
        let o = tidings(&[
            "run",
            "--out",
            out.to_str().unwrap(),
            "--k",
            "8",
            "--seed",
            seed,
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let articles = read_parquet(&out.join("articles.parquet"));
        let themes = read_parquet(&out.join("themes.parquet"));
        (
            strings(&articles, "article_id")
                .into_iter()
                .zip(ints(&articles, "theme_id"))
                .collect(),
            floats(&themes, "stability"),
        )
    };
    let (a, stab_a) = themes_of("1");
    let (b, stab_b) = themes_of("2");
    let ids: Vec<&String> = a.keys().collect();
    let la: Vec<usize> = ids.iter().map(|i| a[*i] as usize).collect();
    let lb: Vec<usize> = ids.iter().map(|i| b[*i] as usize).collect();
    let ari = tidings::evaluate::adjusted_rand(&la, &lb);
    assert!(ari >= 0.9, "seeds 1 and 2 agree only to ARI {ari:.3}");
    let overall = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    assert!(
        (overall(&stab_a) - overall(&stab_b)).abs() < 0.1,
        "{stab_a:?} {stab_b:?}"
    );
}
