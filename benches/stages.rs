//! Stage benchmark: tokenizing, vectorizing, reducing, clustering (k 20) and the story pass on
//! one corpus, each stage run several times in one process and its fastest run printed, so
//! that a change to one stage can be measured apart from the noise of a whole run on a shared
//! machine.
//!
//!     cargo bench --bench stages -- /tmp/tidings-scale/long-200000.jsonl [RUNS]

use std::time::Instant;

/// The allocator the `tidings` binary uses, so stages are timed as users run them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tidings::cluster::ClusterParams;
use tidings::corpus::{day_number, read_inputs};
use tidings::pipeline;
use tidings::reduce::Lsa;
use tidings::stories::{StoryParams, Threads};
use tidings::text::Analyzer;
use tidings::vectorize::{stem_names, TfidfParams};

/// The fastest of `runs` calls of `f`, in seconds, and the last call's result.
fn fastest<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(input) = args.first() else {
        eprintln!("usage: cargo bench --bench stages -- INPUT [RUNS]");
        std::process::exit(2);
    };
    let runs = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let corpus = read_inputs(&[input]).unwrap_or_else(|e| {
        eprintln!("{input}: {e}");
        std::process::exit(1);
    });
    let articles = &corpus.articles;
    let analyzer = Analyzer::english();
    let (tokenize, (docs, surfaces)) = fastest(runs, || pipeline::tokenize(articles, &analyzer));
    let names = stem_names(&surfaces);
    let params = TfidfParams::default().check().expect("default parameters");
    let (fit, model) = fastest(runs, || params.fit(&docs, &names).expect("a vocabulary"));
    // As a run counts: the single words clustering and the stories read.
    let (counts, (matrix, seen, leads)) = fastest(runs, || model.clustering_counts(&docs, true));
    let coverage: Vec<f64> = seen.iter().map(|s| s.coverage).collect();
    let (weight, rows) = fastest(runs, || model.clustering_rows(&matrix));
    let (lsa, (_, vectors)) = fastest(runs, || {
        Lsa::fit_transform(model.clustering_weights(&matrix), 100, 42)
    });
    let cluster_params = ClusterParams {
        k: Some(20),
        ..Default::default()
    };
    let valid = cluster_params.check(vectors.nrows()).expect("k 20");
    let (cluster, _) = fastest(runs, || valid.fit(vectors.view()).expect("a fit"));
    // The story pass as a run makes it.
    let words = model.words_with(&matrix);
    let days: Vec<Option<i32>> = articles.iter().map(|a| a.date.map(day_number)).collect();
    let (pass, grouping) = fastest(runs, || {
        pipeline::find_stories(
            &StoryParams::default(),
            &Threads::default(),
            &words,
            &words.fitted_df(),
            &coverage,
            &leads,
            &days,
        )
    });
    println!("| articles | tokenize (s) | fit (s) | counts (s) | weight (s) | LSA (s) | k-means, k 20 (s) | story pass (s) | stories | terms | non-zeros |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {tokenize:.2} | {fit:.2} | {counts:.2} | {weight:.2} | {lsa:.2} | {cluster:.3} | {pass:.3} | {} | {} | {} |",
        articles.len(),
        grouping.groups.len(),
        model.n_terms(),
        rows.nnz()
    );
}
