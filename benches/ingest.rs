//! Ingestion benchmark: reading, page cleaning and de-duplication of the given inputs, timed
//! per stage, with peak memory. Prints one line per input.
//!
//!     cargo bench --bench ingest -- ../shared/data/reuters21578.jsonl.gz /tmp/corpus-200k.jsonl

use std::time::Instant;

/// The allocator the `tidings` binary uses, so stages are timed as users run them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tidings::corpus::read_inputs;
use tidings::dedup::{find_duplicates, DedupParams};

/// Peak resident memory of this process so far, from /proc (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    let inputs: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if inputs.is_empty() {
        eprintln!("usage: cargo bench --bench ingest -- INPUT...");
        std::process::exit(2);
    }
    println!("| input | articles | read (s) | dedup (s) | total (s) | duplicates | peak MiB |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for input in inputs {
        let t0 = Instant::now();
        let corpus = match read_inputs(&[&input]) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{input}: {e}");
                std::process::exit(1);
            }
        };
        let read = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let texts: Vec<&str> = corpus.articles.iter().map(|a| a.text.as_str()).collect();
        let d = find_duplicates(&texts, &DedupParams::default());
        let dedup = t1.elapsed().as_secs_f64();
        println!(
            "| {input} | {} | {read:.2} | {dedup:.2} | {:.2} | {} | {:.0} |",
            corpus.n_read(),
            read + dedup,
            d.duplicates.len(),
            peak_rss_mib()
        );
    }
}
