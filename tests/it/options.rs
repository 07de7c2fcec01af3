//! Each option is defined once, as a flag of `tidings run` with its default in `Settings`;
//! the other places that name it (the help's "[default: …]", `tidings.toml`, Python's
//! `run()`, the README's table) are checked against those two here, so none can drift.

use std::collections::{BTreeMap, BTreeSet};

use clap::CommandFactory;
use serde::de::{self, Deserialize, Visitor};
use tidings::cli::{Cli, DEFAULT_OUT};
use tidings::config::FileConfig;
use tidings::settings::Settings;

use crate::common::repo;

/// The flags of `tidings run` (long names) with their help text.
fn flags() -> BTreeMap<String, String> {
    let cli = Cli::command();
    let run = cli.find_subcommand("run").expect("tidings run");
    run.get_arguments()
        .filter_map(|a| {
            let help = a.get_long_help().or(a.get_help())?.to_string();
            Some((a.get_long()?.to_string(), help))
        })
        .collect()
}

/// What the user gets when they give no value: the defaults the run uses.
fn defaults() -> BTreeMap<&'static str, String> {
    let s = Settings::default();
    let dedup = s
        .dedup
        .clone()
        .expect("duplicates are set aside by default");
    BTreeMap::from([
        ("out", DEFAULT_OUT.to_string()),
        ("k-max", s.cluster.k_max.to_string()),
        ("seed", s.cluster.seed.to_string()),
        ("period", s.period.to_string()),
        ("min-df", s.tfidf.min_df.to_string()),
        ("max-df", s.tfidf.max_df.to_string()),
        ("dims", s.dims.to_string()),
        ("restarts", s.cluster.n_runs.to_string()),
        ("duplicate-threshold", dedup.threshold.to_string()),
        ("story-threshold", s.stories.threshold.to_string()),
        ("story-window", s.stories.window_days.to_string()),
        ("story-rejoin", s.stories.rejoin_days.to_string()),
        ("story-age", s.stories.age_days.to_string()),
        ("text-field", s.read.text_field.clone()),
        ("title-field", s.read.title_field.clone()),
        ("date-field", s.read.date_field.clone()),
        (
            "language",
            format!("{:?}", s.language).to_lowercase(), // clap's and serde's spelling
        ),
    ])
}

#[test]
fn the_help_shows_the_defaults_the_run_uses() {
    let flags = flags();
    for (flag, value) in defaults() {
        let help = &flags[flag];
        assert!(
            help.contains(&format!("[default: {value}")),
            "--{flag}: help {help:?} does not show the default {value}"
        );
    }
}

/// Collects the field names a struct deserializes (serde hands them to the deserializer).
struct FieldNames(Vec<&'static str>);

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = de::value::Error;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only structs"))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields.to_vec();
        Err(de::Error::custom("names taken"))
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// A flag's name as a `tidings.toml` key and a Python keyword.
fn key(flag: &str) -> String {
    match flag {
        "no-bigrams" => "bigrams".into(),
        "stop-word" => "stop_words".into(),
        "phrase" => "phrases".into(),
        other => other.replace('-', "_"),
    }
}

#[test]
fn every_flag_is_a_config_key_and_every_key_a_flag() {
    let mut names = FieldNames(Vec::new());
    assert!(FileConfig::deserialize(&mut names).is_err());
    let file: BTreeSet<String> = names.0.iter().map(|s| s.to_string()).collect();
    // Where the file is read from, the model a run uses, and how the run talks are not
    // settings of the file; `[[theme]]` is `--themes FILE`'s list, `[names]` has no flag
    // (Python's `names=`).
    let not_in_file = ["config", "model", "quiet", "json"];
    let from_flags: BTreeSet<String> = flags()
        .keys()
        .filter(|f| !not_in_file.contains(&f.as_str()))
        .map(|f| {
            if f == "themes" {
                "theme".into()
            } else {
                key(f)
            }
        })
        .collect();
    let mut file_only = file.clone();
    file_only.retain(|k| !from_flags.contains(k));
    assert_eq!(file_only, BTreeSet::from(["names".to_string()]));
    let missing: Vec<_> = from_flags.difference(&file).collect();
    assert!(
        missing.is_empty(),
        "flags with no tidings.toml key: {missing:?}"
    );
}

#[test]
fn every_flag_is_a_python_keyword() {
    let source = std::fs::read_to_string(repo().join("python/tidings/__init__.py")).unwrap();
    let start = source.find("\ndef run(").expect("tidings.run") + 1;
    let end = start + source[start..].find(") -> Result:").unwrap();
    let keywords: BTreeSet<String> = source[start..end]
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().split(':').next())
        .filter(|k| !k.is_empty() && !k.starts_with('*'))
        .map(str::to_string)
        .collect();
    // Python returns tables instead of writing them, and warns instead of printing.
    let not_in_python = ["out", "quiet", "json"];
    let from_flags: BTreeSet<String> = flags()
        .keys()
        .filter(|f| !not_in_python.contains(&f.as_str()))
        .map(|f| key(f))
        .collect();
    let missing: Vec<_> = from_flags.difference(&keywords).collect();
    assert!(
        missing.is_empty(),
        "flags that tidings.run() lacks: {missing:?}"
    );
    // Beyond the flags: the data, an in-memory table's name, names and verbosity.
    let extra: BTreeSet<&str> = keywords
        .iter()
        .filter(|k| !from_flags.contains(*k))
        .map(String::as_str)
        .collect();
    assert_eq!(extra, BTreeSet::from(["data", "name", "names", "verbose"]));
}

#[test]
fn the_readme_option_table_names_real_flags_and_their_defaults() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let flags = flags();
    let defaults = defaults();
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| option | default |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(rows.len() >= 10, "the README's option table");
    let mut checked = 0;
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (options, default) = (cells[1], cells[2]);
        let named: Vec<&str> = options
            .split('`')
            .filter_map(|o| o.split_whitespace().find_map(|w| w.strip_prefix("--")))
            .collect();
        assert!(!named.is_empty(), "README row names no flag: {row}");
        let values: Vec<&str> = default.split(", ").collect();
        for (i, flag) in named.iter().enumerate() {
            assert!(
                flags.contains_key(*flag),
                "README names --{flag}, no such flag"
            );
            if let Some(value) = defaults.get(flag) {
                let shown = values.get(i).copied().unwrap_or(default).trim_matches('`');
                assert_eq!(shown, value, "README's default of --{flag}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 6, "defaults checked: {checked}");
}
