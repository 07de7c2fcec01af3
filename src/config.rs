//! `tidings.toml`: every option the command line sets, plus custom stop words and phrases, so
//! a team can keep its settings next to its data. Found in the working directory or given
//! with `--config`; a flag given on the command line wins over the file, the file over the
//! built-in default.
//!
//! ```toml
//! k = 12
//! period = "day"
//! language = "english"
//! stop_words = ["asharq", "awsat"]
//! phrases = ["al-sharaa", "gaza strip", "hezbollah"]
//!
//! [names]            # theme id = name, over the generated one (and kept by `fit`)
//! 3 = "Gulf shipping"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use crate::fail;
use serde::Deserialize;

use crate::text::Language;
use crate::trends::Period;

pub const DEFAULT_FILE: &str = "tidings.toml";

/// The file's settings; every field optional. Unknown keys are an error (a typo should not
/// silently do nothing).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub out: Option<PathBuf>,
    pub k: Option<usize>,
    pub k_max: Option<usize>,
    pub seed: Option<u64>,
    pub period: Option<Period>,
    pub min_df: Option<usize>,
    pub max_df: Option<f64>,
    pub dims: Option<usize>,
    pub restarts: Option<usize>,
    pub algorithm: Option<crate::cluster::Algorithm>,
    pub keep_duplicates: Option<bool>,
    pub duplicate_threshold: Option<f64>,
    pub story_threshold: Option<f64>,
    pub story_window: Option<u32>,
    pub story_rejoin: Option<u32>,
    pub story_age: Option<u32>,
    pub text_field: Option<String>,
    pub title_field: Option<String>,
    pub date_field: Option<String>,
    pub date: Option<String>,
    pub max_distance: Option<f64>,
    pub label_field: Option<String>,
    pub bigrams: Option<bool>,
    pub language: Option<Language>,
    pub stop_words: Option<Vec<String>>,
    pub phrases: Option<Vec<String>>,
    /// Theme id (a TOML key is a string) → name.
    pub names: Option<BTreeMap<String, String>>,
    /// Themes the user declares (`[[theme]]`), each with seed terms.
    #[serde(default)]
    pub theme: Vec<SeedTheme>,
}

/// A theme declared before fitting: k-means starts one centroid from its terms, and the
/// theme keeps this name and its place (ids 0, 1, ... in the order declared).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTheme {
    pub name: String,
    pub terms: Vec<String>,
}

/// A file of `[[theme]]` entries only (`--themes FILE`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemesFile {
    #[serde(default)]
    theme: Vec<SeedTheme>,
}

/// Reads `--themes FILE`: `[[theme]]` entries with a `name` and `terms`.
pub fn load_seed_themes(path: &Path) -> Result<Vec<SeedTheme>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the themes file", path.display()))?;
    let file: ThemesFile = toml::from_str(&text)
        .with_context(|| format!("{}: invalid themes file", path.display()))?;
    check_seed_themes(&file.theme).with_context(|| path.display().to_string())?;
    if file.theme.is_empty() {
        fail!(Settings, "{}: no [[theme]] entries", path.display());
    }
    Ok(file.theme)
}

/// A theme name a user gives, trimmed: not empty, and not the name of the articles no theme
/// takes (a theme by that name would be counted as unassigned in a timeline).
pub fn check_theme_name(name: &str) -> std::result::Result<&str, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a theme name cannot be empty".into());
    }
    if name.eq_ignore_ascii_case(crate::pipeline::UNASSIGNED) {
        return Err(format!(
            "{name:?} is reserved for the articles no theme takes"
        ));
    }
    Ok(name)
}

/// Names present, unique and not empty; at least one term each.
pub fn check_seed_themes(seeds: &[SeedTheme]) -> Result<()> {
    for (i, s) in seeds.iter().enumerate() {
        if s.name.trim().is_empty() {
            fail!(Settings, "[[theme]] {}: the name is empty", i + 1);
        }
        if let Err(why) = check_theme_name(&s.name) {
            fail!(Settings, "[[theme]] {}: {why}", i + 1);
        }
        if s.terms.iter().all(|t| t.trim().is_empty()) {
            fail!(Settings, "[[theme]] {:?}: no terms", s.name);
        }
        if seeds[..i].iter().any(|o| o.name.trim() == s.name.trim()) {
            fail!(Settings, "[[theme]] {:?} is declared twice", s.name);
        }
    }
    Ok(())
}

impl FileConfig {
    /// The `[names]` table with its keys read as theme ids.
    pub fn theme_names(&self) -> Result<BTreeMap<usize, String>> {
        let mut out: BTreeMap<usize, String> = BTreeMap::new();
        for (key, name) in self.names.iter().flatten() {
            let Ok(id) = key.trim().parse::<usize>() else {
                fail!(
                    Settings,
                    "[names]: {key:?} is not a theme id (write `3 = \"Gulf shipping\"`)"
                );
            };
            let name = match check_theme_name(name) {
                Ok(name) => name,
                Err(why) => fail!(Settings, "[names] {id}: {why}"),
            };
            if let Some((other, _)) = out.iter().find(|(_, n)| n.as_str() == name) {
                fail!(
                    Settings,
                    "[names]: themes {other} and {id} are both called {name:?}; a name must \
                     tell one theme from the others"
                );
            }
            out.insert(id, name.to_string());
        }
        Ok(out)
    }

    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the config file", path.display()))?;
        let file: FileConfig =
            toml::from_str(&text).with_context(|| format!("{}: invalid config", path.display()))?;
        check_seed_themes(&file.theme).with_context(|| path.display().to_string())?;
        Ok(file)
    }

    /// `explicit` if given (it must exist), else `tidings.toml` in the working directory if
    /// there is one, else nothing.
    pub fn find(explicit: Option<&Path>) -> Result<(FileConfig, Option<PathBuf>)> {
        match explicit {
            Some(p) => Ok((Self::load(p)?, Some(p.to_path_buf()))),
            None if Path::new(DEFAULT_FILE).exists() => Ok((
                Self::load(Path::new(DEFAULT_FILE))?,
                Some(DEFAULT_FILE.into()),
            )),
            None => Ok((FileConfig::default(), None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_setting_and_rejects_typos() {
        let c: FileConfig = toml::from_str(
            "k = 12\nperiod = \"day\"\nlanguage = \"french\"\nmax_df = 0.7\n\
             stop_words = [\"asharq\"]\nphrases = [\"gaza strip\"]\nbigrams = false\n",
        )
        .unwrap();
        assert_eq!(c.k, Some(12));
        assert_eq!(c.period, Some(Period::Day));
        assert_eq!(c.language, Some(Language::French));
        assert_eq!(c.phrases.as_deref(), Some(&["gaza strip".to_string()][..]));
        assert_eq!(c.bigrams, Some(false));
        assert!(toml::from_str::<FileConfig>("kk = 3").is_err());

        let c: FileConfig =
            toml::from_str("k = 4\n[names]\n3 = \"Gulf shipping\"\n0 = \" Gaza famine \"\n")
                .unwrap();
        let names = c.theme_names().unwrap();
        assert_eq!(names[&3], "Gulf shipping");
        assert_eq!(names[&0], "Gaza famine");
        let bad: FileConfig = toml::from_str("[names]\ngulf = \"Gulf shipping\"\n").unwrap();
        assert!(bad
            .theme_names()
            .unwrap_err()
            .to_string()
            .contains("\"gulf\""));
        let empty: FileConfig = toml::from_str("[names]\n2 = \"\"\n").unwrap();
        assert!(empty.theme_names().is_err());
    }
}
