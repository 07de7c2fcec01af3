//! Timeline: many weekly runs against one model, read back from their output folders
//! (`theme_counts.parquet`, `themes.parquet`) and laid end to end, so a theme can be followed
//! over months: its counts and shares per period, when it was born, whether it rose, fell or
//! faded.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use crate::fail;
use chrono::NaiveDate;
use polars::prelude::{Column, DataFrame, DataType, ParquetReader, SerReader};

use crate::output::layout::{STORIES, THEMES, THEME_COUNTS};
use crate::pipeline::UNASSIGNED;

/// One period of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub label: String,
    pub start: NaiveDate,
    /// The output folder it came from.
    pub run: PathBuf,
    /// Articles per theme id (`None`: the unassigned).
    pub counts: BTreeMap<Option<i64>, i64>,
}

impl Period {
    pub fn total(&self) -> i64 {
        self.counts.values().sum()
    }
}

/// What the timeline knows of a theme: its latest name and its birth.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeInfo {
    pub name: String,
    pub born: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// In time order, each period from exactly one run.
    pub periods: Vec<Period>,
    /// Every theme seen in any run, by id.
    pub themes: BTreeMap<i64, ThemeInfo>,
    /// Articles without a date, per run: they have no place on the time axis.
    pub undated: Vec<(PathBuf, i64)>,
    /// The stories of the runs (none from runs of an older tidings), by id.
    pub stories: Vec<StoryLine>,
}

/// A story across the runs of one model (a model carries open stories from run to run, so a
/// story that goes on keeps its id): its name, first and last day, and articles per run in
/// run order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryLine {
    pub id: i64,
    pub name: String,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    pub per_run: Vec<i64>,
}

impl StoryLine {
    pub fn articles(&self) -> i64 {
        self.per_run.iter().sum()
    }

    /// Days from its first report to its last.
    pub fn days(&self) -> i64 {
        match (self.first, self.last) {
            (Some(f), Some(l)) => (l - f).num_days() + 1,
            _ => 0,
        }
    }
}

impl Timeline {
    /// Reads the output folders of successive runs (in any order: periods are sorted). A
    /// period found in two folders is an error naming both; a theme's name is the one of the
    /// latest run that has it (a rename shows from then on).
    pub fn read(runs: &[PathBuf]) -> Result<Timeline> {
        if runs.is_empty() {
            fail!(Input, "no run folders given");
        }
        let mut periods: BTreeMap<NaiveDate, Period> = BTreeMap::new();
        let mut themes: BTreeMap<i64, (NaiveDate, ThemeInfo)> = BTreeMap::new();
        let mut undated = Vec::new();
        let mut kind: Option<(&'static str, &PathBuf)> = None;
        let mut model: Option<(String, &PathBuf)> = None;
        // Runs in the order of their latest period, for the stories' articles per run.
        let mut by_start: Vec<(NaiveDate, &PathBuf)> = Vec::new();
        for run in runs {
            let (run_periods, run_undated) = read_counts(run)?;
            // Days, weeks and months on one axis would read as one series of periods.
            for p in &run_periods {
                let k = period_kind(&p.label);
                match kind {
                    Some((first, other)) if first != k => fail!(
                        Input,
                        "{} counts by {k} and {} by {first}: a timeline lays periods of one \
                         kind end to end; run them with the same `period`",
                        run.display(),
                        other.display()
                    ),
                    Some(_) => {}
                    None => kind = Some((k, run)),
                }
            }
            let latest = run_periods.iter().map(|p| p.start).max();
            for p in run_periods {
                if let Some(other) = periods.get(&p.start) {
                    fail!(
                        Input,
                        "period {} is in both {} and {}: give each period's run once",
                        p.label,
                        other.run.display(),
                        run.display()
                    );
                }
                periods.insert(p.start, p);
            }
            if run_undated > 0 {
                undated.push((run.clone(), run_undated));
            }
            let when = latest.unwrap_or(NaiveDate::MIN);
            by_start.push((when, run));
            let (run_themes, run_model) = read_themes(run)?;
            // Theme 0 of one model is not theme 0 of another.
            if let Some(id) = run_model {
                match &model {
                    Some((first, other)) if *first != id => fail!(
                        Input,
                        "{} is a run of model {id} and {} of model {first}: a timeline follows \
                         the themes of one model",
                        run.display(),
                        other.display()
                    ),
                    Some(_) => {}
                    None => model = Some((id, run)),
                }
            }
            for (id, info) in run_themes {
                match themes.get(&id) {
                    Some((seen, _)) if *seen > when => {}
                    _ => {
                        themes.insert(id, (when, info));
                    }
                }
            }
        }
        if periods.is_empty() {
            fail!(Input, "no dated articles in {} runs", runs.len());
        }
        by_start.sort();
        let mut stories: BTreeMap<i64, StoryLine> = BTreeMap::new();
        for (r, (_, run)) in by_start.iter().enumerate() {
            for (id, name, articles, first, last) in read_stories(run)? {
                let line = stories.entry(id).or_insert_with(|| StoryLine {
                    id,
                    name,
                    first,
                    last,
                    per_run: vec![0; by_start.len()],
                });
                line.per_run[r] += articles;
                line.first = match (line.first, first) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                line.last = line.last.max(last);
            }
        }
        Ok(Timeline {
            stories: stories.into_values().collect(),
            periods: periods.into_values().collect(),
            themes: themes
                .into_iter()
                .map(|(id, (_, info))| (id, info))
                .collect(),
            undated,
        })
    }

    /// `count` of theme `id` (`None`: the unassigned) in period `p`, 0 when absent.
    pub fn count(&self, p: usize, id: Option<i64>) -> i64 {
        self.periods[p].counts.get(&id).copied().unwrap_or(0)
    }

    pub fn share(&self, p: usize, id: Option<i64>) -> f64 {
        let total = self.periods[p].total();
        if total == 0 {
            0.0
        } else {
            self.count(p, id) as f64 / total as f64
        }
    }

    /// Theme ids (and the unassigned, `None`, last if any) over the whole window.
    pub fn ids(&self) -> Vec<Option<i64>> {
        let mut ids: Vec<Option<i64>> = self.themes.keys().map(|&i| Some(i)).collect();
        if self.periods.iter().any(|p| p.counts.contains_key(&None)) {
            ids.push(None);
        }
        ids
    }

    pub fn name(&self, id: Option<i64>) -> String {
        match id {
            Some(i) => self
                .themes
                .get(&i)
                .map_or_else(|| format!("theme {i}"), |t| t.name.clone()),
            None => UNASSIGNED.to_string(),
        }
    }

    /// The period a theme was born in, when that is inside the window after its first
    /// period (a theme born where the window starts was there all along).
    pub fn birth_in_window(&self, id: i64) -> Option<usize> {
        let born = self.themes.get(&id)?.born.as_deref()?;
        let first = born.split("..").next()?;
        let p = self.periods.iter().position(|p| p.label == first)?;
        (p > 0).then_some(p)
    }
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .with_context(|| format!("{}: not a readable Parquet table", path.display()))
}

fn column<'a>(df: &'a DataFrame, path: &Path, name: &str) -> Result<&'a Column> {
    df.column(name).with_context(|| {
        format!(
            "{}: no `{name}` column; is this a tidings output folder?",
            path.display()
        )
    })
}

/// Column `name` of the table at `path` as 64-bit integers, whatever integer type it was
/// written with (a table from another tool may hold 32-bit ids and counts).
fn int64_column(df: &DataFrame, path: &Path, name: &str) -> Result<polars::prelude::Int64Chunked> {
    Ok(column(df, path, name)?
        .cast(&DataType::Int64)
        .with_context(|| format!("{}: `{name}` is not an integer column", path.display()))?
        .i64()?
        .clone())
}

/// A run's dated periods and its undated article count.
fn read_counts(run: &Path) -> Result<(Vec<Period>, i64)> {
    let path = run.join(THEME_COUNTS);
    let df = read_parquet(&path)?;
    let label = column(&df, &path, "period")?.str()?.clone();
    let start = column(&df, &path, "period_start")?
        .cast(&DataType::Int32)?
        .i32()?
        .clone();
    // Any integer type: a table written by another tool may hold 32-bit ids and counts.
    let id = int64_column(&df, &path, "theme_id")?;
    let name = column(&df, &path, "theme_label")?.str()?.clone();
    let count = int64_column(&df, &path, "count")?;
    let epoch = NaiveDate::default() /* 1970-01-01 */;
    let mut periods: BTreeMap<NaiveDate, Period> = BTreeMap::new();
    let mut undated = 0;
    for row in 0..df.height() {
        let n = count.get(row).unwrap_or(0);
        let theme = match name.get(row) {
            Some(UNASSIGNED) => None,
            _ => id.get(row),
        };
        let Some(days) = start.get(row) else {
            undated += n;
            continue;
        };
        let start = epoch + chrono::Duration::days(days.into());
        let period = periods.entry(start).or_insert_with(|| Period {
            label: label.get(row).unwrap_or_default().to_string(),
            start,
            run: run.to_path_buf(),
            counts: BTreeMap::new(),
        });
        *period.counts.entry(theme).or_insert(0) += n;
    }
    Ok((periods.into_values().collect(), undated))
}

/// A run's stories: id, name, articles, first day (of the story, across runs) and last day;
/// none when the run wrote no stories (an older tidings).
type RunStories = Vec<(i64, String, i64, Option<NaiveDate>, Option<NaiveDate>)>;

fn read_stories(run: &Path) -> Result<RunStories> {
    let path = run.join(STORIES);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let df = read_parquet(&path)?;
    let id = int64_column(&df, &path, "story_id")?;
    let name = column(&df, &path, "name")?.str()?.clone();
    let articles = int64_column(&df, &path, "articles")?;
    let day = |name: &str| -> Result<polars::prelude::Int32Chunked> {
        Ok(column(&df, &path, name)?
            .cast(&DataType::Int32)?
            .i32()?
            .clone())
    };
    let first = match df.column("story_first_date") {
        Ok(_) => day("story_first_date")?,
        Err(_) => day("first_date")?,
    };
    let last = day("last_date")?;
    let date = |d: Option<i32>| d.map(crate::corpus::from_day_number);
    Ok((0..df.height())
        .filter_map(|r| {
            Some((
                id.get(r)?,
                name.get(r)?.to_string(),
                articles.get(r).unwrap_or(0),
                date(first.get(r)),
                date(last.get(r)),
            ))
        })
        .collect())
}

/// A run's themes by id.
type RunThemes = Vec<(i64, ThemeInfo)>;

/// The themes of a run, and the identity of the model they belong to (none from a run of an
/// older tidings).
fn read_themes(run: &Path) -> Result<(RunThemes, Option<String>)> {
    let path = run.join(THEMES);
    let df = read_parquet(&path)?;
    let model = df
        .column("model")
        .ok()
        .and_then(|c| c.str().ok().and_then(|s| s.get(0).map(str::to_string)));
    let id = int64_column(&df, &path, "theme_id")?;
    let name = column(&df, &path, "name")?.str()?.clone();
    // Runs of older tidings wrote no `born`.
    let born = df.column("born").ok().and_then(|c| c.str().ok().cloned());
    let themes = (0..df.height())
        .filter(|&r| name.get(r) != Some(UNASSIGNED))
        .filter_map(|r| {
            Some((
                id.get(r)?,
                ThemeInfo {
                    name: name.get(r)?.to_string(),
                    born: born.as_ref().and_then(|b| b.get(r)).map(str::to_string),
                },
            ))
        })
        .collect();
    Ok((themes, model))
}

/// The kind of a period label: `1987-W12` a week, `1987-03-16` a day, `1987-03` a month.
fn period_kind(label: &str) -> &'static str {
    if label.contains("-W") {
        "week"
    } else if label.matches('-').count() == 2 {
        "day"
    } else {
        "month"
    }
}

/// What moved over the window, for `timeline.md`: the themes whose share rose or fell most
/// between the window's first and second half, the themes born in it, and those that had
/// articles and then none in its last period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Movers {
    /// (theme id, change in mean share, percentage points), largest change first.
    pub rose: Vec<(i64, f64)>,
    pub fell: Vec<(i64, f64)>,
    /// (theme id, period index).
    pub born: Vec<(i64, usize)>,
    pub faded: Vec<i64>,
}

/// A change in mean share smaller than this (percentage points) is not called a rise or fall.
pub const MOVE_POINTS: f64 = 1.0;

impl Timeline {
    pub fn movers(&self) -> Movers {
        let n = self.periods.len();
        let half = n / 2;
        let mean = |id: i64, range: std::ops::Range<usize>| {
            let len = range.len().max(1) as f64;
            range.map(|p| self.share(p, Some(id))).sum::<f64>() / len
        };
        let mut changes: Vec<(i64, f64)> = if n < 2 {
            Vec::new()
        } else {
            self.themes
                .keys()
                .map(|&id| (id, 100.0 * (mean(id, half..n) - mean(id, 0..half))))
                .collect()
        };
        changes.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let rose = changes
            .iter()
            .filter(|c| c.1 >= MOVE_POINTS)
            .take(5)
            .copied()
            .collect();
        let fell = changes
            .iter()
            .rev()
            .filter(|c| c.1 <= -MOVE_POINTS)
            .take(5)
            .copied()
            .collect();
        let born = self
            .themes
            .keys()
            .filter_map(|&id| self.birth_in_window(id).map(|p| (id, p)))
            .collect();
        let faded = self
            .themes
            .keys()
            .copied()
            .filter(|&id| {
                n >= 2
                    && self.count(n - 1, Some(id)) == 0
                    && (0..n - 1).any(|p| self.count(p, Some(id)) > 0)
            })
            .collect();
        Movers {
            rose,
            fell,
            born,
            faded,
        }
    }

    /// Dated articles over the whole window.
    pub fn total(&self) -> i64 {
        self.periods.iter().map(Period::total).sum()
    }

    /// Runs whose periods are in the window, in time order, without repeats.
    pub fn runs(&self) -> Vec<&Path> {
        let mut seen = BTreeSet::new();
        self.periods
            .iter()
            .map(|p| p.run.as_path())
            .filter(|r| seen.insert(*r))
            .collect()
    }
}
