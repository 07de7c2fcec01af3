//! Settings from `tidings.toml` and their precedence, and a corpus that is not in English.

use std::collections::BTreeSet;
use std::fs;

use crate::common::*;

#[test]
fn flags_override_the_config_file_which_overrides_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample();
    let sample = sample.to_str().unwrap();
    fs::write(
        dir.path().join("tidings.toml"),
        "k = 3\nperiod = \"month\"\nout = \"from-file\"\nstop_words = [\"oil\"]\n",
    )
    .unwrap();
    // The file alone: k, period, output folder and stop words come from it.
    let o = tidings_in(dir.path(), &["run", sample, "--quiet"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("from-file");
    assert_eq!(read_parquet(&out.join("themes.parquet")).height(), 3);
    let periods: BTreeSet<String> =
        strings(&read_parquet(&out.join("theme_counts.parquet")), "period")
            .into_iter()
            .collect();
    assert_eq!(
        periods.into_iter().collect::<Vec<_>>(),
        ["1987-03", "1987-04"]
    );
    let terms = strings(&read_parquet(&out.join("themes.parquet")), "label");
    assert!(
        terms.iter().all(|l| !l.split(" · ").any(|t| t == "oil")),
        "{terms:?}"
    );
    // Flags win over the file.
    let o = tidings_in(
        dir.path(),
        &[
            "run",
            sample,
            "--quiet",
            "--k",
            "4",
            "--period",
            "week",
            "--out",
            "from-flags",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("from-flags");
    assert_eq!(read_parquet(&out.join("themes.parquet")).height(), 4);
    let periods = strings(&read_parquet(&out.join("theme_counts.parquet")), "period");
    assert!(periods.iter().all(|p| p.contains("-W")), "{periods:?}");
    // An explicit --config replaces ./tidings.toml; a bad one is a clear error.
    fs::write(dir.path().join("other.toml"), "k = 2\nout = \"other\"\n").unwrap();
    let o = tidings_in(
        dir.path(),
        &["run", sample, "--quiet", "--config", "other.toml"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read_parquet(&dir.path().join("other/themes.parquet")).height(),
        2
    );
    fs::write(dir.path().join("bad.toml"), "kk = 2\n").unwrap();
    let o = tidings_in(dir.path(), &["run", sample, "--config", "bad.toml"], &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("bad.toml: invalid config"),
        "{}",
        stderr(&o)
    );
}

/// A small French corpus on two subjects: with --language french, stop words such as "le",
/// "les", "des" never reach the labels, and the two subjects make two themes.
#[test]
fn french_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let wine = [
        "Les vendanges ont commencé dans les vignobles de Bourgogne, où les vignerons espèrent un millésime exceptionnel.",
        "La récolte du raisin en Champagne s'annonce abondante, selon les vignerons de la région.",
        "Les vignobles du Bordelais ont souffert de la grêle, et les vignerons craignent pour le millésime.",
        "Le prix du vin de Bourgogne augmente après une récolte de raisin plus faible que prévu.",
        "Les vignerons d'Alsace lancent les vendanges avec un raisin d'une qualité remarquable.",
        "Un millésime prometteur pour les vins de la vallée du Rhône, disent les vignerons.",
    ];
    let rail = [
        "La grève des cheminots perturbe le trafic des trains dans toute la France ce mardi.",
        "Les syndicats de cheminots appellent à une nouvelle grève contre la réforme ferroviaire.",
        "La SNCF prévoit un train sur trois en raison de la grève des cheminots.",
        "Le trafic ferroviaire reste perturbé, la grève des cheminots entre dans sa deuxième semaine.",
        "Les voyageurs des trains régionaux subissent la grève, les cheminots manifestent à Paris.",
        "Reprise progressive du trafic des trains après la fin de la grève des cheminots.",
    ];
    let mut lines = String::new();
    for (i, text) in wine.iter().chain(rail.iter()).enumerate() {
        let subject = if i < wine.len() { "vin" } else { "rail" };
        lines.push_str(
            &serde_json::json!({"id": format!("fr{i}"), "text": text, "label": subject})
                .to_string(),
        );
        lines.push('\n');
    }
    let input = dir.path().join("fr.jsonl");
    fs::write(&input, lines).unwrap();
    let out = dir.path().join("out");
    let o = tidings(&[
        "run",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--language",
        "french",
        "--k",
        "2",
        "--label-field",
        "label",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let themes = read_parquet(&out.join("themes.parquet"));
    let labels = strings(&themes, "label");
    for l in &labels {
        for w in l.split(" · ") {
            assert!(
                !["le", "la", "les", "des", "de", "du", "et"].contains(&w),
                "{labels:?}"
            );
        }
    }
    let all = labels.join(" ");
    assert!(
        all.contains("vignerons") || all.contains("millésime"),
        "{labels:?}"
    );
    assert!(
        all.contains("cheminots") || all.contains("grève"),
        "{labels:?}"
    );
    let metrics = read_parquet(&out.join("metrics.parquet"));
    let purity = floats(&metrics, "value")[5];
    assert_eq!(purity, 1.0, "{labels:?}");
}
