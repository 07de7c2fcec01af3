//! A corpus counted and assigned in parts (Spark's partitions) gives one run's results: the
//! library pieces `tidings.spark` is built on, checked against the CLI on the sample.

use std::path::Path;
use std::sync::Arc;

use crate::common::*;
use tidings::corpus::{self, ReadOptions};
use tidings::model::ThemeModel;
use tidings::pipeline::{self, Assigner, Placed, RunConfig, Settings};
use tidings::report::aggregate;
use tidings::trends::Period;

/// The sample fitted at k = 6 and saved, loaded back.
fn sample_model(dir: &Path) -> ThemeModel {
    ThemeModel::load(&fit_sample(dir, 6)).expect("model loads")
}

fn sample_articles() -> Vec<tidings::corpus::Article> {
    corpus::read_inputs_with(&[sample()], &ReadOptions::default())
        .expect("sample reads")
        .articles
}

/// Assigning the sample in three uneven batches gives each article the theme and distance
/// that `tidings run --model --keep-duplicates` gives it; the counts of those assignments,
/// written by the aggregate report, are the run's `theme_counts.parquet` row for row.
#[test]
fn batches_assign_as_one_run_and_their_counts_report_as_it() {
    let dir = tempfile::tempdir().unwrap();
    let model = sample_model(dir.path());
    // A distance threshold that leaves some articles unassigned, so that both kinds count.
    let run_out = dir.path().join("run");
    let model_path = dir.path().join("themes.model");
    let o = tidings(&[
        "run",
        "data/sample",
        "--model",
        model_path.to_str().unwrap(),
        "--max-distance",
        "0.8",
        "--keep-duplicates",
        "--out",
        run_out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run = read_parquet(&run_out.join("articles.parquet"));

    let articles = sample_articles();
    let assigner = Assigner::new(Arc::new(model.clone())).unwrap();
    let mut ids = Vec::new();
    let mut distances = Vec::new();
    let mut rows = Vec::new();
    for part in [&articles[..7], &articles[7..300], &articles[300..]] {
        for (a, p) in part.iter().zip(assigner.assign(part, Some(0.8)).unwrap()) {
            let Placed::Theme { position, distance } = p else {
                panic!("{}: every sample article has vocabulary terms", a.id);
            };
            let id = model.themes.get(position).map_or(model.next_id, |t| t.id);
            ids.push(id as i64);
            distances.push(distance);
            rows.push((a.date, id, 1));
        }
    }
    assert_eq!(ids, ints(&run, "theme_id"));
    assert_eq!(distances, floats(&run, "distance"));
    let unassigned = ids.iter().filter(|&&i| i == model.next_id as i64).count();
    assert!(unassigned > 0 && unassigned < ids.len(), "{unassigned}");

    let report_out = dir.path().join("report");
    aggregate::write(&model, &rows, Period::Week, "parts", &report_out, None).unwrap();
    let expected = read_parquet(&run_out.join("theme_counts.parquet"));
    let got = read_parquet(&report_out.join("theme_counts.parquet"));
    assert!(got.equals_missing(&expected), "{got}\n{expected}");
    // The rows of the counts table itself read back as the same cells.
    let again = aggregate::count_rows(&expected).unwrap();
    let total: usize = again.iter().map(|r| r.2).sum();
    assert_eq!(total, articles.len());
    for name in [
        "themes.parquet",
        "theme_frequency.png",
        "theme_trends.png",
        "summary.md",
    ] {
        assert!(report_out.join(name).is_file(), "{name}");
    }
    let themes = read_parquet(&report_out.join("themes.parquet"));
    assert_eq!(
        ints(&themes, "size"),
        ints(&read_parquet(&run_out.join("themes.parquet")), "size")
    );
    // The page (from its template): one row per theme, names escaped, charts inlined.
    let page = std::fs::read_to_string(report_out.join("index.html")).unwrap();
    assert!(
        page.starts_with("<!doctype html>") && page.ends_with("</html>\n")
            || page.ends_with("</html>")
    );
    assert_eq!(
        page.matches("<tr><td><span class=\"sw\"").count(),
        themes.height()
    );
    assert_eq!(page.matches("data:image/png;base64,").count(), 2);
    for name in strings(&themes, "name") {
        let escaped = name.replace('&', "&amp;").replace('<', "&lt;");
        assert!(page.contains(&format!("<b>{escaped}</b>")), "{name}");
    }
}

/// Document frequencies counted part by part and summed give the vocabulary and IDF weights
/// a fit counts itself over the whole corpus.
#[test]
fn summed_document_frequencies_give_the_fits_vocabulary() {
    let articles = sample_articles();
    let config = RunConfig {
        inputs: vec![sample()],
        settings: Settings {
            dedup: None,
            ..Settings::default()
        },
        ..RunConfig::default()
    };
    let mut summed: std::collections::BTreeMap<String, usize> = Default::default();
    for part in articles.chunks(250) {
        for (term, df) in pipeline::document_frequencies(&config, part).unwrap() {
            *summed.entry(term).or_default() += df;
        }
    }
    let given = config
        .check()
        .unwrap()
        .from_document_frequencies(summed.into_iter().collect(), articles.len())
        .unwrap();
    let fitted = pipeline::analyze(&config).unwrap().model;
    assert!(given.n_terms() > 1000);
    assert_eq!(given.vocabulary, fitted.vocabulary);
    assert_eq!(given.df, fitted.df);
    assert_eq!(given.idf, fitted.idf);
}

/// A model travels as bytes (a Spark broadcast) and comes back equal; damaged bytes are
/// refused with an error, never a panic.
#[test]
fn models_round_trip_through_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let model = sample_model(dir.path());
    let bytes = model.to_bytes().unwrap();
    assert_eq!(
        bytes,
        std::fs::read(dir.path().join("themes.model")).unwrap()
    );
    assert_eq!(ThemeModel::from_bytes("b", &bytes).unwrap(), model);
    for cut in [0, 5, 12, 100, bytes.len() - 1] {
        let e = ThemeModel::from_bytes("b", &bytes[..cut]).unwrap_err();
        assert!(format!("{e:#}").starts_with("b: "), "{e:#}");
    }
}
