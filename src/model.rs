//! Saved theme models, so theme ids and names stay the same from week to week: `tidings fit`
//! saves the vocabulary, IDF weights, LSA projection, centroids, names and labels; `tidings run
//! --model` assigns new articles to those themes instead of refitting.
//!
//! File format (version 6: the ledger and the open stories follow the model; version 4 had
//! neither; version 3 numbered themes by position, with no birth periods;
//! version 2 had no theme names, version 1 held loadings for every vocabulary term): the 8 bytes
//! `TIDINGSM`, a little-endian `u32` format version, then the [`ThemeModel`] encoded with
//! bincode 1 (serde). A file of another version is refused with a clear error rather than
//! misread.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Context, Error, Result};
use crate::fail;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::cluster::{nearest_centroids, ClusterParams, Clustering, KChoice};
use crate::reduce::Lsa;
use crate::stories::Threads;
use crate::text::{Analyzer, Language};
use crate::vectorize::TfidfModel;

pub const MAGIC: &[u8; 8] = b"TIDINGSM";
/// Version 5 added the ledger after the model, version 6 the open stories after the ledger;
/// older files load with an empty ledger and no stories.
pub const FORMAT_VERSION: u32 = 6;
const OLDEST_READ: u32 = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedTheme {
    /// Never changes and is never reused: edits (merge, drop) leave gaps, new themes take
    /// [`ThemeModel::next_id`].
    pub id: usize,
    /// As generated, or as the user set it (`[names]` in tidings.toml when fitting): a later
    /// run with the model shows this name.
    pub name: String,
    pub label: String,
    pub top_terms: Vec<String>,
    pub size: usize,
    /// The periods of the articles the theme was found in (`1987-W10..1987-W11`).
    pub born: String,
    /// How far its articles lie from its centroid: the mean, and the 95th percentile. An
    /// article beyond its nearest theme's `radius` is new to the model (see [`ThemeModel::grow`]).
    pub spread: f64,
    pub radius: f64,
}

/// When `tidings update` makes a new theme: the articles farther from their nearest theme
/// than its `radius` are clustered among themselves, and a group becomes a theme when it has
/// at least [`NEW_THEME_MIN_ARTICLES`] articles and [`NEW_THEME_MIN_SHARE`] of the week, and
/// is as tight as a typical theme: its mean distance to its centroid at most the median
/// `spread` of the model's themes. The minimum share is low because a week's novel articles
/// are only a few percent of it: on Reuters a 1% minimum let no real new subject through.
pub const NEW_THEME_MIN_ARTICLES: usize = 5;
pub const NEW_THEME_MIN_SHARE: f64 = 0.004;
/// Articles' worth of the model's median radius a theme's own radius is blended with when it
/// tells novel articles (see [`ThemeModel::novelty_radii`]): a theme of a dozen articles is
/// held mostly to the median, one of hundreds to its own.
pub const RADIUS_PRIOR: f64 = 20.0;
/// At most this many new themes from one update, however many groups qualify.
pub const NEW_THEMES_MAX: usize = 5;
/// How far an existing theme's centroid may move in one update: toward the mean of its new
/// articles as a running mean would (by their share of all the articles it has held), but
/// never by more than this fraction of its `radius`.
pub const CENTROID_STEP: f64 = 0.25;

/// What [`ThemeModel::grow`] found: the clustering of the new articles (saved themes first,
/// then the new ones, then the unassigned), how many new themes it holds, and what the
/// articles that joined saved themes add to them.
pub struct Growth {
    pub clustering: Clustering,
    pub new_themes: usize,
    pub joined: Joined,
}

/// The articles of a run that joined each saved theme: how many, and the sum of their
/// vectors, from which [`ThemeModel::absorb`] steps the theme's centroid.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    pub counts: Vec<usize>,
    /// k × dims.
    pub sums: Array2<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeModel {
    pub language: Language,
    pub stop_words: Vec<String>,
    pub phrases: Vec<String>,
    pub vocabulary: Vec<String>,
    pub idf: Vec<f64>,
    pub df: Vec<usize>,
    pub n_docs: usize,
    pub sublinear_tf: bool,
    pub bigrams: bool,
    /// Vocabulary columns that have LSA loadings, ascending.
    pub lsa_columns: Vec<u32>,
    /// Their loadings, `lsa_columns.len()` × dims, row-major (empty when fitted without LSA).
    pub lsa_components: Vec<f64>,
    pub lsa_dims: usize,
    pub singular_values: Vec<f64>,
    /// Centroids in the order of `themes`, k × dims, row-major.
    pub centroids: Vec<f64>,
    pub dims: usize,
    /// In ascending id order.
    pub themes: Vec<SavedTheme>,
    /// The id the next new theme gets: above every id the model ever gave.
    pub next_id: usize,
    /// Distance beyond which an article is unassigned: by default the largest distance of any
    /// fitted article to its centroid, so every article the model was fitted on is assigned
    /// and only articles unlike all of them are not.
    pub max_distance: f64,
    /// Vocabulary coverage below which an article is unassigned: the lowest of any fitted
    /// article (see [`crate::vectorize::TfidfModel::counts_and_coverage`]).
    pub min_coverage: f64,
    pub seed: u64,
    /// What the model has absorbed; stored after the model in the file (format 5).
    #[serde(skip)]
    pub ledger: Ledger,
    /// The stories still open after its last fit or update, so the next run continues them;
    /// stored after the ledger (format 6).
    #[serde(skip)]
    pub threads: Threads,
}

/// What a model has absorbed, fit and updates in order: so a week is counted once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// The model's identity, given at its fit (a hash of what it was fitted on and how) and
    /// kept through updates and edits: every run against the model writes it into
    /// `themes.parquet`, so a timeline can refuse runs of different models. 0: unknown (a
    /// model saved before the ledger).
    pub id: u64,
    pub entries: Vec<Absorbed>,
    /// The model as it was before the last update, so that `update --replace` can re-do that
    /// update exactly; none after an edit (which the undo would lose).
    pub undo: Option<Undo>,
}

/// One fit or update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Absorbed {
    /// `fit` or `update`.
    pub kind: String,
    /// The periods of its articles (`1987-W12`, `1987-W10..1987-W11`).
    pub periods: String,
    /// The days its dated articles fell on, days since 1970-01-01, ascending.
    pub days: Vec<i32>,
    pub articles: usize,
    /// A hash of its articles' ids and titles, in order: the same input gives the same one.
    pub fingerprint: u64,
    pub inputs: Vec<String>,
    /// When it was absorbed (UTC, RFC 3339).
    pub at: String,
}

/// The parts of a model an update changes, as they were before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Undo {
    pub centroids: Vec<f64>,
    pub themes: Vec<SavedTheme>,
    pub next_id: usize,
    /// The open stories; stored after the model's own threads (format 6), not in the ledger,
    /// so that version 5 ledgers read unchanged.
    #[serde(skip)]
    pub threads: Threads,
}

/// More than this share of an update's dated articles on days the model has absorbed is the
/// same week again, refused; fewer are late arrivals, counted with a warning.
pub const SAME_PERIOD_SHARE: f64 = 0.5;

/// Whether `absorbed` of `total` is the same period again (more than [`SAME_PERIOD_SHARE`]).
pub fn mostly_absorbed(absorbed: usize, total: usize) -> bool {
    absorbed as f64 > SAME_PERIOD_SHARE * total as f64
}

impl Ledger {
    /// How many of `days` (an update's articles' days) fall on absorbed days, and the entry
    /// the first of them was absorbed in.
    pub fn overlap(&self, days: &[i32]) -> (usize, Option<&Absorbed>) {
        let mut first = None;
        let mut total = 0;
        for d in days {
            let hit = self
                .entries
                .iter()
                .find(|e| e.days.binary_search(d).is_ok());
            if let Some(e) = hit {
                total += 1;
                first = first.or(Some(e));
            }
        }
        (total, first)
    }
}

impl ThemeModel {
    /// The position of theme `id` (its row of centroids), or an error listing the ids there are.
    fn position(&self, id: usize) -> Result<usize> {
        self.themes.iter().position(|t| t.id == id).ok_or_else(|| {
            let ids: Vec<String> = self.themes.iter().map(|t| t.id.to_string()).collect();
            Error::Model(format!(
                "no theme {id} in the model (its themes: {})",
                ids.join(", ")
            ))
        })
    }

    /// Gives theme `id` a name of the user's, kept from then on.
    pub fn rename(&mut self, id: usize, name: &str) -> Result<()> {
        let name = crate::config::check_theme_name(name).map_err(Error::Model)?;
        let p = self.position(id)?;
        if let Some(other) = self.themes.iter().find(|t| t.id != id && t.name == name) {
            fail!(Model, "theme {} is already called {name:?}", other.id);
        }
        self.themes[p].name = name.to_string();
        // An undo of the last update would take this edit back with it.
        self.ledger.undo = None;
        Ok(())
    }

    /// Makes one theme of `ids`: it keeps the first id (and its name and birth), its
    /// centroid is the mean of theirs weighted by their sizes, its terms are theirs taken in
    /// turn, largest theme first. The other ids are gone for good; no other theme changes.
    pub fn merge(&mut self, ids: &[usize]) -> Result<()> {
        let mut positions = Vec::with_capacity(ids.len());
        for &id in ids {
            let p = self.position(id)?;
            if positions.contains(&p) {
                fail!(Model, "theme {id} is listed twice");
            }
            positions.push(p);
        }
        if positions.len() < 2 {
            fail!(Model, "merging needs at least two themes");
        }
        let d = self.dims;
        let total: usize = positions.iter().map(|&p| self.themes[p].size).sum();
        let mut centroid = vec![0.0; d];
        for &p in &positions {
            // Themes of no article still count, equally, rather than divide by zero.
            let w = if total == 0 {
                1.0 / positions.len() as f64
            } else {
                self.themes[p].size as f64 / total as f64
            };
            for (c, x) in centroid.iter_mut().zip(&self.centroids[p * d..(p + 1) * d]) {
                *c += w * x;
            }
        }
        let mut by_size = positions.clone();
        by_size.sort_by_key(|&p| std::cmp::Reverse(self.themes[p].size));
        let mut terms: Vec<String> = Vec::new();
        let longest = by_size
            .iter()
            .map(|&p| self.themes[p].top_terms.len())
            .max();
        for i in 0..longest.unwrap_or(0) {
            for &p in &by_size {
                if let Some(t) = self.themes[p].top_terms.get(i) {
                    if !terms.contains(t) {
                        terms.push(t.clone());
                    }
                }
            }
        }
        terms.truncate(crate::themes::TOP_TERMS);
        let keep = positions[0];
        self.centroids[keep * d..(keep + 1) * d].copy_from_slice(&centroid);
        let kept = &mut self.themes[keep];
        kept.size = total;
        kept.label = crate::themes::label_from(&terms);
        kept.top_terms = terms;
        let mut gone = positions[1..].to_vec();
        gone.sort_unstable();
        for &p in gone.iter().rev() {
            self.remove(p);
        }
        // An undo of the last update would take this edit back with it.
        self.ledger.undo = None;
        Ok(())
    }

    /// Removes theme `id`: its articles go to the nearest other theme, or are unassigned.
    pub fn drop_theme(&mut self, id: usize) -> Result<()> {
        let p = self.position(id)?;
        if self.themes.len() == 1 {
            fail!(
                Model,
                "theme {id} is the model's only theme; a model needs at least one"
            );
        }
        self.remove(p);
        // An undo of the last update would take this edit back with it.
        self.ledger.undo = None;
        Ok(())
    }

    fn remove(&mut self, p: usize) {
        self.themes.remove(p);
        self.centroids.drain(p * self.dims..(p + 1) * self.dims);
    }

    /// Assigns new articles as [`ThemeModel::assign`] does, but lets new themes form from
    /// the articles the model does not cover (the rule is at [`NEW_THEME_MIN_ARTICLES`]).
    pub fn grow(
        &self,
        x: ArrayView2<f64>,
        coverage: &[f64],
        max_distance: f64,
        cluster: &ClusterParams,
    ) -> Result<Growth> {
        let (centroids, nearest, distances) = self.nearest(x)?;
        let radii = self.novelty_radii();
        let novel: Vec<usize> = (0..x.nrows())
            .filter(|&i| distances[i] > radii[nearest[i]])
            .collect();
        let base = self.unassign(centroids, nearest, distances, coverage, max_distance);
        let k = self.k();
        let min_size =
            NEW_THEME_MIN_ARTICLES.max((NEW_THEME_MIN_SHARE * x.nrows() as f64).ceil() as usize);
        let mut spreads: Vec<f64> = self.themes.iter().map(|t| t.spread).collect();
        spreads.sort_by(f64::total_cmp);
        let tight = spreads[spreads.len() / 2];
        let mut groups: Vec<(Vec<usize>, Array1<f64>)> = Vec::new();
        if novel.len() >= min_size {
            let rows = x.select(Axis(0), &novel);
            let params = ClusterParams {
                k: (novel.len() < 2 * min_size).then_some(1),
                k_max: cluster
                    .k_max
                    .min(novel.len() / NEW_THEME_MIN_ARTICLES)
                    .max(2),
                ..cluster.clone()
            };
            let found = params.check(novel.len())?.fit(rows.view())?;
            let mut found: Vec<(Vec<usize>, Array1<f64>)> = (0..found.k)
                .map(|g| {
                    let members = (0..novel.len())
                        .filter(|&i| found.assignments[i] == g)
                        .map(|i| novel[i])
                        .collect();
                    (members, found.centroids.row(g).to_owned())
                })
                .filter(|(members, _): &(Vec<usize>, _)| !members.is_empty())
                .collect();
            // Groups closer to each other than a typical theme's spread are one subject that
            // k-means split: join them (centroids weighted by size).
            let mut i = 0;
            while i < found.len() {
                let mut j = i + 1;
                while j < found.len() {
                    let gap = &found[i].1 - &found[j].1;
                    if gap.dot(&gap).sqrt() < tight {
                        let (members, centroid) = found.remove(j);
                        let (ni, nj) = (found[i].0.len() as f64, members.len() as f64);
                        found[i].1 = (&found[i].1 * ni + &centroid * nj) / (ni + nj);
                        found[i].0.extend(members);
                        found[i].0.sort_unstable();
                    } else {
                        j += 1;
                    }
                }
                i += 1;
            }
            for (members, centroid) in found {
                let mean = members
                    .iter()
                    .map(|&i| {
                        let d = &x.row(i) - &centroid;
                        d.dot(&d).sqrt()
                    })
                    .sum::<f64>()
                    / members.len() as f64;
                if members.len() >= min_size && mean <= tight {
                    groups.push((members, centroid));
                }
            }
        }
        // The largest groups, in a fixed order (size, then first article).
        groups.sort_by_key(|(m, _)| (std::cmp::Reverse(m.len()), m[0]));
        groups.truncate(NEW_THEMES_MAX);
        let mut clustering = base;
        let m = groups.len();
        let d = self.dims;
        let mut centroids = Array2::zeros((k + m, d));
        centroids
            .slice_mut(ndarray::s![..k, ..])
            .assign(&clustering.centroids);
        // The unassigned move past the new themes, which then take their articles.
        for a in clustering.assignments.iter_mut() {
            if *a == k {
                *a = k + m;
            }
        }
        for (j, (members, centroid)) in groups.iter().enumerate() {
            centroids.row_mut(k + j).assign(centroid);
            for &i in members {
                clustering.assignments[i] = k + j;
                let diff = &x.row(i) - centroid;
                clustering.distances[i] = diff.dot(&diff).sqrt();
            }
        }
        clustering.centroids = centroids;
        clustering.k = k + m + 1;
        let mut joined = Joined {
            counts: vec![0; k],
            sums: Array2::zeros((k, d)),
        };
        for (i, &a) in clustering.assignments.iter().enumerate() {
            if a < k {
                joined.counts[a] += 1;
                let mut sum = joined.sums.row_mut(a);
                sum += &x.row(i);
            }
        }
        Ok(Growth {
            clustering,
            new_themes: m,
            joined,
        })
    }

    /// Each theme's radius for telling a new article from one of its own: its measured radius,
    /// raised toward the model's median radius by as many articles as [`RADIUS_PRIOR`] when it
    /// has few. The 95th percentile of a dozen articles' distances to a centroid fitted to
    /// them is too tight (the centroid sits among them), so a subject born in an update and
    /// returning weeks later would otherwise be new again.
    pub fn novelty_radii(&self) -> Vec<f64> {
        let mut radii: Vec<f64> = self.themes.iter().map(|t| t.radius).collect();
        radii.sort_by(f64::total_cmp);
        let median = radii.get(radii.len() / 2).copied().unwrap_or(0.0);
        self.themes
            .iter()
            .map(|t| {
                let n = t.size as f64;
                let blended = (n * t.radius + RADIUS_PRIOR * median) / (n + RADIUS_PRIOR);
                t.radius.max(blended)
            })
            .collect()
    }

    /// Counts the articles that joined each theme, and steps its centroid toward their mean
    /// as a running mean would (by their share of all the articles it has held), by at most
    /// [`CENTROID_STEP`] of its radius.
    pub fn absorb(&mut self, joined: &Joined) {
        let d = self.dims;
        for (p, theme) in self.themes.iter_mut().enumerate() {
            let n = joined.counts[p];
            if n == 0 {
                continue;
            }
            let centroid = &mut self.centroids[p * d..(p + 1) * d];
            let weight = n as f64 / (theme.size + n) as f64;
            let step: Vec<f64> = centroid
                .iter()
                .zip(joined.sums.row(p))
                .map(|(c, s)| weight * (s / n as f64 - c))
                .collect();
            let length = step.iter().map(|x| x * x).sum::<f64>().sqrt();
            let cap = CENTROID_STEP * theme.radius;
            let scale = if length > cap { cap / length } else { 1.0 };
            for (c, s) in centroid.iter_mut().zip(&step) {
                *c += scale * s;
            }
            theme.size += n;
        }
    }

    /// Adds a theme formed after fitting (`update`), with the next id; returns that id.
    pub fn add_theme(&mut self, mut theme: SavedTheme, centroid: &[f64]) -> usize {
        theme.id = self.next_id;
        self.next_id += 1;
        self.centroids.extend_from_slice(centroid);
        self.themes.push(theme);
        self.next_id - 1
    }

    /// The analyzer the model was fitted with.
    pub fn analyzer(&self) -> Analyzer {
        Analyzer::new(self.language)
            .with_stop_words(&self.stop_words)
            .with_phrases(&self.phrases)
    }

    pub fn k(&self) -> usize {
        self.themes.len()
    }

    pub fn tfidf(&self) -> TfidfModel {
        TfidfModel::from_parts(
            self.vocabulary.clone(),
            self.idf.clone(),
            self.df.clone(),
            self.n_docs,
            self.sublinear_tf,
            self.bigrams,
        )
    }

    pub fn lsa(&self) -> Result<Option<Lsa>> {
        if self.lsa_dims == 0 {
            return Ok(None);
        }
        let components = Array2::from_shape_vec(
            (self.lsa_columns.len(), self.lsa_dims),
            self.lsa_components.clone(),
        )
        .context("model file: LSA components do not match their columns")?;
        if self
            .lsa_columns
            .iter()
            .any(|&c| c as usize >= self.vocabulary.len())
        {
            fail!(Model, "model file: LSA columns beyond the vocabulary");
        }
        Ok(Some(Lsa {
            columns: self.lsa_columns.clone(),
            components,
            singular_values: self.singular_values.clone(),
        }))
    }

    fn centroid_matrix(&self) -> Result<Array2<f64>> {
        Array2::from_shape_vec((self.k(), self.dims), self.centroids.clone())
            .context("model file: centroids do not match the number of themes")
    }

    /// Nearest saved centroid for each row of `x`; rows farther than `max_distance` from
    /// every centroid, or whose vocabulary coverage is below the model's minimum, go to an
    /// extra cluster `k` ("unassigned").
    pub fn assign(
        &self,
        x: ArrayView2<f64>,
        coverage: &[f64],
        max_distance: f64,
    ) -> Result<Clustering> {
        let (centroids, nearest, distances) = self.nearest(x)?;
        Ok(self.unassign(centroids, nearest, distances, coverage, max_distance))
    }

    /// The centroids, and each row's nearest theme (position) and distance to it.
    fn nearest(&self, x: ArrayView2<f64>) -> Result<(Array2<f64>, Vec<usize>, Vec<f64>)> {
        let centroids = self.centroid_matrix()?;
        if x.ncols() != self.dims {
            fail!(
                Model,
                "model file: vectors have {} dimensions, the model's centroids {}",
                x.ncols(),
                self.dims
            );
        }
        if !crate::cluster::live_rows(&centroids).contains(&true) {
            fail!(Model, "model file: no theme has a centroid");
        }
        let (nearest, distances) = nearest_centroids(x, &centroids);
        Ok((centroids, nearest, distances))
    }

    /// The nearest themes as a clustering, rows too far or too little covered moved to an
    /// extra cluster `k` (the unassigned).
    fn unassign(
        &self,
        centroids: Array2<f64>,
        mut assignments: Vec<usize>,
        distances: Vec<f64>,
        coverage: &[f64],
        max_distance: f64,
    ) -> Clustering {
        let k = self.k();
        for ((a, &d), &cov) in assignments.iter_mut().zip(&distances).zip(coverage) {
            if d > max_distance || cov < self.min_coverage {
                *a = k;
            }
        }
        Clustering {
            k: k + 1,
            choice: KChoice::Model,
            centroids,
            assignments,
            distances,
            inertia: f64::NAN,
            stability: None,
        }
    }

    /// Refuses, before a long run, a model file its writer could not replace: a read-only
    /// file (its owner's way of saying "keep"), or a folder where no file can be made.
    pub fn check_writable(path: &Path) -> Result<()> {
        let target = crate::output::link_target(path);
        if fs::metadata(&target).is_ok_and(|m| m.permissions().readonly()) {
            fail!(
                Model,
                "{}: the model file is read-only; make it writable to update or edit it",
                path.display()
            );
        }
        let dir = crate::output::parent_dir(&target);
        tempfile::Builder::new()
            .prefix(&crate::output::temp_prefix(&target))
            .tempfile_in(dir)
            .map(drop)
            .map_err(|e| Error::io("cannot write a new model file here", dir, e))
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        crate::output::write_atomic(path, |tmp| Ok(fs::write(tmp, &bytes)?))
    }

    /// The model file's bytes (what [`ThemeModel::save`] writes), e.g. to ship the model to
    /// Spark's executors.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut w = Vec::new();
        w.write_all(MAGIC)?;
        w.write_all(&FORMAT_VERSION.to_le_bytes())?;
        bincode::serialize_into(&mut w, self)?;
        bincode::serialize_into(&mut w, &self.ledger)?;
        let undone = self.ledger.undo.as_ref().map(|u| &u.threads);
        bincode::serialize_into(&mut w, &(&self.threads, undone))?;
        Ok(w)
    }

    /// The model before its last update, and that update's entry (`update --replace`).
    pub fn without_last_update(&self) -> Result<(ThemeModel, Absorbed)> {
        let last = self.ledger.entries.last();
        let (Some(undo), Some(last)) = (&self.ledger.undo, last.filter(|e| e.kind == "update"))
        else {
            fail!(
                Model,
                "there is no update to replace: the last change to the model was {}",
                match self.ledger.entries.last() {
                    Some(e) if e.kind == "update" => "an edit (rename, merge or drop)".to_string(),
                    Some(e) => format!("its {} on {}", e.kind, e.periods),
                    None => "not recorded (a model saved before tidings kept a ledger)".into(),
                }
            );
        };
        let mut before = self.clone();
        before.centroids = undo.centroids.clone();
        before.themes = undo.themes.clone();
        before.next_id = undo.next_id;
        before.ledger.entries.pop();
        before.ledger.undo = None;
        before.threads = undo.threads.clone();
        Ok((before, last.clone()))
    }

    /// A model file is input like any other: every length and value is checked here, so a
    /// damaged or crafted file is refused with its name instead of failing (or panicking)
    /// later in the run. The header is checked before the rest is read (`/dev/zero` is not a
    /// model, and is not read whole to find that out).
    pub fn load(path: &Path) -> Result<ThemeModel> {
        let cannot_read = || format!("{}: cannot read the model file", path.display());
        let mut file = fs::File::open(path).with_context(cannot_read)?;
        let mut header = [0u8; 12];
        let short = match file.read_exact(&mut header) {
            Ok(()) => false,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => true,
            Err(e) => return Err(e).with_context(cannot_read),
        };
        let name = path.display().to_string();
        let version = check_header(&name, (!short).then_some(&header))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).with_context(cannot_read)?;
        decode(&name, version, &bytes)
    }

    /// A model from [`ThemeModel::to_bytes`], checked as [`ThemeModel::load`] checks a file;
    /// `name` says where the bytes came from in errors.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<ThemeModel> {
        let header = bytes.get(..12).and_then(|h| <&[u8; 12]>::try_from(h).ok());
        let version = check_header(name, header)?;
        decode(name, version, &bytes[12..])
    }

    /// Whether the parts fit together: what a fitted model always satisfies.
    fn validate(&self) -> std::result::Result<(), String> {
        let n = self.vocabulary.len();
        if self.idf.len() != n || self.df.len() != n {
            return Err(format!(
                "{} terms but {} IDF and {} document-frequency values",
                n,
                self.idf.len(),
                self.df.len()
            ));
        }
        if self.themes.is_empty() {
            return Err("no themes".into());
        }
        if self.themes.windows(2).any(|w| w[0].id >= w[1].id) {
            return Err("theme ids repeated or out of order".into());
        }
        if self.themes.iter().any(|t| t.id >= self.next_id) {
            return Err(format!(
                "a theme id at or above the next id {}",
                self.next_id
            ));
        }
        if self.dims == 0 || self.centroids.len() != self.k() * self.dims {
            return Err(format!(
                "{} centroid values for {} themes of {} dimensions",
                self.centroids.len(),
                self.k(),
                self.dims
            ));
        }
        if self.lsa_dims > 0 {
            if self.dims != self.lsa_dims
                || self.lsa_components.len() != self.lsa_columns.len() * self.lsa_dims
                || self.singular_values.len() != self.lsa_dims
            {
                return Err("LSA parts do not match their dimensions".into());
            }
            if self.lsa_columns.iter().any(|&c| c as usize >= n)
                || self.lsa_columns.windows(2).any(|w| w[0] >= w[1])
            {
                return Err("LSA columns out of order or beyond the vocabulary".into());
            }
        }
        if self.themes.iter().any(|t| {
            !(t.spread.is_finite() && t.radius.is_finite() && t.spread >= 0.0 && t.radius >= 0.0)
        }) {
            return Err("a theme's spread or radius is not a distance".into());
        }
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if !finite(&self.idf)
            || !finite(&self.centroids)
            || !finite(&self.lsa_components)
            || !finite(&self.singular_values)
            || !self.max_distance.is_finite()
            || !self.min_coverage.is_finite()
        {
            return Err("a value is not a finite number".into());
        }
        let n = n as u32;
        let undone = self.ledger.undo.as_ref().map(|u| &u.threads);
        for threads in std::iter::once(&self.threads).chain(undone) {
            for t in &threads.open {
                if t.id >= threads.next_id
                    || !t.norm_sq.is_finite()
                    || t.centroid.iter().any(|&(c, w)| c >= n || !w.is_finite())
                    || t.centroid.windows(2).any(|w| w[0].0 >= w[1].0)
                {
                    return Err(format!("open story {} does not fit the model", t.id));
                }
            }
        }
        Ok(())
    }
}

/// The format version of a model file's header, or the error saying why this is not a model
/// we read.
fn check_header(name: &str, header: Option<&[u8; 12]>) -> Result<u32> {
    let Some(header) = header.filter(|h| &h[..8] == MAGIC) else {
        fail!(Model, "{name}: not a tidings model file");
    };
    let version = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    if !(OLDEST_READ..=FORMAT_VERSION).contains(&version) {
        fail!(
            Model,
            "{name}: model format version {version}, but this tidings reads versions \
             {OLDEST_READ} to {FORMAT_VERSION}; refit it with `tidings fit`"
        );
    }
    Ok(version)
}

/// One writer of a model file at a time, from loading it to saving it: without it, two
/// updates or edits at once would each save their own copy and one would be lost. An
/// advisory lock (`flock`) on a file beside the model (`themes.model.lock`); the model
/// itself is replaced by a rename, so it cannot carry the lock. Readers need none: a model
/// file is only ever replaced whole. The lock goes with the process, however it ends.
#[derive(Debug)]
pub struct ModelLock {
    _file: fs::File,
}

impl ModelLock {
    /// Takes the lock of the model at `path` (through a symbolic link, the target's). When
    /// another process holds it, `waiting` is called once and the lock is waited for; with
    /// `wait` false that is an error instead. Temporary files a killed writer of this model
    /// left are removed once the lock is held.
    pub fn acquire(path: &Path, wait: bool, waiting: impl FnOnce()) -> Result<ModelLock> {
        let target = crate::output::link_target(path);
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let lock_path = target.with_file_name(name);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io("cannot open the model's lock file", &lock_path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) if wait => {
                waiting();
                file.lock()
                    .map_err(|e| Error::io("cannot lock", &lock_path, e))?;
            }
            Err(fs::TryLockError::WouldBlock) => fail!(
                Model,
                "{}: another tidings is updating or editing this model; try again when it \
                 has finished",
                path.display()
            ),
            Err(fs::TryLockError::Error(e)) => {
                return Err(Error::io("cannot lock", &lock_path, e));
            }
        }
        clear_leftovers(&target);
        Ok(ModelLock { _file: file })
    }
}

/// Removes the temporary files of `model`'s killed writers (the lock is held, so no live
/// writer has one).
fn clear_leftovers(model: &Path) {
    let prefix = crate::output::temp_prefix(model);
    let dir = crate::output::parent_dir(model);
    if let Ok(entries) = fs::read_dir(dir) {
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .for_each(|e| {
                let _ = fs::remove_file(e.path());
            });
    }
}

/// The model after the header, every length and value checked.
fn decode(name: &str, version: u32, bytes: &[u8]) -> Result<ThemeModel> {
    use bincode::Options;
    // `bincode::serialize`'s encoding; bytes after the model (and its ledger) are an error: a
    // file with something appended is not the file that was saved.
    let options = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes();
    let corrupt = || format!("{name}: corrupt model file");
    let mut rest = bytes;
    let mut model: ThemeModel = options.deserialize_from(&mut rest).with_context(corrupt)?;
    if version >= 5 {
        model.ledger = options.deserialize_from(&mut rest).with_context(corrupt)?;
    }
    if version >= 6 {
        let undone: Option<Threads>;
        (model.threads, undone) = options.deserialize_from(&mut rest).with_context(corrupt)?;
        if let (Some(u), Some(t)) = (&mut model.ledger.undo, undone) {
            u.threads = t;
        }
    }
    if !rest.is_empty() {
        fail!(
            Model,
            "{name}: corrupt model file: {} bytes after its end",
            rest.len()
        );
    }
    model
        .validate()
        .map_err(|e| Error::Model(format!("{name}: corrupt model file: {e}")))?;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;

    /// Two themes on the first two axes of a 4-d space, each with a small radius.
    fn two_themes() -> ThemeModel {
        let theme = |id: usize, name: &str| SavedTheme {
            id,
            name: name.into(),
            label: name.into(),
            top_terms: vec![name.into()],
            size: 100,
            born: "2025-W01".into(),
            spread: 0.1,
            radius: 0.2,
        };
        ThemeModel {
            language: Language::English,
            stop_words: vec![],
            phrases: vec![],
            vocabulary: vec!["a".into()],
            idf: vec![1.0],
            df: vec![1],
            n_docs: 1,
            sublinear_tf: true,
            bigrams: false,
            lsa_columns: vec![],
            lsa_components: vec![],
            lsa_dims: 0,
            singular_values: vec![],
            centroids: vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            dims: 4,
            themes: vec![theme(0, "first"), theme(3, "second")],
            next_id: 7,
            max_distance: 2.0,
            min_coverage: 0.0,
            seed: 1,
            ledger: Ledger::default(),
            threads: Threads::default(),
        }
    }

    /// `n` points around `axis`, each `jitter` off it along the last axis, alternating sides.
    fn around(axis: usize, n: usize, jitter: f64) -> Vec<[f64; 4]> {
        (0..n)
            .map(|i| {
                let mut p = [0.0; 4];
                p[axis] = 1.0;
                p[3] = if i % 2 == 0 { jitter } else { -jitter } * (1 + i % 3) as f64;
                p
            })
            .collect()
    }

    /// `m` grown by articles at `points` (all fully covered by its vocabulary).
    fn grow(m: &ThemeModel, points: &[[f64; 4]]) -> Growth {
        let x = Array2::from_shape_vec((points.len(), 4), points.concat()).unwrap();
        m.grow(
            x.view(),
            &vec![1.0; points.len()],
            m.max_distance,
            &ClusterParams::default(),
        )
        .unwrap()
    }

    /// A tight group of articles far from both themes becomes one new theme after them;
    /// articles near the themes stay with them; nothing is renumbered.
    #[test]
    fn a_tight_novel_group_becomes_a_theme() {
        let m = two_themes();
        let mut points = around(0, 60, 0.02);
        points.extend(around(1, 40, 0.02));
        points.extend(around(2, 12, 0.01));
        let g = grow(&m, &points);
        assert_eq!(g.new_themes, 1);
        let a = &g.clustering.assignments;
        assert!(a[..60].iter().all(|&t| t == 0));
        assert!(a[60..100].iter().all(|&t| t == 1));
        assert!(a[100..].iter().all(|&t| t == 2), "{:?}", &a[100..]);
        assert_eq!(g.clustering.k, 4, "two saved, one new, the unassigned");
        assert!(
            g.clustering.centroids[[2, 2]] > 0.99,
            "{}",
            g.clustering.centroids
        );
    }

    /// Too few novel articles, or a loose scatter of them, make no theme.
    #[test]
    fn small_or_loose_groups_make_no_theme() {
        let m = two_themes();
        let mut few = around(0, 60, 0.02);
        few.extend(around(2, NEW_THEME_MIN_ARTICLES - 1, 0.03));
        let mut loose = around(0, 60, 0.02);
        // Spread over the unused axes, each point far from the others.
        loose.extend((0..12).map(|i| {
            let t = i as f64 * 0.5;
            [0.0, 0.0, t.cos(), t.sin()]
        }));
        for points in [few, loose] {
            assert_eq!(grow(&m, &points).new_themes, 0);
        }
    }

    /// A theme born from a dozen articles has a tight measured radius; its subject coming
    /// back a little farther out joins it instead of forming a second theme of the same
    /// subject. A large theme keeps its own radius.
    #[test]
    fn a_small_theme_is_recognised_when_its_subject_returns() {
        let mut m = two_themes();
        for t in &mut m.themes {
            t.radius = 0.5;
        }
        // A third theme, born from twelve articles on axis 2, with a tight radius.
        let born = SavedTheme {
            id: 7,
            name: "born".into(),
            label: "born".into(),
            top_terms: vec!["born".into()],
            size: 12,
            born: "2025-W02".into(),
            spread: 0.05,
            radius: 0.1,
        };
        m.add_theme(born, &[0.0, 0.0, 1.0, 0.0]);
        let radii = m.novelty_radii();
        assert!(radii[2] > 0.3, "{radii:?}");
        assert!(
            (radii[0] - 0.5).abs() < 1e-12,
            "a large theme keeps its own"
        );
        // Back, its centre a little off where it was born (a tight group, 0.25 away).
        let mut points = around(0, 60, 0.02);
        points.extend((0..12).map(|i| {
            let t = 0.25 + 0.01 * (i % 3) as f64;
            [0.0, 0.0, t.cos(), t.sin()]
        }));
        let g = grow(&m, &points);
        assert_eq!(g.new_themes, 0);
        assert!(g.clustering.assignments[60..].iter().all(|&t| t == 2));
    }
}
