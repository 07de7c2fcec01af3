//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample() -> PathBuf {
    repo().join("data/sample")
}

/// A corpus of `copies` copies of the bundled sample (ids made unique) in `dir`: a run long
/// enough to interrupt, from what a clone of the repository has.
pub fn large_corpus(dir: &Path, copies: usize) -> PathBuf {
    let sample = std::fs::read_to_string(sample().join("reuters-sample.jsonl")).unwrap();
    let mut out = String::with_capacity(sample.len() * copies);
    for copy in 0..copies {
        for line in sample.lines() {
            out.push_str(&line.replacen("\"id\": \"", &format!("\"id\": \"{copy}-"), 1));
            out.push('\n');
        }
    }
    let path = dir.join("large.jsonl");
    std::fs::write(&path, out).unwrap();
    path
}

/// Runs the `tidings` binary with `args`, in the repository root.
pub fn tidings(args: &[&str]) -> Output {
    tidings_env(args, &[])
}

pub fn tidings_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    tidings_in(&repo(), args, env)
}

/// Runs the binary in `dir` (where it looks for `tidings.toml`).
pub fn tidings_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the tidings binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn read_parquet(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().expect("valid parquet")
}

pub fn strings(df: &DataFrame, col: &str) -> Vec<String> {
    let ca = df.column(col).unwrap().str().unwrap();
    (0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect()
}

pub fn ints(df: &DataFrame, col: &str) -> Vec<i64> {
    let ca = df.column(col).unwrap().i64().unwrap();
    (0..ca.len())
        .map(|i| ca.get(i).expect("no nulls"))
        .collect()
}

/// Normalised mutual information (arithmetic mean normalisation, as scikit-learn's default).
pub fn nmi(truth: &[String], pred: &[i64]) -> f64 {
    let n = truth.len() as f64;
    let mut joint: HashMap<(&str, i64), f64> = HashMap::new();
    let mut a: HashMap<&str, f64> = HashMap::new();
    let mut b: HashMap<i64, f64> = HashMap::new();
    for (t, &p) in truth.iter().zip(pred) {
        *joint.entry((t.as_str(), p)).or_default() += 1.0;
        *a.entry(t.as_str()).or_default() += 1.0;
        *b.entry(p).or_default() += 1.0;
    }
    let h = |m: &mut dyn Iterator<Item = f64>| -> f64 {
        m.map(|c| {
            let p = c / n;
            -p * p.ln()
        })
        .sum()
    };
    let mi: f64 = joint
        .iter()
        .map(|(&(t, p), &c)| c / n * (n * c / (a[t] * b[&p])).ln())
        .sum();
    let (ha, hb) = (h(&mut a.values().copied()), h(&mut b.values().copied()));
    if ha + hb == 0.0 {
        1.0
    } else {
        2.0 * mi / (ha + hb)
    }
}

pub fn floats(df: &DataFrame, col: &str) -> Vec<f64> {
    let ca = df.column(col).unwrap().f64().unwrap();
    (0..ca.len())
        .map(|i| ca.get(i).unwrap_or(f64::NAN))
        .collect()
}

/// Fits `k` themes on `input` into `model`, the run's outputs in `out`; panics (with
/// tidings' message) if the fit fails.
pub fn fit_model(input: &Path, k: usize, model: &Path, out: &Path) {
    let k = k.to_string();
    let o = tidings(&[
        "fit",
        input.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--k",
        &k,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Fits `k` themes on the sample into `dir/themes.model`, with the run's outputs in `dir/fit`.
pub fn fit_sample(dir: &Path, k: usize) -> PathBuf {
    let model = dir.join("themes.model");
    fit_model(&sample(), k, &model, &dir.join("fit"));
    model
}
