//! Reduction: latent semantic analysis of the sparse TF-IDF matrix by randomized truncated SVD
//! (Halko, Martinsson and Tropp 2011, with QR-normalised power iterations), rows re-normalised
//! to unit length. K-means on ~100 LSA dimensions is both better (synonyms and related terms
//! share directions) and far cheaper than on tens of thousands of sparse term columns.
//!
//! The sparse matrix is never densified (nor transposed): only products `X·M` and `Xᵀ·M`
//! with thin dense matrices are formed, each output element summed in one fixed order, so
//! results do not depend on the number of threads.

use nalgebra::{DMatrix, SymmetricEigen};
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use sprs::CsMatViewI;

use crate::vectorize::{select_rows, Sparse, Weighted};

/// Rows the LSA reads: a CSR matrix, or TF-IDF weights computed from counts as each row is
/// read ([`Weighted`]), which spares a large corpus a second matrix beside its counts.
pub trait Rows: Sync {
    /// `(rows, columns)`.
    fn shape(&self) -> (usize, usize);
    /// Calls `f` with row `r`'s non-zeros, columns ascending.
    fn each(&self, r: usize, f: impl FnMut(usize, f32));
    /// The rows `rows`, in that order, as a CSR matrix.
    fn select(&self, rows: &[usize]) -> Sparse;
    /// Every row as a CSR matrix.
    fn into_sparse(self) -> Sparse;
}

impl Rows for Sparse {
    fn shape(&self) -> (usize, usize) {
        (self.rows(), self.cols())
    }
    fn each(&self, r: usize, mut f: impl FnMut(usize, f32)) {
        if let Some(row) = self.outer_view(r) {
            row.iter().for_each(|(j, &v)| f(j, v));
        }
    }
    fn select(&self, rows: &[usize]) -> Sparse {
        select_rows(self, rows)
    }
    fn into_sparse(self) -> Sparse {
        self
    }
}

impl Rows for Weighted<'_> {
    fn shape(&self) -> (usize, usize) {
        (self.rows(), self.cols())
    }
    fn each(&self, r: usize, mut f: impl FnMut(usize, f32)) {
        self.row(r).for_each(|(j, v)| f(j as usize, v));
    }
    fn select(&self, rows: &[usize]) -> Sparse {
        Weighted::select(self, rows)
    }
    fn into_sparse(self) -> Sparse {
        self.to_sparse()
    }
}

/// Extra random directions beyond the rank asked for, and power iterations: scikit-learn's
/// `TruncatedSVD` defaults. Fewer iterations cluster about as well on average but vary more
/// from seed to seed.
const OVERSAMPLES: usize = 10;
const POWER_ITERATIONS: usize = 5;

/// The subspace iterations run on rows padded with zeros to a multiple of this many floats
/// (one AVX-512 register, two of AVX2), so no ragged tail is done one float at a time in
/// every sparse product, and matrixmultiply's kernels get whole tiles. The padding only ever
/// adds zeros, so the directions keep their digits; rounding the number of directions up
/// instead would change them, and move every seed's clustering to another optimum.
const LANES: usize = 16;

/// The rows of a row-major matrix `from` floats wide, `to` wide: cut, or padded with zeros.
fn rewidth(data: &[f32], from: usize, to: usize) -> Vec<f32> {
    if from == to {
        return data.to_vec();
    }
    let keep = from.min(to);
    let mut out = vec![0.0f32; data.len() / from.max(1) * to];
    out.chunks_exact_mut(to.max(1))
        .zip(data.chunks_exact(from.max(1)))
        .for_each(|(o, d)| o[..keep].copy_from_slice(&d[..keep]));
    out
}

/// Above this many rows the components are fitted on a uniform sample of this many, and
/// every row is then projected. A hundred directions of a corpus are as well found in
/// 25,000 articles as in a million (a sampled fit agrees with a full one as closely as two
/// seeds of the full fit agree), at a fraction of the time (measured in docs/quality.md).
/// All of Reuters is below it.
const FIT_SAMPLE: usize = 25_000;

/// A fitted LSA projection: `embedding(x) = normalise(x · components)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lsa {
    /// The vocabulary columns that carry a loading, ascending; other terms (bigrams, terms
    /// of no clustered article) project to zero. At a million articles the vocabulary has
    /// millions of terms, and a full vocabulary × dims matrix would take gigabytes.
    pub columns: Vec<u32>,
    /// Term loadings, `columns.len()` × dims.
    pub components: Array2<f64>,
    /// Singular values, descending.
    pub singular_values: Vec<f64>,
}

/// `x (n×m, CSR) · dense (m×l, row-major)` → n×l row-major. Single precision: the products
/// are memory-bound, and LSA needs directions, not digits.
fn spmm(x: CsMatViewI<f32, u32, usize>, dense: &[f32], l: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; x.rows() * l];
    out.par_chunks_mut(l.max(1))
        .enumerate()
        .for_each(|(r, out_row)| {
            if let Some(row) = x.outer_view(r) {
                add_rows(row.indices(), row.data(), dense, out_row);
            }
        });
    out
}

/// `out += Σ values[i] · dense[indices[i]]`, dense rows being `out.len()` long: the inner
/// loop of the LSA products, compiled also for AVX2 and AVX-512 and picked at run time
/// (the default target has only SSE2). Each element's sum runs in the same order on every
/// target, without fused multiply-adds, so all give the same digits.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2", "x86_64+avx2"))]
fn add_rows(indices: &[u32], values: &[f32], dense: &[f32], out: &mut [f32]) {
    let l = out.len();
    for (&j, &v) in indices.iter().zip(values) {
        let src = &dense[j as usize * l..(j as usize + 1) * l];
        out.iter_mut().zip(src).for_each(|(o, s)| *o += v * s);
    }
}

/// `xᵀ · dense` (m×l, row-major; `dense` n×l) from the CSR matrix itself, without building
/// its transpose: at a million articles that copy would hold 100 million non-zeros (800 MB)
/// at the run's peak. The terms are cut into one block per thread; each thread walks every row and
/// adds in the entries of its block, so each term's sum still runs over the documents in
/// order: the digits of the transposed product, whatever the number of threads.
fn spmm_t(x: CsMatViewI<f32, u32, usize>, dense: &[f32], l: usize) -> Vec<f32> {
    let m = x.cols();
    let mut out = vec![0.0f32; m * l];
    if l == 0 || m == 0 {
        return out;
    }
    let block = m.div_ceil(rayon::current_num_threads()).max(1);
    out.par_chunks_mut(block * l)
        .enumerate()
        .for_each(|(b, out_block)| {
            let lo = (b * block) as u32;
            let hi = lo + (out_block.len() / l) as u32;
            for (r, row) in x.outer_iterator().enumerate() {
                let indices = row.indices();
                let start = indices.partition_point(|&j| j < lo);
                let end = start + indices[start..].partition_point(|&j| j < hi);
                if start < end {
                    scatter_row(
                        &indices[start..end],
                        &row.data()[start..end],
                        &dense[r * l..(r + 1) * l],
                        lo,
                        out_block,
                    );
                }
            }
        });
    out
}

/// `out[j - lo] += values[i] · src` for each `j = indices[i]`, rows of `out` being `src.len()`
/// long: [`add_rows`] the other way round, with the same arithmetic per element.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2", "x86_64+avx2"))]
fn scatter_row(indices: &[u32], values: &[f32], src: &[f32], lo: u32, out: &mut [f32]) {
    let l = src.len();
    for (&j, &v) in indices.iter().zip(values) {
        let o = &mut out[(j - lo) as usize * l..(j - lo + 1) as usize * l];
        o.iter_mut().zip(src).for_each(|(o, s)| *o += v * s);
    }
}

/// `a · b`, its rows cut into blocks multiplied on every core. Each output element is
/// summed by matrixmultiply's kernel exactly as in one product (the blocks split only the
/// output), so the digits do not depend on the number of threads. matrixmultiply's own
/// threading splits the sum's blocks among threads a few microseconds at a time: for the
/// Gram matrices here (112 × 112 outputs, sums over every article) it took twice as long as
/// one thread.
fn par_dot(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros((a.nrows(), b.ncols()));
    let rows = a
        .nrows()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(16);
    out.axis_chunks_iter_mut(Axis(0), rows)
        .into_par_iter()
        .zip(a.axis_chunks_iter(Axis(0), rows))
        .for_each(|(mut out, a)| general_mat_mul(1.0, &a, &b, 0.0, &mut out));
    out
}

fn to_nalgebra(a: ArrayView2<f32>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| f64::from(a[[i, j]]))
}

/// Orthonormal basis of the first `l` columns of a row-major n×`wide` matrix whose other
/// columns are zero ([`LANES`]), returned in the same layout.
///
/// CholeskyQR: `Q = Y R⁻¹` with `RᵀR = YᵀY`, `rounds` times: once is enough to keep the
/// power iterations well conditioned, twice (CholeskyQR2) makes the final basis orthonormal
/// to working precision. The l×l factorings run in double precision. Gram products
/// (matrixmultiply's blocked GEMM) replace a Householder QR of the tall matrix, which
/// dominated the run time. A rank-deficient Y falls back to Householder QR. The zero
/// columns stay zero and add only zeros to the others' sums.
fn orthonormalise(rows: usize, l: usize, wide: usize, data: Vec<f32>, rounds: usize) -> Vec<f32> {
    let householder = |data: &[f32]| {
        let q = DMatrix::from_row_slice(rows, l, &rewidth(data, wide, l))
            .qr()
            .q();
        // A column-major l-wide matrix transposed is its row-major layout.
        rewidth(q.transpose().as_slice(), l, wide)
    };
    let mut y = Array2::from_shape_vec((rows, wide), data).expect("shape matches data length");
    for _ in 0..rounds {
        let gram = par_dot(y.t(), y.view());
        let Some(r_inv) = to_nalgebra(gram.slice(s![..l, ..l]))
            .cholesky()
            .and_then(|c| c.l().transpose().try_inverse())
        else {
            return householder(y.as_slice().expect("standard layout"));
        };
        let r_inv = Array2::from_shape_fn((wide, wide), |(i, j)| {
            if i < l && j < l {
                r_inv[(i, j)] as f32
            } else {
                0.0
            }
        });
        y = par_dot(y.view(), r_inv.view());
    }
    y.into_raw_vec_and_offset().0
}

impl Lsa {
    /// Fits up to `dims` components (fewer when the matrix has lower rank than that), on a
    /// sample of [`FIT_SAMPLE`] rows when there are more, and projects every row.
    pub fn fit_transform(x: impl Rows, dims: usize, seed: u64) -> (Lsa, Array2<f64>) {
        let n = x.shape().0;
        if n <= FIT_SAMPLE {
            return Self::fit_transform_all(x.into_sparse(), dims, seed);
        }
        let mut rng = Xoshiro256Plus::seed_from_u64(seed ^ 0x15a_5a3b1e);
        let mut rows = rand::seq::index::sample(&mut rng, n, FIT_SAMPLE).into_vec();
        rows.sort_unstable();
        let sample = x.select(&rows);
        let (lsa, _) = Self::fit(sample, dims, seed);
        let vectors = lsa.transform(&x);
        (lsa, vectors)
    }

    fn fit_transform_all(x: Sparse, dims: usize, seed: u64) -> (Lsa, Array2<f64>) {
        let (lsa, compact) = Self::fit(x, dims, seed);
        let identity: Vec<u32> = (0..lsa.columns.len() as u32).collect();
        let vectors = lsa.project(&compact, &identity);
        (lsa, vectors)
    }

    /// The fitted projection, and the matrix over its columns only. Columns with no weight
    /// (terms left out of the clustering) are dropped for the products and get no loadings,
    /// so they cost nothing; the matrix is taken by value and renumbered in place, as a copy
    /// would cost hundreds of megabytes at a million articles.
    fn fit(x: Sparse, dims: usize, seed: u64) -> (Lsa, Sparse) {
        let full_m = x.cols();
        let mut used = vec![false; full_m];
        x.indices().iter().for_each(|&c| used[c as usize] = true);
        let columns: Vec<u32> = (0..full_m as u32).filter(|&c| used[c as usize]).collect();
        drop(used);
        let mut new_index = vec![u32::MAX; full_m];
        columns
            .iter()
            .enumerate()
            .for_each(|(i, &c)| new_index[c as usize] = i as u32);
        // Renumbering keeps each row's column order, so the CSR arrays stay valid.
        let n = x.rows();
        let (indptr, mut indices, data) = x.into_raw_storage();
        indices.iter_mut().for_each(|c| *c = new_index[*c as usize]);
        drop(new_index);
        let compact = Sparse::new((n, columns.len()), indptr, indices, data);
        let (components, singular_values) = Self::fit_compact(&compact, dims, seed);
        let lsa = Lsa {
            columns,
            components,
            singular_values,
        };
        (lsa, compact)
    }

    fn fit_compact(x: &Sparse, dims: usize, seed: u64) -> (Array2<f64>, Vec<f64>) {
        let (n, m) = (x.rows(), x.cols());
        let dims = dims.min(n).min(m).max(1);
        let l = (dims + OVERSAMPLES).min(n).min(m);
        let wide = l.next_multiple_of(LANES);
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        // Drawn row by row as `l` values, then padded to `wide`.
        let omega: Vec<f32> = (0..m * wide)
            .map(|i| {
                if i % wide < l {
                    rng.gen_range(-1.0..1.0)
                } else {
                    0.0
                }
            })
            .collect();
        // Subspace iteration, normalised once per round on the document side.
        let mut q = orthonormalise(n, l, wide, spmm(x.view(), &omega, wide), 1);
        drop(omega);
        for i in 0..POWER_ITERATIONS {
            let z = spmm_t(x.view(), &q, wide);
            let rounds = if i + 1 == POWER_ITERATIONS { 2 } else { 1 };
            q = orthonormalise(n, l, wide, spmm(x.view(), &z, wide), rounds);
        }
        // Bᵀ = Xᵀ Q (m×l); B Bᵀ = W Σ² Wᵀ gives B's left singular vectors W and values Σ.
        // The products stay in single precision like the iterations; the l×l eigenproblem
        // is solved in double.
        let bt = spmm_t(x.view(), &q, wide);
        let bt = Array2::from_shape_vec((m, l), rewidth(&bt, wide, l))
            .expect("shape matches data length");
        let eig = SymmetricEigen::new(to_nalgebra(par_dot(bt.t(), bt.view()).view()));
        let mut order: Vec<usize> = (0..l).collect();
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        order.truncate(dims);
        let singular_values: Vec<f64> = order
            .iter()
            .map(|&i| eig.eigenvalues[i].max(0.0).sqrt())
            .collect();
        // Right singular vectors V = Bᵀ W Σ⁻¹ are the term loadings; each column's sign is
        // fixed (largest loading positive) so runs agree exactly.
        let w = Array2::from_shape_fn((l, dims), |(r, c)| {
            let s = singular_values[c];
            if s > f64::EPSILON {
                (eig.eigenvectors[(r, order[c])] / s) as f32
            } else {
                0.0
            }
        });
        let loadings = par_dot(bt.view(), w.view());
        let mut components = Array2::<f64>::zeros(loadings.dim());
        ndarray::Zip::from(&mut components)
            .and(&loadings)
            .par_for_each(|c, &l| *c = f64::from(l));
        // The largest loading of each column (the first, on a tie in size), from blocks of
        // rows in parallel; blocks are combined in order, so any split finds the same one.
        fn keep_larger<'r>(
            mut peaks: Vec<f64>,
            row: impl IntoIterator<Item = &'r f64>,
        ) -> Vec<f64> {
            for (p, &v) in peaks.iter_mut().zip(row) {
                if v.abs() > p.abs() {
                    *p = v;
                }
            }
            peaks
        }
        let none = || vec![0.0f64; dims];
        let peaks = components
            .axis_chunks_iter(Axis(0), 1024)
            .into_par_iter()
            .map(|block| block.rows().into_iter().fold(none(), keep_larger))
            .reduce(none, |a, b| keep_larger(a, &b));
        components
            .axis_iter_mut(Axis(0))
            .into_par_iter()
            .for_each(|mut row| {
                for (v, &p) in row.iter_mut().zip(&peaks) {
                    if p < 0.0 {
                        *v = -*v;
                    }
                }
            });
        (components, singular_values)
    }

    pub fn dims(&self) -> usize {
        self.components.ncols()
    }

    /// Projects TF-IDF rows and scales each to unit length (zero rows stay zero).
    pub fn transform(&self, x: &impl Rows) -> Array2<f64> {
        // Loadings by vocabulary column; columns without one stay zero.
        let mut row_of = vec![u32::MAX; x.shape().1];
        for (i, &c) in self.columns.iter().enumerate() {
            if let Some(r) = row_of.get_mut(c as usize) {
                *r = i as u32;
            }
        }
        self.project(x, &row_of)
    }

    /// `normalise(x · components)`, where column `j` of `x` has loadings in row `row_of[j]`
    /// of the components (none when `u32::MAX`).
    fn project(&self, x: &impl Rows, row_of: &[u32]) -> Array2<f64> {
        let d = self.dims();
        // Rows padded as in the fit, and summed by the fit's kernel ([`add_rows`]): at a
        // million articles this product is most of the LSA's time.
        let wide = d.next_multiple_of(LANES);
        let mut comps = vec![0.0f32; self.components.nrows() * wide];
        comps
            .par_chunks_mut(wide.max(1))
            .zip(self.components.axis_iter(Axis(0)))
            .for_each(|(out, row)| {
                out.iter_mut().zip(row).for_each(|(o, &v)| *o = v as f32);
            });
        let mut data = vec![0.0f64; x.shape().0 * d];
        data.par_chunks_mut(d.max(1)).enumerate().for_each_init(
            || (vec![0.0f32; wide], Vec::new(), Vec::new()),
            |(acc, columns, values), (r, out)| {
                acc.fill(0.0);
                columns.clear();
                values.clear();
                x.each(r, |j, v| {
                    let c = row_of[j];
                    if c != u32::MAX {
                        columns.push(c);
                        values.push(v);
                    }
                });
                add_rows(columns, values, &comps, acc);
                let norm = acc[..d]
                    .iter()
                    .map(|&v| f64::from(v).powi(2))
                    .sum::<f64>()
                    .sqrt();
                if norm > 0.0 {
                    out.iter_mut()
                        .zip(&acc[..d])
                        .for_each(|(o, &v)| *o = f64::from(v) / norm);
                }
            },
        );
        Array2::from_shape_vec((x.shape().0, d), data).expect("shape matches data length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The product with the transpose, computed without building it, has the digits of the
    /// product with the built transpose, on one thread or several.
    #[test]
    fn transposed_product_matches_the_transpose_bit_for_bit() {
        let mut rng = Xoshiro256Plus::seed_from_u64(3);
        let (n, m, l) = (300, 97, 7);
        let mut tri = sprs::TriMatI::<f32, u32>::new((n, m));
        for r in 0..n {
            for c in 0..m {
                if rng.gen_range(0.0..1.0) < 0.08 {
                    tri.add_triplet(r, c, rng.gen_range(0.0..2.0));
                }
            }
        }
        let x: Sparse = tri.to_csr();
        let dense: Vec<f32> = (0..n * l).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let xt: Sparse = x.transpose_view().to_csr();
        let expected = spmm(xt.view(), &dense, l);
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let got = pool.install(|| spmm_t(x.view(), &dense, l));
            assert_eq!(got, expected, "{threads} threads");
        }
    }

    /// Past [`FIT_SAMPLE`] rows the fit sees a sample, yet every row is projected, rows the
    /// sample left out included, as `transform` would project them, and the result does not
    /// depend on the number of threads.
    #[test]
    fn fits_a_sample_of_a_large_matrix_and_projects_every_row() {
        let n = FIT_SAMPLE + 20_000;
        let mut tri = sprs::TriMatI::<f32, u32>::new((n, 8));
        for r in 0..n {
            let block = (r % 2) * 4;
            for c in 0..3 {
                tri.add_triplet(r, block + (r + c) % 4, 1.0 + (r % 3) as f32);
            }
        }
        let x: Sparse = tri.to_csr();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let (lsa, e) = Lsa::fit_transform(x.clone(), 2, 7);
        let (lsa1, e1) = one.install(|| Lsa::fit_transform(x.clone(), 2, 7));
        assert_eq!((&lsa, &e), (&lsa1, &e1));
        assert_eq!(e.nrows(), n);
        assert_eq!(lsa.transform(&x), e);
        // The two blocks of terms end up orthogonal, every row at unit length.
        let (a, b) = (e.row(n - 2), e.row(n - 1));
        assert!(a.dot(&b).abs() < 1e-5, "{}", a.dot(&b));
        assert!(e.rows().into_iter().all(|r| (r.dot(&r) - 1.0).abs() < 1e-5));
    }

    /// A large corpus's rows weighted as the LSA reads them give the fit and the projection of
    /// the materialised TF-IDF matrix, to the bit (the bigram column left out of both).
    #[test]
    fn weights_read_on_demand_project_as_the_weighted_matrix() {
        use crate::vectorize::TfidfModel;
        let n = FIT_SAMPLE + 5_000;
        let vocabulary: Vec<String> = ["a", "a b", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        let m = vocabulary.len();
        let idf: Vec<f64> = (0..m).map(|c| 1.0 + c as f64 / 7.0).collect();
        let model = TfidfModel::from_parts(vocabulary, idf, vec![1; m], n, true, true);
        let mut tri = sprs::TriMatI::<f32, u32>::new((n, m));
        for r in 0..n {
            for c in 0..4 {
                tri.add_triplet(r, (r * 3 + c * 2) % m, 1.0 + ((r + c) % 5) as f32);
            }
        }
        let counts: Sparse = tri.to_csr();
        let weighted = model.clustering_weights(&counts);
        let matrix = model.clustering_rows(&counts);
        assert_eq!(weighted.nnz(), matrix.nnz());
        assert!(matrix.indices().iter().all(|&c| c != 1));
        assert_eq!(
            weighted.select(&[3, 0, 7]),
            select_rows(&matrix, &[3, 0, 7])
        );
        let (lsa, e) = Lsa::fit_transform(matrix.clone(), 3, 5);
        let (lsa_w, e_w) = Lsa::fit_transform(weighted, 3, 5);
        assert_eq!((&lsa, &e), (&lsa_w, &e_w));
        assert_eq!(lsa.transform(&model.clustering_weights(&counts)), e);
    }

    /// Two blocks of documents over disjoint terms: a 2-d LSA must separate them perfectly.
    #[test]
    fn separates_disjoint_topics_and_is_deterministic() {
        let mut tri = sprs::TriMatI::<f32, u32>::new((6, 6));
        for r in 0..3 {
            for c in 0..3 {
                tri.add_triplet(r, c, 1.0 + ((r + c) % 2) as f32);
                tri.add_triplet(r + 3, c + 3, 1.0 + ((r * c) % 2) as f32);
            }
        }
        let x: Sparse = tri.to_csr();
        let (lsa, e) = Lsa::fit_transform(x.clone(), 2, 1);
        assert_eq!(lsa.dims(), 2);
        assert!(lsa.singular_values[0] >= lsa.singular_values[1]);
        assert_eq!(lsa.transform(&x), e);
        let dot = |a: usize, b: usize| e.row(a).dot(&e.row(b));
        assert!(dot(0, 1) > 0.99 && dot(3, 4) > 0.99);
        assert!(dot(0, 3).abs() < 1e-5, "{}", dot(0, 3)); // single precision
        let again = Lsa::fit_transform(x, 2, 1).1;
        assert_eq!(e, again);
    }
}
