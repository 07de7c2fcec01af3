//! Evaluation: how well themes recover a ground-truth labelling, for corpora that have one
//! (`--label-field`). No maintained Rust crate computes these clustering scores, so they are
//! written here from their definitions, with scikit-learn's conventions (natural logarithms,
//! NMI normalised by the arithmetic mean of the entropies, which makes it equal V-measure).

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Articles that had a label (the others are not scored).
    pub n: usize,
    pub nmi: f64,
    pub ari: f64,
    pub homogeneity: f64,
    pub completeness: f64,
    pub v_measure: f64,
    /// Share of articles whose theme's majority label is their own.
    pub purity: f64,
}

impl Metrics {
    pub fn rows(&self) -> [(&'static str, f64); 6] {
        [
            ("nmi", self.nmi),
            ("ari", self.ari),
            ("v_measure", self.v_measure),
            ("homogeneity", self.homogeneity),
            ("completeness", self.completeness),
            ("purity", self.purity),
        ]
    }
}

fn entropy(counts: impl Iterator<Item = f64>, n: f64) -> f64 {
    counts
        .filter(|&c| c > 0.0)
        .map(|c| -(c / n) * (c / n).ln())
        .sum()
}

fn comb2(x: f64) -> f64 {
    x * (x - 1.0) / 2.0
}

/// Scores `pred` (theme ids) against `truth` (labels), pairwise by position.
pub fn evaluate<L: AsRef<str>>(truth: &[L], pred: &[usize]) -> Metrics {
    let n = truth.len().min(pred.len());
    let mut label_ids: HashMap<&str, usize> = HashMap::new();
    let t: Vec<usize> = truth[..n]
        .iter()
        .map(|l| {
            let next = label_ids.len();
            *label_ids.entry(l.as_ref()).or_insert(next)
        })
        .collect();
    let (nl, nc) = (
        label_ids.len(),
        pred[..n].iter().max().map_or(0, |&m| m + 1),
    );
    let mut table = vec![vec![0f64; nc]; nl];
    for (&a, &b) in t.iter().zip(&pred[..n]) {
        table[a][b] += 1.0;
    }
    let rows: Vec<f64> = table.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<f64> = (0..nc).map(|c| table.iter().map(|r| r[c]).sum()).collect();
    let nf = n as f64;
    let (h_true, h_pred) = (
        entropy(rows.iter().copied(), nf),
        entropy(cols.iter().copied(), nf),
    );
    let mut mi = 0.0;
    for (i, row) in table.iter().enumerate() {
        for (j, &c) in row.iter().enumerate() {
            if c > 0.0 {
                mi += c / nf * (nf * c / (rows[i] * cols[j])).ln();
            }
        }
    }
    let ratio = |num: f64, den: f64| if den > 0.0 { num / den } else { 1.0 };
    let homogeneity = ratio(mi, h_true);
    let completeness = ratio(mi, h_pred);
    let v_measure = if homogeneity + completeness > 0.0 {
        2.0 * homogeneity * completeness / (homogeneity + completeness)
    } else {
        0.0
    };
    let nmi = if h_true + h_pred > 0.0 {
        2.0 * mi / (h_true + h_pred)
    } else {
        1.0
    };
    let ari = adjusted_rand(&t, &pred[..n]);
    let purity = (0..nc)
        .map(|j| table.iter().map(|r| r[j]).fold(0.0, f64::max))
        .sum::<f64>()
        / nf.max(1.0);
    Metrics {
        n,
        nmi,
        ari,
        homogeneity,
        completeness,
        v_measure,
        purity,
    }
}

/// Adjusted Rand index of two labellings of the same items (0 = chance agreement, 1 = the
/// same partition whatever the numbers).
pub fn adjusted_rand(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len());
    let (ka, kb) = (
        a[..n].iter().max().map_or(0, |&m| m + 1),
        b[..n].iter().max().map_or(0, |&m| m + 1),
    );
    let mut table = vec![0u64; ka * kb];
    let (mut rows, mut cols) = (vec![0u64; ka], vec![0u64; kb]);
    for (&x, &y) in a[..n].iter().zip(&b[..n]) {
        table[x * kb + y] += 1;
        rows[x] += 1;
        cols[y] += 1;
    }
    let pairs = |v: &[u64]| v.iter().map(|&c| comb2(c as f64)).sum::<f64>();
    let (both, sum_rows, sum_cols) = (pairs(&table), pairs(&rows), pairs(&cols));
    let expected = sum_rows * sum_cols / comb2(n as f64).max(f64::MIN_POSITIVE);
    let max_index = (sum_rows + sum_cols) / 2.0;
    if (max_index - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (both - expected) / (max_index - expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Values printed by scikit-learn 1.5.2 (`normalized_mutual_info_score`, `adjusted_rand_score`,
    /// `homogeneity_completeness_v_measure`) on the same labellings.
    #[test]
    fn matches_scikit_learn() {
        let m = evaluate(&["a", "a", "a", "b", "b", "b"], &[0, 0, 1, 1, 2, 2]);
        assert!(close(m.nmi, 0.5158037429793889), "{m:?}");
        assert!(close(m.ari, 0.24242424242424243), "{m:?}");
        assert!(close(m.homogeneity, 0.6666666666666669), "{m:?}");
        assert!(close(m.completeness, 0.420619835714305), "{m:?}");
        assert!(close(m.v_measure, m.nmi));
        assert!(close(m.purity, 5.0 / 6.0));
        let v = evaluate(&["a", "a", "b", "b"], &[0, 0, 1, 2]);
        assert!(close(v.v_measure, 0.8), "{v:?}");
        assert!(close(v.ari, 0.5714285714285715), "{v:?}");
        assert!(close(
            adjusted_rand(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]),
            m.ari
        ));
        assert!(close(adjusted_rand(&[0, 0, 1, 1], &[0, 0, 1, 2]), v.ari));
    }

    #[test]
    fn perfect_and_permuted() {
        let m = evaluate(&["x", "x", "y", "y", "z"], &[2, 2, 0, 0, 1]);
        assert!(close(m.nmi, 1.0) && close(m.ari, 1.0) && close(m.purity, 1.0));
    }
}
