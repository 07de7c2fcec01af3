//! Saved theme models, so theme ids and names stay the same from week to week: `tidings fit`
//! saves the vocabulary, IDF weights, LSA projection, centroids, names and labels; `tidings run
//! --model` assigns new articles to those themes instead of refitting.
//!
//! File format (version 3; version 2 had no theme names, version 1 held loadings for every
//! vocabulary term): the 8 bytes
//! `TIDINGSM`, a little-endian `u32` format version, then the [`ThemeModel`] encoded with
//! bincode 1 (serde). A file of another version is refused with a clear error rather than
//! misread.

use std::fs;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::cluster::{nearest_centroids, Clustering, KChoice};
use crate::pipeline::Analysis;
use crate::reduce::Lsa;
use crate::text::{Analyzer, Language};
use crate::vectorize::TfidfModel;

pub const MAGIC: &[u8; 8] = b"TIDINGSM";
pub const FORMAT_VERSION: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedTheme {
    pub id: usize,
    /// As generated, or as the user set it (`[names]` in tidings.toml when fitting): a later
    /// run with the model shows this name.
    pub name: String,
    pub label: String,
    pub top_terms: Vec<String>,
    pub size: usize,
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
    /// Centroids in theme-id order, k × dims, row-major.
    pub centroids: Vec<f64>,
    pub dims: usize,
    pub themes: Vec<SavedTheme>,
    /// Distance beyond which an article is unassigned: by default the largest distance of any
    /// fitted article to its centroid, so every article the model was fitted on is assigned
    /// and only articles unlike all of them are not.
    pub max_distance: f64,
    /// Vocabulary coverage below which an article is unassigned: the lowest of any fitted
    /// article (see [`crate::vectorize::TfidfModel::coverage`]).
    pub min_coverage: f64,
    pub seed: u64,
}

impl ThemeModel {
    /// Captures what a run learned, with centroids reordered to theme ids.
    pub fn from_analysis(a: &Analysis) -> ThemeModel {
        let c = &a.clustering;
        let dims = c.centroids.ncols();
        let centroids = a
            .themes
            .cluster_of
            .iter()
            .flat_map(|&cl| c.centroids.row(cl).to_vec())
            .collect();
        let (lsa_columns, lsa_components, lsa_dims, singular_values) = match &a.lsa {
            Some(l) => (
                l.columns.clone(),
                l.components.iter().copied().collect(),
                l.dims(),
                l.singular_values.clone(),
            ),
            None => (Vec::new(), Vec::new(), 0, Vec::new()),
        };
        ThemeModel {
            language: a.config.language,
            stop_words: a.config.stop_words.clone(),
            phrases: a.config.phrases.clone(),
            vocabulary: a.model.vocabulary.clone(),
            idf: a.model.idf.clone(),
            df: a.model.df.clone(),
            n_docs: a.model.n_docs,
            sublinear_tf: a.model.sublinear_tf(),
            bigrams: a.model.bigrams(),
            lsa_columns,
            lsa_components,
            lsa_dims,
            singular_values,
            centroids,
            dims,
            themes: a
                .themes
                .themes
                .iter()
                .map(|t| SavedTheme {
                    id: t.id,
                    name: t.name.clone(),
                    label: t.label.clone(),
                    top_terms: t.top_terms.clone(),
                    size: t.size,
                })
                .collect(),
            max_distance: c.distances.iter().copied().fold(0.0, f64::max),
            min_coverage: a.coverage.iter().copied().fold(1.0, f64::min),
            seed: a.config.cluster.seed,
        }
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
            bail!("model file: LSA columns beyond the vocabulary");
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
        let centroids = self.centroid_matrix()?;
        if x.ncols() != self.dims {
            bail!(
                "model file: vectors have {} dimensions, the model's centroids {}",
                x.ncols(),
                self.dims
            );
        }
        let k = self.k();
        let (mut assignments, distances) = nearest_centroids(x, &centroids);
        for ((a, &d), &cov) in assignments.iter_mut().zip(&distances).zip(coverage) {
            if d > max_distance || cov < self.min_coverage {
                *a = k;
            }
        }
        Ok(Clustering {
            k: k + 1,
            choice: KChoice::Model,
            centroids,
            assignments,
            distances,
            inertia: f64::NAN,
        })
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let write = |tmp: &Path| -> Result<()> {
            let mut w = BufWriter::new(fs::File::create(tmp)?);
            w.write_all(MAGIC)?;
            w.write_all(&FORMAT_VERSION.to_le_bytes())?;
            bincode::serialize_into(&mut w, self)?;
            w.flush()?;
            Ok(())
        };
        crate::report::write_atomic(path, write)
    }

    pub fn load(path: &Path) -> Result<ThemeModel> {
        let mut bytes = Vec::new();
        fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("{}: cannot read the model file", path.display()))?;
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            bail!("{}: not a tidings model file", path.display());
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != FORMAT_VERSION {
            bail!(
                "{}: model format version {version}, but this tidings reads version \
                 {FORMAT_VERSION}; refit it with `tidings fit`",
                path.display()
            );
        }
        bincode::deserialize(&bytes[12..])
            .with_context(|| format!("{}: corrupt model file", path.display()))
    }
}
