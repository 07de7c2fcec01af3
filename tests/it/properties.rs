//! Property tests: arbitrary bytes and arbitrary records never panic the readers, the page
//! cleaner, the tokenizer or the period bucketing, and every article read is accounted for
//! (read = clustered + duplicates + rejected). A fixed seed and case count keep them quick and
//! the same on every run.

use std::fs;

use chrono::Datelike;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use tidings::cluster::ClusterParams;
use tidings::corpus::read_inputs;
use tidings::pipeline::{analyze, RunConfig, Settings};
use tidings::text::{Analyzer, Language};
use tidings::trends::{Bucket, Period, Trends};

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

    /// Any calendar date falls in a bucket that starts on or before it, within its period.
    #[test]
    fn every_date_falls_in_its_period(day in chrono::NaiveDate::MIN.num_days_from_ce()..=chrono::NaiveDate::MAX.num_days_from_ce(),
                                      period in prop::sample::select(&[Period::Day, Period::Week, Period::Month][..])) {
        let d = chrono::NaiveDate::from_num_days_from_ce_opt(day).unwrap();
        let start = Bucket::of(Some(d), period).start().unwrap();
        prop_assert!(start <= d);
        match period {
            Period::Day => prop_assert_eq!(start, d),
            Period::Week => prop_assert!((d - start).num_days() < 7),
            Period::Month => prop_assert_eq!((start.year(), start.month(), start.day()), (d.year(), d.month(), 1)),
        }
        let _ = Bucket::of(Some(d), period).to_string();
    }

    /// Counts per period add up to the articles, theme by theme; periods run in order with no
    /// gap from the first dated article to the last; undated articles have their own bucket.
    #[test]
    fn trend_counts_add_up(articles in prop::collection::vec((prop::option::of(0i64..4000), 0usize..4), 0..60),
                           period in prop::sample::select(&[Period::Day, Period::Week, Period::Month][..])) {
        let first = chrono::NaiveDate::from_ymd_opt(1999, 12, 1).unwrap();
        let dates: Vec<_> = articles.iter().map(|(d, _)| d.map(|d| first + chrono::Duration::days(d))).collect();
        let themes: Vec<usize> = articles.iter().map(|a| a.1).collect();
        let t = Trends::count(&dates, &themes, 4, period);
        for theme in 0..4 {
            let counted: usize = t.counts.iter().map(|c| c[theme]).sum();
            prop_assert_eq!(counted, themes.iter().filter(|&&x| x == theme).count());
        }
        let starts: Vec<_> = t.buckets.iter().filter_map(Bucket::start).collect();
        for pair in starts.windows(2) {
            let next = match period {
                Period::Day => pair[0] + chrono::Duration::days(1),
                Period::Week => pair[0] + chrono::Duration::days(7),
                Period::Month => pair[0] + chrono::Months::new(1),
            };
            prop_assert_eq!(pair[1], next);
        }
        let undated = t.buckets.iter().position(|b| *b == Bucket::Undated);
        prop_assert_eq!(undated.is_some(), dates.iter().any(Option::is_none));
        if let Some(u) = undated { prop_assert_eq!(u, t.buckets.len() - 1); }
    }
}

type Record = (Option<String>, Option<String>, Option<String>);

/// A missing field is an empty cell: CSV has no other way to say it.
fn write_csv(path: &std::path::Path, records: &[Record]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(["text", "date", "id"]).unwrap();
    for (text, date, id) in records {
        let cell = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([cell(text), cell(date), cell(id)]).unwrap();
    }
    w.flush().unwrap();
}

/// A missing field is a null.
fn write_parquet(path: &std::path::Path, records: &[Record]) {
    use polars::prelude::*;
    let column = |f: fn(&Record) -> Option<String>| records.iter().map(f).collect::<Vec<_>>();
    let mut df = df!(
        "text" => column(|r| r.0.clone()),
        "date" => column(|r| r.1.clone()),
        "id" => column(|r| r.2.clone()),
    )
    .unwrap();
    ParquetWriter::new(fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

proptest! {
    #![proptest_config(config(128))]

    /// Whole runs on arbitrary records (as JSON Lines, CSV or Parquet) beside twenty good
    /// articles: the run succeeds, and every record is clustered, a duplicate or a reject,
    /// whatever the dates (any year), texts, ids or periods.
    #[test]
    fn every_record_is_accounted_for(
        records in prop::collection::vec((prop::option::of(text()), date(), prop::option::of("[a-c~0-9]{1,3}")), 1..30),
        period in prop::sample::select(&[Period::Day, Period::Week, Period::Month][..]),
        k in 1usize..4,
        format in prop::sample::select(&["jsonl", "csv", "parquet"][..]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("good.jsonl");
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
        fs::write(&path, good).unwrap();
        let records_path = dir.path().join(format!("records.{format}"));
        match format {
            "jsonl" => fs::write(&records_path, lines).unwrap(),
            "csv" => write_csv(&records_path, &records),
            _ => write_parquet(&records_path, &records),
        }
        let config = RunConfig {
            inputs: vec![path, records_path],
            settings: Settings {
                period,
                dims: 4,
                cluster: ClusterParams { k: Some(k), n_runs: 2, ..ClusterParams::default() },
                ..Settings::default()
            },
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

/// A model fitted once on the sample, for the sequences of edits below.
fn fitted_model() -> &'static tidings::model::ThemeModel {
    static MODEL: std::sync::OnceLock<tidings::model::ThemeModel> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        let config = RunConfig {
            inputs: vec![crate::common::sample()],
            settings: Settings {
                cluster: ClusterParams {
                    k: Some(8),
                    ..ClusterParams::default()
                },
                ..Settings::default()
            },
            ..RunConfig::default()
        };
        analyze(&config).unwrap().model()
    })
}

proptest! {
    #![proptest_config(config(64))]

    /// Any sequence of renames, merges, drops and updates (articles joining themes, new
    /// themes added) keeps a model whole: ids unique and never reused, each edit changing
    /// only what it names, sizes growing by what joined, and every state saved and loaded
    /// back equal.
    #[test]
    fn edits_and_updates_in_any_order_keep_a_model_whole(
        ops in prop::collection::vec((0u8..4, 0usize..16, 0usize..16, 1usize..50), 1..24)
    ) {
        use tidings::model::{Joined, ThemeModel};
        let mut m = fitted_model().clone();
        let mut ever: std::collections::BTreeSet<usize> = m.themes.iter().map(|t| t.id).collect();
        for (step, &(op, a, b, n)) in ops.iter().enumerate() {
            let before = m.clone();
            let k = m.k();
            let (ia, ib) = (m.themes[a % k].id, m.themes[b % k].id);
            match op {
                0 => {
                    let name = format!("edit {step}");
                    m.rename(ia, &name).unwrap();
                    for (t, old) in m.themes.iter().zip(&before.themes) {
                        prop_assert_eq!(&t.name, if t.id == ia { &name } else { &old.name });
                    }
                    prop_assert!(m.ledger.undo.is_none());
                }
                1 if ia != ib => {
                    m.merge(&[ia, ib]).unwrap();
                    let total = before.themes[a % k].size + before.themes[b % k].size;
                    let kept = m.themes.iter().find(|t| t.id == ia).unwrap();
                    prop_assert_eq!(kept.size, total);
                    prop_assert!(m.themes.iter().all(|t| t.id != ib));
                    for t in m.themes.iter().filter(|t| t.id != ia) {
                        prop_assert_eq!(Some(t), before.themes.iter().find(|o| o.id == t.id));
                    }
                }
                2 if k > 1 => {
                    m.drop_theme(ia).unwrap();
                    prop_assert_eq!(m.k(), k - 1);
                    prop_assert!(m.themes.iter().all(|t| t.id != ia));
                }
                _ => {
                    // An update: n articles join theme a at its centroid, and a new theme forms.
                    let mut counts = vec![0; k];
                    counts[a % k] = n;
                    let mut sums = ndarray::Array2::<f64>::zeros((k, m.dims));
                    let centroid = ndarray::Array1::from(
                        m.centroids[(a % k) * m.dims..(a % k + 1) * m.dims].to_vec(),
                    );
                    sums.row_mut(a % k).assign(&(&centroid * n as f64));
                    m.absorb(&Joined { counts, sums });
                    prop_assert_eq!(m.themes[a % k].size, before.themes[a % k].size + n);
                    let mut fresh = before.themes[b % k].clone();
                    fresh.name = format!("new {step}");
                    fresh.size = n;
                    let c = centroid.to_vec();
                    let id = m.add_theme(fresh, &c);
                    prop_assert!(!ever.contains(&id), "id {} reused", id);
                }
            }
            let ids: std::collections::BTreeSet<usize> = m.themes.iter().map(|t| t.id).collect();
            prop_assert_eq!(ids.len(), m.k(), "ids unique");
            prop_assert!(ids.iter().all(|&i| i < m.next_id));
            ever.extend(ids);
            prop_assert!(ever.iter().all(|&i| i < m.next_id), "next id above every id given");
            let bytes = m.to_bytes().unwrap();
            prop_assert_eq!(&ThemeModel::from_bytes("m", &bytes).unwrap(), &m);
        }
    }
}
