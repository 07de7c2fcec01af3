//! Property tests: arbitrary bytes and arbitrary records never panic the readers, the page
//! cleaner, the tokenizer or the period bucketing, and every article read is accounted for
//! (read = clustered + duplicates + rejected). A fixed seed and case count keep them quick and
//! the same on every run.

use std::fs;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use tidings::cluster::ClusterParams;
use tidings::corpus::read_inputs;
use tidings::pipeline::{analyze, RunConfig};
use tidings::text::{Analyzer, Language};
use tidings::trends::Period;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(20261202),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Words from news, so that records share vocabulary and reach clustering.
const WORDS: &[&str] = &[
    "oil",
    "prices",
    "OPEC",
    "Gaza",
    "famine",
    "aid",
    "bank",
    "rates",
    "rose",
    "fell",
    "talks",
    "U.S.",
    "trade",
    "deficit",
    "wheat",
    "crop",
    "al-Sharaa",
    "Syria",
    "ties",
    "l'économie",
    "don't",
    "—",
    "20",
    "TT",
    "\u{0}",
    "\u{202e}",
    "🙂",
    "\n",
    "  ",
    "\"",
    "|",
    "<ABEV>",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..40).prop_map(|w| w.join(" "))
}

fn date() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (1987i32..1988, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| Some(format!("{y}-{m:02}-{d:02}"))),
        (-300000i32..300000, 1u32..13, 1u32..32)
            .prop_map(|(y, m, d)| Some(format!("{y}-{m:02}-{d:02}"))),
        ".{0,12}".prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn readers_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600),
                              ext in prop::sample::select(&["jsonl", "csv", "txt", "parquet"][..])) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("x.{ext}"));
        fs::write(&path, &bytes).unwrap();
        // An error is fine (a file that is not what it says); a panic is not.
        let _ = read_inputs(&[&path]);
    }

    #[test]
    fn the_page_cleaner_and_tokenizer_take_any_text(s in "\\PC{0,300}", t in text()) {
        let _ = tidings::pages::split_page(&s);
        let _ = tidings::pages::split_page(&t);
        let analyzer = Analyzer::new(Language::English);
        let _ = analyzer.analyze(&s);
        let _ = analyzer.analyze(&t);
        let _ = tidings::corpus::parse_date(&s);
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Whole runs on arbitrary records mixed into twenty good articles: the run succeeds, and
    /// every record is clustered, a duplicate or a reject, whatever the dates (any year),
    /// texts, ids or periods.
    #[test]
    fn every_record_is_accounted_for(
        records in prop::collection::vec((prop::option::of(text()), date(), prop::option::of("[a-c~0-9]{1,3}")), 1..30),
        period in prop::sample::select(&[Period::Day, Period::Week, Period::Month][..]),
        k in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.jsonl");
        let sample = fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/reuters-sample.jsonl"),
        )
        .unwrap();
        let good: String = sample.lines().take(20).map(|l| format!("{l}\n")).collect();
        let lines: String = records
            .iter()
            .map(|(text, date, id)| {
                let mut r = serde_json::Map::new();
                if let Some(t) = text { r.insert("text".into(), t.clone().into()); }
                if let Some(d) = date { r.insert("date".into(), d.clone().into()); }
                if let Some(i) = id { r.insert("id".into(), i.clone().into()); }
                format!("{}\n", serde_json::Value::Object(r))
            })
            .collect();
        fs::write(&path, good + &lines).unwrap();
        let config = RunConfig {
            inputs: vec![path],
            period,
            dims: 4,
            cluster: ClusterParams { k: Some(k), n_runs: 2, ..ClusterParams::default() },
            ..RunConfig::default()
        };
        let a = analyze(&config);
        prop_assert!(a.is_ok(), "{:#}", a.err().unwrap());
        let a = a.unwrap();
        prop_assert_eq!(a.n_read, records.len() + 20);
        prop_assert_eq!(a.n_read, a.articles.len() + a.duplicates.len() + a.rejects.len());
        let mut ids: Vec<&str> = a.articles.iter().map(|x| x.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), a.articles.len(), "article ids are unique");
    }
}
