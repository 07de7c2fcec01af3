//! Reduction: latent semantic analysis of the sparse TF-IDF matrix by randomized truncated SVD
//! (Halko, Martinsson and Tropp 2011, with QR-normalised power iterations), rows re-normalised
//! to unit length. K-means on ~100 LSA dimensions is both better (synonyms and related terms
//! share directions) and far cheaper than on tens of thousands of sparse term columns.
//!
//! The sparse matrix is never densified: only products `X·M` and `Xᵀ·M` with thin dense
//! matrices are formed, each row computed independently, so results do not depend on the
//! number of threads.

use nalgebra::{DMatrix, SymmetricEigen};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use sprs::{CsMat, CsMatView};

/// Extra random directions beyond the rank asked for, and power iterations; scikit-learn's
/// `TruncatedSVD` defaults, which make the leading components accurate on text matrices.
const OVERSAMPLES: usize = 10;
const POWER_ITERATIONS: usize = 5;

/// A fitted LSA projection: `embedding(x) = normalise(x · components)`.
#[derive(Debug, Clone)]
pub struct Lsa {
    /// Term loadings, vocabulary × dims.
    pub components: Array2<f64>,
    /// Singular values, descending.
    pub singular_values: Vec<f64>,
}

/// `x (n×m, CSR) · dense (m×l, row-major)` → n×l row-major.
fn spmm(x: CsMatView<f64>, dense: &[f64], l: usize) -> Vec<f64> {
    let mut out = vec![0.0; x.rows() * l];
    out.par_chunks_mut(l.max(1))
        .zip(x.outer_iterator().collect::<Vec<_>>())
        .for_each(|(out_row, row)| {
            for (j, &v) in row.iter() {
                let src = &dense[j * l..(j + 1) * l];
                out_row.iter_mut().zip(src).for_each(|(o, s)| *o += v * s);
            }
        });
    out
}

fn to_nalgebra(a: &Array2<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

fn from_nalgebra(m: &DMatrix<f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Orthonormal basis of the columns of a row-major n×l matrix, returned row-major.
///
/// CholeskyQR2: `Q = Y R⁻¹` with `RᵀR = YᵀY`, done twice for accuracy. Two Gram products
/// (matrixmultiply's blocked GEMM) replace a Householder QR of the tall matrix, which
/// dominated the run time. A rank-deficient Y falls back to Householder QR.
fn orthonormalise(rows: usize, l: usize, data: Vec<f64>) -> Vec<f64> {
    let householder = |data: &[f64]| {
        let q = DMatrix::from_row_slice(rows, l, data).qr().q();
        // A column-major l-wide matrix transposed is its row-major layout.
        q.transpose().as_slice().to_vec()
    };
    let mut y = Array2::from_shape_vec((rows, l), data).expect("shape matches data length");
    for _ in 0..2 {
        let gram = to_nalgebra(&y.t().dot(&y));
        let Some(r_inv) = gram
            .cholesky()
            .and_then(|c| c.l().transpose().try_inverse())
        else {
            return householder(y.as_slice().expect("standard layout"));
        };
        y = y.dot(&from_nalgebra(&r_inv));
    }
    y.into_raw_vec_and_offset().0
}

impl Lsa {
    /// Fits up to `dims` components; fewer when the matrix has lower rank than that.
    /// Columns with no weight (terms left out of the clustering) are dropped for the
    /// products and get zero loadings, so they cost nothing.
    pub fn fit(x: &CsMat<f64>, dims: usize, seed: u64) -> Lsa {
        let full_m = x.cols();
        let mut used = vec![false; full_m];
        x.iter().for_each(|(_, (_, c))| used[c] = true);
        let kept: Vec<usize> = (0..full_m).filter(|&c| used[c]).collect();
        let mut new_index = vec![usize::MAX; full_m];
        kept.iter().enumerate().for_each(|(i, &c)| new_index[c] = i);
        // Renumbering keeps each row's column order, so the CSR arrays can be reused as is.
        let compact_x = CsMat::new(
            (x.rows(), kept.len()),
            x.indptr().to_proper().into_owned(),
            x.indices().iter().map(|&c| new_index[c]).collect(),
            x.data().to_vec(),
        );
        let compact = Self::fit_dense_columns(&compact_x, dims, seed);
        drop(compact_x);
        let mut components = Array2::zeros((full_m, compact.dims()));
        for (i, &c) in kept.iter().enumerate() {
            components.row_mut(c).assign(&compact.components.row(i));
        }
        Lsa {
            components,
            singular_values: compact.singular_values,
        }
    }

    fn fit_dense_columns(x: &CsMat<f64>, dims: usize, seed: u64) -> Lsa {
        let (n, m) = (x.rows(), x.cols());
        let dims = dims.min(n).min(m).max(1);
        let l = (dims + OVERSAMPLES).min(n).min(m);
        let xt: CsMat<f64> = x.transpose_view().to_csr();
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let omega: Vec<f64> = (0..m * l).map(|_| rng.gen_range(-1.0..1.0)).collect();
        // Subspace iteration, normalised once per round on the (smaller) document side.
        let mut q = orthonormalise(n, l, spmm(x.view(), &omega, l));
        for _ in 0..POWER_ITERATIONS {
            let z = spmm(xt.view(), &q, l);
            q = orthonormalise(n, l, spmm(x.view(), &z, l));
        }
        // Bᵀ = Xᵀ Q (m×l); B Bᵀ = W Σ² Wᵀ gives B's left singular vectors W and values Σ.
        let bt = Array2::from_shape_vec((m, l), spmm(xt.view(), &q, l))
            .expect("shape matches data length");
        let eig = SymmetricEigen::new(to_nalgebra(&bt.t().dot(&bt)));
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
                eig.eigenvectors[(r, order[c])] / s
            } else {
                0.0
            }
        });
        let mut components = bt.dot(&w);
        for mut col in components.columns_mut() {
            let peak = col
                .iter()
                .fold(0.0f64, |a, &b| if b.abs() > a.abs() { b } else { a });
            if peak < 0.0 {
                col.mapv_inplace(|v| -v);
            }
        }
        Lsa {
            components,
            singular_values,
        }
    }

    pub fn dims(&self) -> usize {
        self.components.ncols()
    }

    /// Projects TF-IDF rows and scales each to unit length (zero rows stay zero).
    pub fn transform(&self, x: &CsMat<f64>) -> Array2<f64> {
        let d = self.dims();
        let comps = self.components.as_standard_layout();
        let mut data = spmm(x.view(), comps.as_slice().expect("standard layout"), d);
        data.par_chunks_mut(d.max(1)).for_each(|row| {
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v /= norm);
            }
        });
        Array2::from_shape_vec((x.rows(), d), data).expect("shape matches data length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sprs::TriMat;

    /// Two blocks of documents over disjoint terms: a 2-d LSA must separate them perfectly.
    #[test]
    fn separates_disjoint_topics_and_is_deterministic() {
        let mut tri = TriMat::new((6, 6));
        for r in 0..3 {
            for c in 0..3 {
                tri.add_triplet(r, c, 1.0 + ((r + c) % 2) as f64);
                tri.add_triplet(r + 3, c + 3, 1.0 + ((r * c) % 2) as f64);
            }
        }
        let x: CsMat<f64> = tri.to_csr();
        let lsa = Lsa::fit(&x, 2, 1);
        assert_eq!(lsa.dims(), 2);
        assert!(lsa.singular_values[0] >= lsa.singular_values[1]);
        let e = lsa.transform(&x);
        let dot = |a: usize, b: usize| e.row(a).dot(&e.row(b));
        assert!(dot(0, 1) > 0.99 && dot(3, 4) > 0.99);
        assert!(dot(0, 3).abs() < 1e-9);
        let again = Lsa::fit(&x, 2, 1).transform(&x);
        assert_eq!(e, again);
    }
}
