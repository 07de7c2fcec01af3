//! Clustering: spherical k-means on unit-length document vectors, with k chosen by
//! silhouette when the user gives none (or linfa-clustering's Euclidean k-means).
//!
//! One k-means run lands in whichever local optimum its start leads to, and on news many
//! optima are nearly as good: which one a single run finds depends on its seed. A fit here
//! is a consensus: many restarts (greedy k-means++, each on its own subsample of rows)
//! are pooled, the pool's centroids clustered into k, and the best of those groupings,
//! refined and then improved by split-and-merge moves (on a sample of a large corpus), is the
//! start of the final Lloyd rounds on every row. The restarts then say how stable each theme
//! is.

use linfa::prelude::*;
use linfa::DatasetBase;
use linfa_clustering::{KMeans, KMeansInit};
use ndarray::{Array1, Array2, ArrayView2, Axis, CowArray, Ix2};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ClusterError {
    #[error("no articles to cluster")]
    Empty,
    #[error("k must be at least 1")]
    ZeroK,
    #[error("`restarts` must be at least 1")]
    ZeroRestarts,
    #[error("`k_max` must be at least 2 to choose k (or give `k`)")]
    KMaxTooSmall,
    #[error("k = {k} is larger than the number of articles to cluster ({n}); use `k` {n} or less")]
    KTooLarge { k: usize, n: usize },
    #[error("k-means failed: {0}")]
    KMeans(String),
    #[error(
        "`k` {k} is fewer than the {seeds} declared themes ([[theme]]); give at least {seeds}"
    )]
    FewerThanSeeds { k: usize, seeds: usize },
}

/// k-means restarts unless told otherwise: each on its own subsample, pooled into the
/// consensus start (see `consensus`) and measuring stability. Fewer let the consensus follow
/// the seed; more agree a little better across seeds at a growing cost in time
/// (measured in `docs/stability.md`).
pub const DEFAULT_RESTARTS: usize = 40;

/// Restarts of `--algorithm euclidean` unless told otherwise: linfa's fits on every row, the
/// lowest inertia wins (no consensus, no stability).
pub const DEFAULT_EUCLIDEAN_RESTARTS: usize = 4;

/// Clustering hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterParams {
    /// Number of themes; `None` chooses it by silhouette.
    pub k: Option<usize>,
    /// Largest k tried by the automatic choice.
    pub k_max: usize,
    pub seed: u64,
    /// k-means restarts: the consensus's ([`DEFAULT_RESTARTS`]), or for Euclidean k-means
    /// the runs of which the lowest inertia wins.
    pub n_runs: usize,
    pub max_iter: u64,
    pub tolerance: f64,
    /// Articles sampled to score silhouettes; the score is quadratic in this.
    pub silhouette_sample: usize,
    pub algorithm: Algorithm,
}

/// Which k-means. Spherical is fitted as a consensus of restarts with stability measured;
/// Euclidean as the best of its restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Spherical k-means: cosine similarity to unit-length centroids, assignments by one
    /// matrix product per iteration. On R8 it matched Euclidean k-means' NMI at a fraction of
    /// the time, so it is the default.
    #[default]
    Spherical,
    /// Euclidean k-means from linfa-clustering.
    Euclidean,
}

impl Algorithm {
    /// Restarts unless told otherwise: the consensus's for spherical k-means, the best-of
    /// runs for Euclidean (each a linfa fit on every row).
    pub fn default_restarts(self) -> usize {
        match self {
            Algorithm::Spherical => DEFAULT_RESTARTS,
            Algorithm::Euclidean => DEFAULT_EUCLIDEAN_RESTARTS,
        }
    }
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            k: None,
            k_max: 20,
            seed: 42,
            n_runs: DEFAULT_RESTARTS,
            max_iter: 300,
            tolerance: 1e-4,
            silhouette_sample: 2000,
            algorithm: Algorithm::default(),
        }
    }
}

/// Parameters checked against the number of articles they will cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidClusterParams {
    params: ClusterParams,
    n: usize,
}

impl ClusterParams {
    /// What can be checked before the articles are read.
    pub fn check_options(&self) -> Result<(), ClusterError> {
        if self.n_runs == 0 {
            return Err(ClusterError::ZeroRestarts);
        }
        if self.k.is_none() && self.k_max < 2 {
            return Err(ClusterError::KMaxTooSmall);
        }
        if self.k == Some(0) {
            return Err(ClusterError::ZeroK);
        }
        Ok(())
    }

    pub fn check(&self, n: usize) -> Result<ValidClusterParams, ClusterError> {
        self.check_options()?;
        if n == 0 {
            return Err(ClusterError::Empty);
        }
        match self.k {
            Some(k) if k > n => return Err(ClusterError::KTooLarge { k, n }),
            _ => {}
        }
        Ok(ValidClusterParams {
            params: self.clone(),
            n,
        })
    }
}

/// How k was chosen, for the user to judge.
#[derive(Debug, Clone, PartialEq)]
pub enum KChoice {
    Given,
    /// The themes of a saved model, plus one for articles far from all of them.
    Model,
    /// Too few articles to compare several k.
    TooFew,
    /// The smallest k whose mean silhouette (cosine, over `FITS_PER_K` fits, scored on
    /// `sample` articles) is within `K_RISE_SHARE` of the curve's rise below its best.
    Silhouette {
        scores: Vec<KScore>,
        sample: usize,
        /// The k the scores chose (declared themes come on top of it).
        chosen: usize,
    },
}

/// How well one candidate k separated the sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KScore {
    pub k: usize,
    /// Mean silhouette over the fits.
    pub mean: f64,
    /// Standard error of that mean.
    pub se: f64,
}

/// Independent k-means fits (different seeds) scored per candidate k: one fit's silhouette
/// varies with its seed by about as much as neighbouring k differ on news, so a single fit's
/// best score picks noise.
const FITS_PER_K: usize = 3;

/// Restarts of each of those fits, the best kept: a single restart's poor optimum dented the
/// curve by more than neighbouring k differ (on all of Reuters, k = 15 scored 0.133 for one
/// seed and 0.180 for another).
const RESTARTS_PER_FIT: usize = 4;

/// Share of the curve's rise (best mean less the worst) below its best within which the
/// smallest k is chosen. On news the score rises steeply until the topics are apart, then
/// creeps up with k within its noise (on the bundled sample of eight Reuters topics: 0.17 at
/// k = 9, 0.18 at k = 20). A band a fixed share of the best wide ended in the creep, where
/// noise and a few changed words moved the choice between 9 and 17; a fifth of the rise cuts
/// the steep part, where they cannot (seeds 1-10: 8 or 9; with seven stop words more: 8;
/// measured in docs/stability.md).
const K_RISE_SHARE: f64 = 0.2;

/// Articles the candidate fits are made on: enough for themes of a few hundred articles to
/// show, few enough that trying 19 values of k stays cheap at a million articles.
const FIT_SAMPLE: usize = 20_000;

impl KChoice {
    pub fn describe(&self, k: usize) -> String {
        match self {
            KChoice::Given => format!("k = {k}, as given"),
            KChoice::Model => format!(
                "{} themes from the saved model, plus unassigned articles",
                k.saturating_sub(1)
            ),
            KChoice::TooFew => format!("k = {k}: too few articles to compare several k"),
            KChoice::Silhouette { scores, sample, .. } => {
                let (lo, hi) = (scores[0].k, scores[scores.len() - 1].k);
                format!(
                    "k = {k}: smallest k within {:.0}% of the rise of the mean silhouette below \
                     its best (cosine; {FITS_PER_K} fits of {RESTARTS_PER_FIT} restarts each on \
                     up to {FIT_SAMPLE} articles, scored on {sample}) among k = {lo}..{hi}",
                    K_RISE_SHARE * 100.0
                )
            }
        }
    }
}

/// A fitted clustering of the documents it was fitted on.
#[derive(Debug, Clone)]
pub struct Clustering {
    pub k: usize,
    pub choice: KChoice,
    pub centroids: Array2<f64>,
    pub assignments: Vec<usize>,
    /// Euclidean distance of each document to its centroid.
    pub distances: Vec<f64>,
    pub inertia: f64,
    /// How reproducible each cluster is across the fit's restarts, when measured.
    pub stability: Option<Stability>,
}

type Model = KMeans<f32, linfa_nn::distance::L2Dist>;

/// Convergence threshold on the centroids' total movement, scaled to the data as in
/// scikit-learn (`tol · mean feature variance`, on the squared shift): a fixed absolute
/// tolerance means hundreds of useless iterations on unit-length LSA vectors.
fn scaled_tolerance(x: ArrayView2<f64>, tol: f64) -> f64 {
    let mean_var = x.var_axis(Axis(0), 0.0).mean().unwrap_or(0.0);
    (tol * mean_var).sqrt().max(f64::EPSILON)
}

/// `n_runs` k-means++ restarts, run in parallel, each with its own seed derived from the
/// run's seed; the lowest inertia wins (ties to the first run), so the result does not
/// depend on the number of threads.
///
/// The fits run in single precision: k-means only ranks distances, and halving the memory
/// traffic halves its time. Centroids come back in double precision.
fn kmeans(
    x: ArrayView2<f64>,
    k: usize,
    n_runs: usize,
    p: &ClusterParams,
) -> Result<(Array2<f64>, f64), ClusterError> {
    match p.algorithm {
        Algorithm::Spherical => Ok(spherical_restarts(
            x,
            k,
            n_runs,
            p,
            Array2::zeros((0, x.ncols())).view(),
        )),
        Algorithm::Euclidean => euclidean_kmeans(x, k, n_runs, p),
    }
}

fn euclidean_kmeans(
    x: ArrayView2<f64>,
    k: usize,
    n_runs: usize,
    p: &ClusterParams,
) -> Result<(Array2<f64>, f64), ClusterError> {
    let x32 = x.mapv(|v| v as f32);
    let data = DatasetBase::from(x32.view());
    let tolerance = scaled_tolerance(x, p.tolerance) as f32;
    let fits: Vec<Result<Model, ClusterError>> = (0..n_runs.max(1) as u64)
        .into_par_iter()
        .map(|run| {
            let rng =
                Xoshiro256Plus::seed_from_u64(p.seed.wrapping_add(run.wrapping_mul(0x9e37_79b9)));
            KMeans::params_with_rng(k, rng)
                .n_runs(1)
                .max_n_iterations(p.max_iter)
                .tolerance(tolerance)
                .init_method(KMeansInit::KMeansPlusPlus)
                .fit(&data)
                .map_err(|e| ClusterError::KMeans(e.to_string()))
        })
        .collect();
    let mut best: Option<Model> = None;
    for fit in fits {
        let fit = fit?;
        if best.as_ref().is_none_or(|b| fit.inertia() < b.inertia()) {
            best = Some(fit);
        }
    }
    let best = best.ok_or_else(|| ClusterError::KMeans("no k-means run".into()))?;
    Ok((best.centroids().mapv(f64::from), f64::from(best.inertia())))
}

fn normalise_rows(c: &mut Array2<f64>) {
    for mut row in c.rows_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row.mapv_inplace(|v| v / norm);
        }
    }
}

/// How much of a seed theme's own direction its centroid keeps at every k-means round.
const SEED_ANCHOR: f64 = 0.5;

/// Relative objective improvement below which spherical k-means stops: the last rounds only
/// trade a few articles between near-identical themes, so a tighter tolerance about doubles
/// the time for the same NMI on R8.
const RELATIVE_TOL: f64 = 1e-4;

/// The same for a consensus restart, which only has to land in its optimum's basin for the
/// pool: a quarter less time on all of Reuters at k = 20.
const RESTART_TOL: f64 = 1e-3;

/// A spherical k-means result: centroids, objective `Σ (1 − cos)` and each row's cluster.
struct Fitted {
    centroids: Array2<f64>,
    objective: f64,
    labels: Vec<usize>,
}

/// The lowest objective, ties to the first: the rule every choice among runs follows, so
/// that the order of the runs, not the threads, decides.
fn lowest<T>(runs: impl IntoIterator<Item = T>, objective: impl Fn(&T) -> f64) -> Option<T> {
    runs.into_iter()
        .reduce(|b, r| if objective(&b) <= objective(&r) { b } else { r })
}

/// One spherical k-means run: k-means++ seeding on cosine distance, then Lloyd iterations in
/// which assignment is a single matrix product `X·Cᵀ` and each centroid is its members' mean
/// scaled to unit length. Stops when no assignment changes, the objective stops improving, or
/// after `max_iter` rounds.
/// Returns centroids, the objective `Σ (1 − cos)` (lower is better) and the rows' clusters.
///
/// `fixed` rows (seed themes) are the first centroids as given; k-means++ then picks the rest
/// far from them, so articles close to no seed found the other themes. A centroid of all
/// zeros (a seed none of whose terms is in the vocabulary) takes no article.
fn spherical_run(
    x: ArrayView2<f64>,
    k: usize,
    seed: u64,
    max_iter: u64,
    tol: f64,
    fixed: ArrayView2<f64>,
) -> Fitted {
    use rand::Rng;
    let (n, d) = x.dim();
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut centroids = Array2::<f64>::zeros((k, d));
    let s = fixed.nrows();
    let mut best_dist: Array1<f64> = if s == 0 {
        let first = rng.gen_range(0..n);
        centroids.row_mut(0).assign(&x.row(first));
        x.dot(&x.row(first)).mapv(|s| (1.0 - s).max(0.0))
    } else {
        centroids.slice_mut(ndarray::s![..s, ..]).assign(&fixed);
        let sims = x.dot(&fixed.t());
        sims.outer_iter()
            .map(|r| r.iter().fold(1.0f64, |b, &v| b.min((1.0 - v).max(0.0))))
            .collect()
    };
    // Greedy k-means++ (as scikit-learn): each step draws `2 + ln k` candidates by D²
    // weighting and keeps the one that lowers the total distance most, which avoids most of
    // the poor starts a single draw gives. The candidates' similarities to every row are one
    // pass of the assignment kernel.
    let candidates = 2 + (k as f64).ln().floor() as usize;
    let rows = x.as_standard_layout();
    let rows = rows.as_slice().expect("standard layout");
    let mut sims = vec![0.0; n * candidates.next_multiple_of(PAD)];
    for c in s.max(1)..k {
        let total: f64 = best_dist.sum();
        let picks: Vec<usize> = (0..candidates)
            .map(|_| {
                if total > 0.0 {
                    let mut target = rng.gen_range(0.0..total);
                    let mut chosen = n - 1;
                    for (i, &w) in best_dist.iter().enumerate() {
                        if target < w {
                            chosen = i;
                            break;
                        }
                        target -= w;
                    }
                    chosen
                } else {
                    rng.gen_range(0..n)
                }
            })
            .collect();
        let ct = transposed_padded(&x.select(Axis(0), &picks));
        let kp = candidates.next_multiple_of(PAD);
        similarities(rows, d, &ct, &mut sims);
        let potential = |j: usize| -> f64 {
            best_dist
                .iter()
                .zip(sims.chunks_exact(kp))
                .map(|(&b, row)| b.min((1.0 - row[j]).max(0.0)))
                .sum()
        };
        let (j, _) = (0..candidates)
            .map(|j| (j, potential(j)))
            .fold((0, f64::INFINITY), |b, v| if v.1 < b.1 { v } else { b });
        centroids.row_mut(c).assign(&x.row(picks[j]));
        best_dist
            .iter_mut()
            .zip(sims.chunks_exact(kp))
            .for_each(|(b, row)| *b = b.min((1.0 - row[j]).max(0.0)));
    }
    lloyd(x, centroids, max_iter, tol, fixed)
}

/// Rows per block of the assignment step: blocks run in parallel, and each row's similarities
/// are the same sums whatever the number of threads or the block.
const ASSIGN_BLOCK: usize = 1024;

/// Centroids per full group in [`similarities`]: one AVX-512 register of doubles, two of AVX2.
const LANES: usize = 8;

/// What the centroids are padded to: a last group of four is summed four wide, so 20
/// centroids cost 20 sums a row, not 24, and k-means++'s four candidates four, not eight.
const PAD: usize = 4;

/// Centroids transposed to `d` rows of `k` rounded up to [`PAD`] (padding zero), the layout
/// [`similarities`] reads.
fn transposed_padded(centroids: &Array2<f64>) -> Vec<f64> {
    let (k, d) = centroids.dim();
    let kp = k.next_multiple_of(PAD);
    let mut ct = vec![0.0; d * kp];
    for ((c, j), &v) in centroids.indexed_iter() {
        ct[j * kp + c] = v;
    }
    ct
}

/// Rows summed together in [`similarities`]: with eight centroids a group, eight independent
/// sums keep both multiply-add units busy through their latency.
const ROWS: usize = 8;

/// The sums of eight rows with `L` centroids from `g` (see [`similarities`]), written to the
/// first `n` rows of `out`; returns the next group's first centroid. Inlined into each of
/// the kernel's compiled versions.
#[inline(always)]
fn sum_group<const L: usize>(
    r: &[&[f64]; ROWS],
    ct: &[f64],
    kp: usize,
    g: usize,
    n: usize,
    out: &mut [f64],
) -> usize {
    let mut acc = [[0.0f64; L]; ROWS];
    for (j, c) in ct.chunks_exact(kp).enumerate() {
        let c: &[f64; L] = c[g..g + L].try_into().expect("a group within kp");
        for (a, row) in acc.iter_mut().zip(r) {
            let v = row[j];
            for (a, &c) in a.iter_mut().zip(c) {
                *a = v.mul_add(c, *a);
            }
        }
    }
    for (r, a) in acc.iter().enumerate().take(n) {
        out[r * kp + g..r * kp + g + L].copy_from_slice(a);
    }
    g + L
}

/// `out[i·kp + c] = Σ_j rows[i·d + j] · ct[j·kp + c]`: every row's similarity to every
/// centroid, `ct` from [`transposed_padded`]. A general matrix product (`matrixmultiply`) first
/// copies both operands into packed panels, which at 20 centroids cost as much as the
/// arithmetic; here eight rows, read in place, and eight centroids (four in a last group) are
/// summed in registers. Each sum runs over `j` in order with fused multiply-adds (exactly
/// rounded, so a target without FMA gives the same digits, only slower), whatever the
/// target, the group and wherever the row falls in the block.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn similarities(rows: &[f64], d: usize, ct: &[f64], out: &mut [f64]) {
    if d == 0 {
        out.iter_mut().for_each(|o| *o = 0.0);
        return;
    }
    let kp = ct.len() / d;
    // The last rows, fewer than eight, padded with zero rows.
    let mut tail = Vec::new();
    for (x, out) in rows.chunks(ROWS * d).zip(out.chunks_mut(ROWS * kp)) {
        let n = x.len() / d;
        let x = if n < ROWS {
            tail.clear();
            tail.extend_from_slice(x);
            tail.resize(ROWS * d, 0.0);
            tail.as_slice()
        } else {
            x
        };
        let r: [&[f64]; ROWS] = std::array::from_fn(|r| &x[r * d..(r + 1) * d]);
        let mut g = 0;
        while g < kp {
            g = if g + LANES <= kp {
                sum_group::<LANES>(&r, ct, kp, g, n, out)
            } else {
                sum_group::<PAD>(&r, ct, kp, g, n, out)
            };
        }
    }
}

/// Each row's most similar centroid among the `live` ones and that similarity (`rows`
/// row-major, `d` wide), computed by blocks of rows in parallel.
fn nearest_live(
    rows: &[f64],
    d: usize,
    centroids: &Array2<f64>,
    live: &[bool],
) -> Vec<(usize, f64)> {
    let k = centroids.nrows();
    let kp = k.next_multiple_of(PAD);
    let ct = transposed_padded(centroids);
    rows.par_chunks(ASSIGN_BLOCK * d.max(1))
        .flat_map_iter(|block| {
            let mut sims = vec![0.0; block.len() / d.max(1) * kp];
            similarities(block, d, &ct, &mut sims);
            sims.chunks_exact(kp)
                .map(|row| {
                    row[..k].iter().enumerate().filter(|(c, _)| live[*c]).fold(
                        (0, f64::NEG_INFINITY),
                        |b, (c, &s)| if s > b.1 { (c, s) } else { b },
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Lloyd rounds of spherical k-means from `centroids` (the first `fixed.nrows()` anchored to
/// seed themes, a zero one taking no article): assignment by `X·Cᵀ`, computed by blocks of
/// rows in parallel, then each centroid its members' mean scaled to unit length. Stops when
/// no assignment changes, the objective stops improving, or after `max_iter` rounds.
/// Returns centroids, the objective `Σ (1 − cos)` and each row's nearest centroid.
fn lloyd(
    x: ArrayView2<f64>,
    mut centroids: Array2<f64>,
    max_iter: u64,
    tol: f64,
    fixed: ArrayView2<f64>,
) -> Fitted {
    let (n, d) = x.dim();
    let k = centroids.nrows();
    let s = fixed.nrows();
    let live: Vec<bool> = (0..k)
        .map(|c| c >= s || fixed.row(c).iter().any(|&v| v != 0.0))
        .collect();
    // Contiguous rows for the products and the centroid sums (a copy only if `x` is a
    // strided view).
    let rows = x.as_standard_layout();
    let rows = rows.as_slice().expect("standard layout");
    let mut labels = vec![usize::MAX; n];
    let mut objective = f64::INFINITY;
    let mut converged = true;
    for _ in 0..max_iter.max(1) {
        let previous = objective;
        let nearest = nearest_live(rows, d, &centroids, &live);
        converged = true;
        let mut changed = false;
        objective = 0.0;
        for (label, &(best, s)) in labels.iter_mut().zip(&nearest) {
            objective += 1.0 - s;
            if *label != best {
                *label = best;
                changed = true;
            }
        }
        // Converged: no article moved, or the objective improved by less than `tol` of itself
        // (a few articles trading places between near-identical themes).
        if !changed || previous - objective <= tol * objective {
            break;
        }
        let mut sums = Array2::<f64>::zeros((k, d));
        add_members(rows, &labels, sums.as_slice_mut().expect("standard layout"));
        // An emptied cluster keeps its old centroid rather than vanishing.
        for c in 0..k {
            if sums.row(c).iter().all(|&v| v == 0.0) {
                let old = centroids.row(c).to_owned();
                sums.row_mut(c).assign(&old);
            }
        }
        normalise_rows(&mut sums);
        // A seed theme's centroid stays anchored to its terms: half the seed's direction,
        // half its members' mean. Left free, a seed was pulled to whatever its first members
        // were nearest (on Reuters, "Gulf shipping" became strikes and world news).
        for c in 0..s {
            let mut row = sums.row_mut(c);
            row.zip_mut_with(&fixed.row(c), |m, &f| {
                *m = SEED_ANCHOR * f + (1.0 - SEED_ANCHOR) * *m
            });
            let norm = row.dot(&row).sqrt();
            if norm > 0.0 {
                row.mapv_inplace(|v| v / norm);
            }
        }
        centroids = sums;
        converged = false;
    }
    // Out of rounds, the labels are those of the centroids before the last update.
    if !converged {
        labels = nearest_live(rows, d, &centroids, &live)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
    }
    Fitted {
        centroids,
        objective,
        labels,
    }
}

/// Adds each row of `rows` (row-major, `labels.len()` rows) to row `labels[i]` of `sums`:
/// the centroid sums of a k-means round, compiled also for AVX2 and AVX-512 and picked at
/// run time; the additions run in the same order on every target.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2", "x86_64+avx2"))]
fn add_members(rows: &[f64], labels: &[usize], sums: &mut [f64]) {
    let d = rows.len() / labels.len().max(1);
    for (row, &l) in rows.chunks_exact(d.max(1)).zip(labels) {
        sums[l * d..(l + 1) * d]
            .iter_mut()
            .zip(row)
            .for_each(|(s, v)| *s += v);
    }
}

/// `n_runs` spherical k-means runs in parallel, seeds derived from the run's seed; the
/// lowest objective wins (ties to the first run). The candidate fits of the choice of k.
fn spherical_restarts(
    x: ArrayView2<f64>,
    k: usize,
    n_runs: usize,
    p: &ClusterParams,
    fixed: ArrayView2<f64>,
) -> (Array2<f64>, f64) {
    let runs: Vec<Fitted> = (0..n_runs.max(1) as u64)
        .into_par_iter()
        .map(|run| {
            spherical_run(
                x,
                k,
                p.seed.wrapping_add(run.wrapping_mul(0x9e37_79b9)),
                p.max_iter,
                RELATIVE_TOL,
                fixed,
            )
        })
        .collect();
    let best = lowest(runs, |r| r.objective).expect("at least one run");
    (best.centroids, best.objective)
}

/// How reproducible a fit's clusters are: for each cluster, the mean over the restarts of the
/// Jaccard similarity between its members (among the rows that restart saw) and the restart's
/// best-matching cluster, as in Hennig's cluster-wise stability (Hennig 2007, with
/// subsampling). 1 means every restart found the cluster as it is; below about 0.6 it is
/// a pattern the data does not hold to: it may split or merge on another fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Stability {
    /// Per cluster (centroid row), in [0, 1]; `None` for a cluster no restart saw a row of
    /// (a declared theme no article joined).
    pub clusters: Vec<Option<f64>>,
    /// Restarts it was measured over.
    pub restarts: usize,
    /// Rows each restart was fitted on.
    pub rows: usize,
}

/// Below this stability a theme is flagged as unstable (Hennig's reading: under 0.6 a
/// cluster is not a stable pattern of the data).
pub const UNSTABLE_BELOW: f64 = 0.6;

/// Rows each consensus restart is fitted on, at most: enough for a theme of 1% of the corpus
/// to appear in it with 30 articles. A subsample of 3,000 rows of 112 doubles still fits a
/// core's cache; larger subsamples (with more restarts) cost several times the clustering's
/// time.
const RESTART_ROWS: usize = 3_000;

/// Share of the rows each restart sees when the corpus is small: every restart sees another
/// subsample, so stability measures resampling as well as initialisation.
const RESTART_SHARE: f64 = 0.8;

/// One restart of the consensus: the rows it saw (indices, ascending), its centroids and
/// those rows' clusters.
struct Restart {
    rows: Vec<usize>,
    centroids: Array2<f64>,
    labels: Vec<usize>,
    objective: f64,
}

fn restart_rows(n: usize) -> usize {
    ((n as f64 * RESTART_SHARE).ceil() as usize)
        .min(RESTART_ROWS)
        .max(n.min(2))
        .min(n)
}

/// `n_runs` spherical k-means restarts, each on its own subsample of rows with its own
/// seed, in parallel, collected in order (so the thread count cannot change them).
fn subsample_restarts(
    x: ArrayView2<f64>,
    k: usize,
    p: &ClusterParams,
    fixed: ArrayView2<f64>,
) -> Vec<Restart> {
    let n = x.nrows();
    let s = restart_rows(n).max(k);
    (0..p.n_runs.max(1) as u64)
        .into_par_iter()
        .map(|run| {
            let seed = p.seed.wrapping_add(run.wrapping_mul(0x9e37_79b9));
            let mut rng = Xoshiro256Plus::seed_from_u64(seed ^ 0x5ab5_a3b1);
            let rows: Vec<usize> = if s < n {
                let mut idx = sample(&mut rng, n, s).into_vec();
                idx.sort_unstable();
                idx
            } else {
                (0..n).collect()
            };
            let sub = x.select(Axis(0), &rows);
            let Fitted {
                centroids,
                objective,
                labels,
            } = spherical_run(sub.view(), k, seed, p.max_iter, RESTART_TOL, fixed);
            Restart {
                rows,
                centroids,
                labels,
                objective,
            }
        })
        .collect()
}

/// Which centroids have a direction (are not all zeros).
pub(crate) fn live_rows(centroids: &Array2<f64>) -> Vec<bool> {
    centroids
        .outer_iter()
        .map(|c| c.iter().any(|&v| v != 0.0))
        .collect()
}

/// The consensus of the restarts' centroids (Bradley and Fayyad's refinement, 1998): all
/// restarts' centroids are pooled, weighted by their clusters' sizes, and clustered into `k`
/// by spherical k-means started from each restart's centroids in turn; the grouping with the
/// least weighted distance wins. A theme that most restarts find is a dense clump in the
/// pool, so the start lands on it whichever restarts were drawn; one restart's accident is
/// outvoted.
fn consensus(restarts: &[Restart], k: usize) -> Vec<Array2<f64>> {
    let d = restarts[0].centroids.ncols();
    let mut pool: Vec<f64> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    for r in restarts {
        let mut sizes = vec![0usize; k];
        r.labels.iter().for_each(|&l| sizes[l] += 1);
        for (c, &size) in sizes.iter().enumerate() {
            if size > 0 {
                pool.extend(r.centroids.row(c));
                weights.push(size as f64 / r.rows.len() as f64);
            }
        }
    }
    let pool = Array2::from_shape_vec((weights.len(), d), pool).expect("rows of d");
    // The best restarts (on their own rows) start the pool's k-means: each run over the pool
    // costs as many operations as it has points, so all of them would grow as its square.
    let mut best: Vec<&Restart> = restarts.iter().collect();
    best.sort_by(|a, b| a.objective.total_cmp(&b.objective));
    let starts: Vec<Array2<f64>> = best
        .iter()
        .take(POOL_STARTS)
        .map(|r| r.centroids.clone())
        .collect();
    let mut fits: Vec<(Array2<f64>, f64, Vec<usize>)> = starts
        .into_par_iter()
        .map(|c| weighted_lloyd(pool.view(), &weights, c))
        .collect();
    // Best first (ties in restart order); groupings of the pool met before are dropped.
    let mut order: Vec<usize> = (0..fits.len()).collect();
    order.sort_by(|&a, &b| fits[a].1.total_cmp(&fits[b].1).then(a.cmp(&b)));
    let mut seen: Vec<Vec<usize>> = Vec::new();
    let mut out = Vec::new();
    for i in order {
        let canonical = canonical_labels(&fits[i].2);
        if seen.contains(&canonical) {
            continue;
        }
        seen.push(canonical);
        out.push(std::mem::take(&mut fits[i].0));
        if out.len() == CONSENSUS_CANDIDATES {
            break;
        }
    }
    out
}

/// Consensus groupings refined on every row; the lowest objective over all rows wins. The
/// pool's groupings differ in which of two near-equal splits of a large subject they make,
/// and the pool's own distortion does not tell them apart as the full objective does. With
/// [`split_merge`] after, four do as well as eight did (docs/stability.md).
const CONSENSUS_CANDIDATES: usize = 4;

/// Above this many rows the consensus candidates are refined on a sample of this many, and
/// only the winner on every row: four full refinements of a million articles would cost
/// more than the rest of the run.
const CANDIDATE_ROWS: usize = 50_000;

/// Restarts (the best, on their own rows) that start the pool's k-means.
const POOL_STARTS: usize = 10;

/// Labels renumbered by first appearance, so two groupings compare equal whatever their
/// clusters' numbers.
fn canonical_labels(labels: &[usize]) -> Vec<usize> {
    let mut map = FxHashMap::default();
    labels
        .iter()
        .map(|&l| {
            let next = map.len();
            *map.entry(l).or_insert(next)
        })
        .collect()
}

/// Spherical k-means on a few weighted points (the pooled centroids), from `centroids`;
/// returns the centroids and the weighted objective `Σ w (1 − cos)`.
fn weighted_lloyd(
    pool: ArrayView2<f64>,
    weights: &[f64],
    mut centroids: Array2<f64>,
) -> (Array2<f64>, f64, Vec<usize>) {
    let k = centroids.nrows();
    let mut labels = vec![usize::MAX; pool.nrows()];
    let mut objective = f64::INFINITY;
    for _ in 0..100 {
        let sims = pool.dot(&centroids.t());
        let mut changed = false;
        objective = 0.0;
        for ((label, row), &w) in labels.iter_mut().zip(sims.outer_iter()).zip(weights) {
            let (best, s) = row
                .iter()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |b, (c, &s)| if s > b.1 { (c, s) } else { b },
                );
            objective += w * (1.0 - s);
            if *label != best {
                *label = best;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let mut sums = Array2::<f64>::zeros(centroids.dim());
        for ((row, &l), &w) in pool.outer_iter().zip(&labels).zip(weights) {
            sums.row_mut(l).scaled_add(w, &row);
        }
        for c in 0..k {
            if sums.row(c).iter().all(|&v| v == 0.0) {
                let old = centroids.row(c).to_owned();
                sums.row_mut(c).assign(&old);
            }
        }
        normalise_rows(&mut sums);
        centroids = sums;
    }
    (centroids, objective, labels)
}

/// Each final cluster's stability over the restarts ([`Stability`]).
fn stability(restarts: &[Restart], labels: &[usize], k: usize) -> Stability {
    let mut total = vec![0.0; k];
    let mut counted = vec![0usize; k];
    for r in restarts {
        let kr = r.centroids.nrows();
        let mut table = vec![0usize; k * kr];
        let mut mine = vec![0usize; k];
        let mut theirs = vec![0usize; kr];
        for (&i, &l) in r.rows.iter().zip(&r.labels) {
            let f = labels[i];
            table[f * kr + l] += 1;
            mine[f] += 1;
            theirs[l] += 1;
        }
        for c in 0..k {
            if mine[c] == 0 {
                continue;
            }
            let best = (0..kr)
                .map(|j| {
                    let both = table[c * kr + j];
                    both as f64 / (mine[c] + theirs[j] - both) as f64
                })
                .fold(0.0, f64::max);
            total[c] += best;
            counted[c] += 1;
        }
    }
    Stability {
        clusters: total
            .iter()
            .zip(&counted)
            .map(|(&t, &c)| (c > 0).then(|| t / c as f64))
            .collect(),
        restarts: restarts.len(),
        rows: restarts.iter().map(|r| r.rows.len()).max().unwrap_or(0),
    }
}

/// The fit: restarts on subsamples, their consensus (or, with fixed seed themes, the best
/// restart) as the start of Lloyd rounds over every row. Returns the centroids, the
/// objective and the restarts, which measure the clusters' stability.
fn consensus_kmeans(
    x: ArrayView2<f64>,
    k: usize,
    p: &ClusterParams,
    fixed: ArrayView2<f64>,
) -> (Array2<f64>, f64, Vec<Restart>) {
    let restarts = subsample_restarts(x, k, p, fixed);
    let starts = if fixed.nrows() == 0 {
        consensus(&restarts, k)
    } else {
        let best = lowest(&restarts, |r| r.objective).expect("at least one restart");
        vec![best.centroids.clone()]
    };
    // Each start refined on every row (on a sample of many rows, the winner then on all);
    // the lowest objective wins (ties to the earlier). The split-and-merge search, a few
    // refinements more, runs on the sample too, even from a single start.
    let n = x.nrows();
    let search = fixed.nrows() == 0;
    let sampled = (n > CANDIDATE_ROWS && (starts.len() > 1 || search)).then(|| {
        let mut rng = Xoshiro256Plus::seed_from_u64(p.seed ^ 0x7e57_a475);
        let mut idx = sample(&mut rng, n, CANDIDATE_ROWS).into_vec();
        idx.sort_unstable();
        x.select(Axis(0), &idx)
    });
    let on = match &sampled {
        Some(s) => s.view(),
        None => x.view(),
    };
    let fits: Vec<Fitted> = starts
        .into_par_iter()
        .map(|start| lloyd(on, start, p.max_iter, RELATIVE_TOL, fixed))
        .collect();
    let mut best = lowest(fits, |f| f.objective).expect("at least one start");
    if search {
        best = split_merge(on, best, p);
    }
    if sampled.is_some() {
        best = lloyd(x, best.centroids, p.max_iter, RELATIVE_TOL, fixed);
    }
    (best.centroids, best.objective, restarts)
}

/// Split-and-merge moves tried, best estimate first, before the search gives up: a move
/// whose estimate is negative can still pay once Lloyd rounds have moved articles.
const SPLIT_MERGE_TRIES: usize = 6;

/// Power-iteration rounds for a cluster's principal direction (see [`bisect`]).
const BISECT_POWER_ROUNDS: usize = 8;

/// Lloyd rounds of a cluster's 2-means split.
const BISECT_ROUNDS: usize = 10;

/// Two unit centroids and the objective's gain of splitting a theme between them.
type Split = (Array1<f64>, Array1<f64>, f64);

/// A split of one cluster's members in two: along their principal direction, then 2-means
/// rounds (a good split, not the best one). Returns the halves' unit centroids and the
/// split's gain in the objective, `‖S_a‖ + ‖S_b‖ − ‖S‖` (with `S` a sum of unit rows,
/// `Σ (1 − cos) = n − ‖S‖`). No seed: the same members give the same split.
fn bisect(x: ArrayView2<f64>, members: &[usize]) -> Option<Split> {
    if members.len() < 2 {
        return None;
    }
    let sub = x.select(Axis(0), members);
    let sum = sub.sum_axis(Axis(0));
    let whole = sum.dot(&sum).sqrt();
    let mean = &sum / members.len() as f64;
    // Start from the member least like the mean, the direction the cluster is longest in
    // more often than not; power rounds on the centred rows turn it to the principal one.
    let to_mean = sub.dot(&mean);
    let far = (0..members.len())
        .min_by(|&a, &b| to_mean[a].total_cmp(&to_mean[b]))
        .expect("members");
    let mut v = &sub.row(far) - &mean;
    for _ in 0..BISECT_POWER_ROUNDS {
        let t = sub.dot(&v) - mean.dot(&v);
        let mut next = sub.t().dot(&t);
        next.scaled_add(-t.sum(), &mean);
        let l = next.dot(&next).sqrt();
        if l == 0.0 {
            break;
        }
        v = next / l;
    }
    let t = sub.dot(&v) - mean.dot(&v);
    let mut side: Vec<bool> = t.iter().map(|&t| t > 0.0).collect();
    let halves = |side: &[bool]| {
        let mut h = Array2::<f64>::zeros((2, sub.ncols()));
        for (row, &s) in sub.outer_iter().zip(side) {
            let mut half = h.row_mut(usize::from(!s));
            half += &row;
        }
        h
    };
    // The halves' sums, always those of `side`.
    let mut h = halves(&side);
    for _ in 0..BISECT_ROUNDS {
        if h.outer_iter().any(|r| r.iter().all(|&v| v == 0.0)) {
            return None;
        }
        let mut unit = h.clone();
        normalise_rows(&mut unit);
        let sims = sub.dot(&unit.t());
        let mut changed = false;
        for (s, r) in side.iter_mut().zip(sims.outer_iter()) {
            let to_a = r[0] >= r[1];
            changed |= to_a != *s;
            *s = to_a;
        }
        if !changed {
            break;
        }
        h = halves(&side);
    }
    let (a, b) = (h.row(0).to_owned(), h.row(1).to_owned());
    let (na, nb) = (a.dot(&a).sqrt(), b.dot(&b).sqrt());
    if na == 0.0 || nb == 0.0 {
        return None;
    }
    Some((a / na, b / nb, na + nb - whole))
}

/// Split-and-merge search after Lloyd: one cluster split in two while two others merge, the
/// move kept when Lloyd rounds from it lower the objective. Seeds disagree less in single
/// articles than in which of two near-equal splits a large subject takes, and no move of one
/// article (Lloyd's or Hartigan's) crosses from one to the other; this move does. A move's
/// gain is estimated from cluster sums alone: splitting `c` gains [`bisect`]'s gain, merging
/// `i` and `j` costs `‖S_i‖ + ‖S_j‖ − ‖S_i + S_j‖`; the best few estimates are tried.
fn split_merge(x: ArrayView2<f64>, mut best: Fitted, p: &ClusterParams) -> Fitted {
    let (_, d) = x.dim();
    let k = best.centroids.nrows();
    if k < 3 || d == 0 {
        return best;
    }
    let rows = x.as_standard_layout();
    let rows = rows.as_slice().expect("standard layout");
    let none = Array2::<f64>::zeros((0, d));
    // The last round's members and splits: a theme the accepted move left as it was keeps
    // its split (a split depends on the members alone).
    let mut last: Vec<(Vec<usize>, Option<Split>)> = Vec::new();
    for _ in 0..2 * k {
        let mut sums = Array2::<f64>::zeros((k, d));
        add_members(
            rows,
            &best.labels,
            sums.as_slice_mut().expect("standard layout"),
        );
        let norms: Vec<f64> = sums.outer_iter().map(|r| r.dot(&r).sqrt()).collect();
        let mut members = vec![Vec::new(); k];
        best.labels
            .iter()
            .enumerate()
            .for_each(|(i, &l)| members[l].push(i));
        let splits: Vec<Option<Split>> = members
            .par_iter()
            .enumerate()
            .map(|(c, m)| match last.get(c) {
                Some((was, split)) if was == m => split.clone(),
                _ => bisect(x, m),
            })
            .collect();
        let mut merged = vec![f64::INFINITY; k * k];
        for i in 0..k {
            for j in i + 1..k {
                let both = (&sums.row(i) + &sums.row(j)).mapv(|v| v * v).sum().sqrt();
                merged[i * k + j] = norms[i] + norms[j] - both;
            }
        }
        let mut moves: Vec<(f64, usize, usize, usize)> = Vec::new();
        for (c, split) in splits.iter().enumerate() {
            let Some((_, _, gain)) = split else { continue };
            for i in (0..k).filter(|&i| i != c) {
                for j in (i + 1..k).filter(|&j| j != c) {
                    moves.push((gain - merged[i * k + j], c, i, j));
                }
            }
        }
        moves.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then((a.1, a.2, a.3).cmp(&(b.1, b.2, b.3)))
        });
        let mut improved = false;
        for &(_, c, i, j) in moves.iter().take(SPLIT_MERGE_TRIES) {
            let (a, b, _) = splits[c].as_ref().expect("a split");
            let mut centroids = best.centroids.clone();
            let both = &sums.row(i) + &sums.row(j);
            let l = both.dot(&both).sqrt();
            if l == 0.0 {
                continue;
            }
            centroids.row_mut(i).assign(&both.mapv(|v| v / l));
            centroids.row_mut(j).assign(a);
            centroids.row_mut(c).assign(b);
            let fit = lloyd(x, centroids, p.max_iter, RELATIVE_TOL, none.view());
            if fit.objective < best.objective - RELATIVE_TOL * best.objective {
                best = fit;
                improved = true;
                break;
            }
        }
        if !improved {
            break;
        }
        last = members.into_iter().zip(splits).collect();
    }
    best
}

/// Each row's nearest centroid and its Euclidean distance. A centroid of all zeros (a declared
/// theme none of whose terms the vocabulary has) has no direction: at distance 1 from every
/// unit row it would take those unlike the rest, so it is passed over while another is live.
pub fn nearest_centroids(x: ArrayView2<f64>, centroids: &Array2<f64>) -> (Vec<usize>, Vec<f64>) {
    let live = live_rows(centroids);
    let any_live = live.iter().any(|&l| l);
    x.outer_iter()
        .into_par_iter()
        .map(|row| {
            let (best, d2) = centroids
                .outer_iter()
                .enumerate()
                .filter(|&(c, _)| live[c] || !any_live)
                .map(|(c, cen)| {
                    let d2: f64 = row
                        .iter()
                        .zip(cen.iter())
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum();
                    (c, d2)
                })
                .fold((0, f64::INFINITY), |b, x| if x.1 < b.1 { x } else { b });
            (best, d2.sqrt())
        })
        .unzip()
}

/// A spherical fit by [`consensus_kmeans`], each row's distance the Euclidean one of unit
/// vectors to its centroid.
fn spherical_clustering(
    x: ArrayView2<f64>,
    k: usize,
    choice: KChoice,
    p: &ClusterParams,
    fixed: ArrayView2<f64>,
) -> Clustering {
    let (centroids, inertia, restarts) = consensus_kmeans(x, k, p, fixed);
    let (assignments, distances): (Vec<usize>, Vec<f64>) = if fixed.nrows() == 0 {
        // As a saved model assigns (`model::ThemeModel::assign`), so that a model run on the
        // articles it was fitted on gives every one its theme and distance back.
        nearest_centroids(x, &centroids)
    } else {
        // Nearest by cosine among the centroids that have a direction (see `spherical_run`).
        let rows = x.as_standard_layout();
        let rows = rows.as_slice().expect("standard layout");
        nearest_live(rows, x.ncols(), &centroids, &live_rows(&centroids))
            .into_iter()
            .map(|(c, sim)| (c, (2.0 - 2.0 * sim).max(0.0).sqrt()))
            .unzip()
    };
    let stability = stability(&restarts, &assignments, k);
    Clustering {
        k,
        choice,
        centroids,
        assignments,
        distances,
        inertia,
        stability: Some(stability),
    }
}

impl ValidClusterParams {
    /// Clusters the rows of `x` with the first centroids started from `seeds` (unit-length
    /// rows, or zeros for a seed with no vocabulary term): spherical k-means whatever the
    /// algorithm chosen, since seeds are directions. The seeds' themes stay first, in their
    /// order. `k` is the total; without one, the seeds are added to the k the articles call
    /// for by silhouette.
    pub fn fit_seeded(
        &self,
        x: ArrayView2<f64>,
        seeds: ArrayView2<f64>,
    ) -> Result<Clustering, ClusterError> {
        let p = &self.params;
        let s = seeds.nrows();
        let (k, choice) = match p.k {
            Some(k) if k < s => return Err(ClusterError::FewerThanSeeds { k, seeds: s }),
            Some(k) => (k, KChoice::Given),
            None => {
                let (k, choice) = self.choose_k(x)?;
                (k + s, choice)
            }
        };
        Ok(spherical_clustering(x, k, choice, p, seeds))
    }

    /// Clusters the rows of `x`, which should be unit length (TF-IDF or LSA rows).
    pub fn fit(&self, x: ArrayView2<f64>) -> Result<Clustering, ClusterError> {
        let p = &self.params;
        let (k, choice) = match p.k {
            Some(k) => (k, KChoice::Given),
            None => self.choose_k(x)?,
        };
        if p.algorithm == Algorithm::Spherical {
            let none = Array2::zeros((0, x.ncols()));
            return Ok(spherical_clustering(x, k, choice, p, none.view()));
        }
        let (centroids, inertia) = kmeans(x, k, p.n_runs, p)?;
        let (assignments, distances) = nearest_centroids(x, &centroids);
        Ok(Clustering {
            k,
            choice,
            centroids,
            assignments,
            distances,
            inertia,
            stability: None,
        })
    }

    /// Candidates run from 2 to `min(k_max, sqrt(n))`: more themes than that on a small corpus
    /// would be a handful of articles each. Each candidate is fitted `FITS_PER_K` times with
    /// different seeds (the best of `RESTARTS_PER_FIT` restarts each) on a sample of up to
    /// `FIT_SAMPLE` articles and scored on a smaller one. The smallest k in the band of
    /// [`k_band`] wins: fewer themes when more are not measurably better.
    fn choose_k(&self, x: ArrayView2<f64>) -> Result<(usize, KChoice), ClusterError> {
        let p = &self.params;
        let n = self.n;
        let hi = p.k_max.min((n as f64).sqrt().floor() as usize).min(n - 1);
        if n < 4 || hi < 2 {
            return Ok((n.clamp(1, 2), KChoice::TooFew));
        }
        let mut rng = Xoshiro256Plus::seed_from_u64(p.seed ^ 0x5111_0e77);
        let mut idx: Vec<usize> = if n > p.silhouette_sample {
            sample(&mut rng, n, p.silhouette_sample).into_vec()
        } else {
            (0..n).collect()
        };
        idx.sort_unstable();
        let sub = x.select(Axis(0), &idx);
        let sims = sub.dot(&sub.t());
        let fit_rows: CowArray<f64, Ix2> = if n > FIT_SAMPLE {
            let mut f = sample(&mut rng, n, FIT_SAMPLE).into_vec();
            f.sort_unstable();
            x.select(Axis(0), &f).into()
        } else {
            x.into()
        };
        let mut scores = Vec::new();
        for k in 2..=hi {
            // The fits run in parallel, each with its own fixed seed, collected in order.
            let values = (0..FITS_PER_K as u64)
                .into_par_iter()
                .map(|fit| {
                    let params = ClusterParams {
                        seed: p.seed.wrapping_add(fit.wrapping_mul(0x51_7cc1_b727)),
                        ..p.clone()
                    };
                    let (centroids, _) = kmeans(fit_rows.view(), k, RESTARTS_PER_FIT, &params)?;
                    let labels = nearest_centroids(sub.view(), &centroids).0;
                    Ok(silhouette_from_similarity(&sims, &labels))
                })
                .collect::<Result<Vec<f64>, ClusterError>>()?;
            let m = values.len() as f64;
            let mean = values.iter().sum::<f64>() / m;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0).max(1.0);
            scores.push(KScore {
                k,
                mean,
                se: (var / m).sqrt(),
            });
        }
        let chosen = pick_k(&scores);
        Ok((
            chosen,
            KChoice::Silhouette {
                scores,
                sample: idx.len(),
                chosen,
            },
        ))
    }
}

/// The smallest k whose mean score is in the band of [`k_band`]. `scores` must not be empty.
fn pick_k(scores: &[KScore]) -> usize {
    let band = k_band(scores);
    scores
        .iter()
        .find(|s| s.mean >= band)
        .map_or(scores[0].k, |s| s.k)
}

/// The lowest mean silhouette a k may have and still be chosen: the best mean less
/// [`K_RISE_SHARE`] of the curve's rise (best less worst).
pub fn k_band(scores: &[KScore]) -> f64 {
    let best = scores.iter().map(|s| s.mean).fold(f64::MIN, f64::max);
    let worst = scores.iter().map(|s| s.mean).fold(f64::MAX, f64::min);
    best - K_RISE_SHARE * (best - worst)
}

/// Mean silhouette with cosine distance `1 - sim` from a precomputed similarity matrix.
/// Points alone in their cluster score 0, as in scikit-learn.
pub fn silhouette_from_similarity(sims: &Array2<f64>, labels: &[usize]) -> f64 {
    let n = labels.len();
    let k = labels.iter().max().map_or(0, |&m| m + 1);
    if n == 0 || k < 2 {
        return 0.0;
    }
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let mut total = 0.0;
    for i in 0..n {
        let mut sum = Array1::<f64>::zeros(k);
        for j in 0..n {
            if i != j {
                sum[labels[j]] += 1.0 - sims[[i, j]];
            }
        }
        let own = labels[i];
        if sizes[own] <= 1 {
            continue;
        }
        let a = sum[own] / (sizes[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && sizes[c] > 0)
            .map(|c| sum[c] / sizes[c] as f64)
            .fold(f64::INFINITY, f64::min);
        if b.is_finite() {
            total += (b - a) / a.max(b).max(f64::MIN_POSITIVE);
        }
    }
    total / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Every row's similarities are the plain ordered sums, whether the row falls in a full
    /// block of eight rows or in the remainder, and the centroid in a group of eight or the
    /// last group of four, so blocks, groups and threads cannot change them.
    #[test]
    fn similarities_are_ordered_sums_wherever_the_row_falls() {
        let value = |i: usize| ((i * 7919 % 1000) as f64 - 500.0) / 97.0;
        for (n, d, k) in [
            (13, 7, 11),
            (8, 5, 1),
            (1, 3, 3),
            (9, 4, 4),
            (16, 6, 8),
            (3, 2, 20),
        ] {
            let x = Array2::from_shape_fn((n, d), |(i, j)| value(i * d + j));
            let c = Array2::from_shape_fn((k, d), |(i, j)| value(5000 + i * d + j));
            let ct = transposed_padded(&c);
            let kp = ct.len() / d;
            assert_eq!(kp, k.next_multiple_of(4));
            let mut all = vec![f64::NAN; n * kp];
            similarities(x.as_slice().unwrap(), d, &ct, &mut all);
            for i in 0..n {
                for j in 0..k {
                    let want = (0..d).fold(0.0f64, |a, t| x[[i, t]].mul_add(c[[j, t]], a));
                    assert_eq!(
                        all[i * kp + j].to_bits(),
                        want.to_bits(),
                        "n {n}, d {d}, k {k}: row {i}, centroid {j}"
                    );
                }
                assert!(all[i * kp + k..(i + 1) * kp].iter().all(|&v| v == 0.0));
                let mut alone = vec![0.0; kp];
                similarities(x.row(i).as_slice().unwrap(), d, &ct, &mut alone);
                assert_eq!(alone, all[i * kp..(i + 1) * kp]);
            }
        }
        // No dimensions: every similarity is zero.
        let mut out = vec![f64::NAN; 8];
        similarities(&[], 0, &[], &mut out);
        assert!(out.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn rejects_bad_k() {
        let p = ClusterParams {
            k: Some(5),
            ..Default::default()
        };
        assert_eq!(p.check(3), Err(ClusterError::KTooLarge { k: 5, n: 3 }));
        assert_eq!(ClusterParams::default().check(0), Err(ClusterError::Empty));
        let p = ClusterParams {
            k: Some(0),
            ..Default::default()
        };
        assert_eq!(p.check(3), Err(ClusterError::ZeroK));
    }

    #[test]
    fn silhouette_known_value() {
        // Points on the unit circle at angles 0, 0 and 90, 90 degrees: perfect separation.
        let x = array![[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]];
        let s = silhouette_from_similarity(&x.dot(&x.t()), &[0, 0, 1, 1]);
        assert!((s - 1.0).abs() < 1e-12);
        // Mixing them up gives a negative score: a = 0.5 (one same, one orthogonal), b = 0.5...
        let bad = silhouette_from_similarity(&x.dot(&x.t()), &[0, 1, 0, 1]);
        assert!(bad < 0.0, "{bad}");
    }

    #[test]
    fn picks_the_knee_not_the_creep() {
        let score = |k, mean| KScore { k, mean, se: 0.001 };
        // Rising to k = 4, then creeping up: the knee wins.
        let creep = [
            score(2, 0.05),
            score(3, 0.10),
            score(4, 0.160),
            score(5, 0.162),
            score(6, 0.165),
        ];
        assert_eq!(pick_k(&creep), 4);
        // Noise in the creep does not move it: the band cuts the steep part.
        let noisy = [
            score(2, 0.05),
            score(3, 0.10),
            score(4, 0.158),
            score(5, 0.166),
            score(6, 0.161),
            score(7, 0.170),
        ];
        assert_eq!(pick_k(&noisy), 4);
        // A clear peak stays the choice.
        let peak = [score(2, 0.05), score(3, 0.30), score(4, 0.20)];
        assert_eq!(pick_k(&peak), 3);
    }

    /// Rows in `groups` tight groups of `per` around orthogonal directions, plus `noise`.
    fn groups(groups: usize, per: usize, noise: f64) -> Array2<f64> {
        let d = groups + 2;
        let mut x = 12345u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 10_000) as f64 / 10_000.0 - 0.5
        };
        let mut rows = Array2::zeros((groups * per, d));
        for (i, mut row) in rows.outer_iter_mut().enumerate() {
            row[i / per] = 1.0;
            row.iter_mut().for_each(|v| *v += noise * next());
            let norm = row.dot(&row).sqrt();
            row.mapv_inplace(|v| v / norm);
        }
        rows
    }

    /// Clear groups come back in every restart: stability 1. Rows with no structure (one
    /// blob cut into four) are cut differently by every restart: stability well below.
    #[test]
    fn stability_tells_clear_groups_from_arbitrary_cuts() {
        let p = ClusterParams {
            k: Some(4),
            n_runs: 20,
            ..Default::default()
        };
        let clear = groups(4, 50, 0.2);
        let fit = p.check(200).unwrap().fit(clear.view()).unwrap();
        let s = fit.stability.unwrap();
        assert_eq!((s.restarts, s.rows), (20, 160));
        assert!(
            s.clusters.iter().all(|v| v.is_some_and(|v| v > 0.99)),
            "{:?}",
            s.clusters
        );

        let blob = groups(1, 200, 3.0);
        let fit = p.check(200).unwrap().fit(blob.view()).unwrap();
        let s = fit.stability.unwrap();
        let mean = s.clusters.iter().flatten().sum::<f64>() / 4.0;
        assert!(mean < 0.8, "{:?}", s.clusters);
    }

    /// The consensus gives the same clustering whatever the seed when the data has one.
    #[test]
    fn seeds_agree_on_clear_groups() {
        let x = groups(6, 40, 0.6);
        let fit = |seed| {
            ClusterParams {
                k: Some(6),
                seed,
                ..Default::default()
            }
            .check(240)
            .unwrap()
            .fit(x.view())
            .unwrap()
            .assignments
        };
        let first = fit(1);
        for seed in 2..6 {
            let ari = crate::evaluate::adjusted_rand(&first, &fit(seed));
            assert!(ari > 0.99, "seed {seed}: ARI {ari}");
        }
    }

    /// Lloyd stuck with one group cut in two and two groups in one (no single article's move
    /// helps) is freed by one split-and-merge move.
    #[test]
    fn split_merge_leaves_a_local_optimum() {
        let x = groups(4, 50, 0.2);
        let d = x.ncols();
        let mut start = Array2::<f64>::zeros((4, d));
        start.row_mut(0).assign(&x.row(0));
        start.row_mut(1).assign(&x.row(1));
        start[[2, 1]] = 1.0;
        start[[2, 2]] = 1.0;
        start[[3, 3]] = 1.0;
        normalise_rows(&mut start);
        let none = Array2::<f64>::zeros((0, d));
        let stuck = lloyd(x.view(), start, 300, RELATIVE_TOL, none.view());
        let merged = |labels: &[usize]| labels[50] == labels[100];
        assert!(
            merged(&stuck.labels),
            "the start should leave groups 1 and 2 together"
        );
        let before = stuck.objective;
        let freed = split_merge(x.view(), stuck, &ClusterParams::default());
        assert!(
            freed.objective < before - 1.0,
            "{before} -> {}",
            freed.objective
        );
        for g in 0..4 {
            let first = freed.labels[g * 50];
            assert!(freed.labels[g * 50..(g + 1) * 50]
                .iter()
                .all(|&l| l == first));
        }
        assert!(!merged(&freed.labels));
    }

    /// A cluster of two clear groups splits into exactly them, with a positive gain; a
    /// cluster of copies of one row cannot split.
    #[test]
    fn bisect_finds_the_two_groups() {
        let x = groups(2, 30, 0.2);
        let all: Vec<usize> = (0..60).collect();
        let (a, b, gain) = bisect(x.view(), &all).unwrap();
        assert!(gain > 5.0, "{gain}");
        let side = |i: usize| x.row(i).dot(&a) > x.row(i).dot(&b);
        assert!((0..30).all(|i| side(i) == side(0)));
        assert!((30..60).all(|i| side(i) != side(0)));
        let copies: Vec<usize> = vec![3; 5];
        assert!(bisect(x.view(), &copies).is_none());
    }

    #[test]
    fn finds_three_obvious_groups() {
        let mut rows = Vec::new();
        for g in 0..3 {
            for i in 0..10 {
                let mut v = [0.05 * (i as f64 % 3.0); 3];
                v[g] = 1.0;
                let n = v.iter().map(|a| a * a).sum::<f64>().sqrt();
                rows.extend(v.iter().map(|a| a / n));
            }
        }
        let x = Array2::from_shape_vec((30, 3), rows).unwrap();
        for algorithm in [Algorithm::Spherical, Algorithm::Euclidean] {
            let p = ClusterParams {
                algorithm,
                ..Default::default()
            };
            let c = p.check(30).unwrap().fit(x.view()).unwrap();
            assert_eq!(c.k, 3, "{algorithm:?} {:?}", c.choice);
            for g in 0..3 {
                let first = c.assignments[g * 10];
                assert!(c.assignments[g * 10..g * 10 + 10]
                    .iter()
                    .all(|&a| a == first));
            }
            let again = p.check(30).unwrap().fit(x.view()).unwrap();
            assert_eq!(c.assignments, again.assignments);
        }
    }
}
