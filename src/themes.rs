//! Themes: turns a clustering into named themes. A theme's label is its most distinctive terms
//! by class-based TF-IDF (the theme's articles pooled into one document and weighed against
//! the other themes, as in BERTopic), shown in their commonest surface form; its
//! representatives are the articles nearest its centroid.

use crate::vectorize::Sparse;

use crate::cluster::Clustering;
use crate::text::SurfaceForms;

/// Terms kept per theme, and how many of them make the label.
pub const TOP_TERMS: usize = 10;
pub const LABEL_TERMS: usize = 4;
pub const REPRESENTATIVES: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// 0 is the largest theme.
    pub id: usize,
    pub label: String,
    /// Surface forms, most distinctive first.
    pub top_terms: Vec<String>,
    pub size: usize,
    pub share: f64,
    /// Indices of the most central articles, nearest first.
    pub representatives: Vec<usize>,
}

/// Themes plus each article's theme id (renumbered so that theme 0 is the largest, unless
/// the ids were kept, as when assigning to a saved model's themes).
#[derive(Debug, Clone)]
pub struct ThemeSet {
    pub themes: Vec<Theme>,
    pub assignments: Vec<usize>,
    /// `cluster_of[theme id]` is the clustering's index of that theme (its centroid row).
    pub cluster_of: Vec<usize>,
}

/// c-TF-IDF weight of every term in every cluster:
/// `w(t, c) = tf(t, c) / |c| · ln(1 + A / f(t))`, where `tf(t, c)` is the term's count in the
/// cluster, `|c|` the cluster's total term count, `A` the mean total per cluster and `f(t)`
/// the term's count over all clusters. Terms frequent here and rare elsewhere score highest.
pub fn class_tfidf(counts: &Sparse, assignments: &[usize], k: usize) -> Vec<Vec<f64>> {
    let m = counts.cols();
    let mut tf = vec![vec![0.0; m]; k];
    for (row, &c) in counts.outer_iterator().zip(assignments) {
        for (t, &v) in row.iter() {
            tf[c][t] += f64::from(v);
        }
    }
    let totals: Vec<f64> = tf.iter().map(|r| r.iter().sum()).collect();
    let mean_total = totals.iter().sum::<f64>() / k.max(1) as f64;
    let mut f = vec![0.0; m];
    for row in &tf {
        row.iter().zip(f.iter_mut()).for_each(|(v, ft)| *ft += v);
    }
    tf.iter()
        .zip(&totals)
        .map(|(row, &total)| {
            row.iter()
                .zip(&f)
                .map(|(&v, &ft)| {
                    if v > 0.0 && total > 0.0 {
                        v / total * (1.0 + mean_total / ft).ln()
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

/// Picks label terms, skipping a term whose words all appear in terms already chosen
/// ("gaza", "famine" make "gaza famine" redundant) so a label carries more information.
fn label_from(terms: &[String]) -> String {
    let mut chosen: Vec<&str> = Vec::new();
    for term in terms {
        let covered = term
            .split(' ')
            .all(|w| chosen.iter().any(|c| c.split(' ').any(|cw| cw == w)));
        // A bigram supersedes a chosen unigram it contains.
        if !covered {
            chosen.retain(|c| !(c.split(' ').count() == 1 && term.split(' ').any(|w| w == *c)));
            chosen.push(term);
        }
        if chosen.len() == LABEL_TERMS {
            break;
        }
    }
    if chosen.is_empty() {
        "(no distinctive terms)".to_string()
    } else {
        chosen.join(" · ")
    }
}

/// Names the clusters and orders them by size.
pub fn build_themes(
    clustering: &Clustering,
    counts: &Sparse,
    vocabulary: &[String],
    surfaces: &SurfaceForms,
    keep_ids: bool,
) -> ThemeSet {
    let k = clustering.k;
    let n = clustering.assignments.len();
    let weights = class_tfidf(counts, &clustering.assignments, k);
    let mut sizes = vec![0usize; k];
    clustering.assignments.iter().for_each(|&c| sizes[c] += 1);
    // Largest first; equal sizes keep k-means order, so the numbering is deterministic.
    let mut order: Vec<usize> = (0..k).collect();
    if !keep_ids {
        order.sort_by_key(|&c| (std::cmp::Reverse(sizes[c]), c));
    }
    let mut new_id = vec![0; k];
    order.iter().enumerate().for_each(|(i, &c)| new_id[c] = i);

    let themes = order
        .iter()
        .enumerate()
        .map(|(id, &c)| {
            let mut ranked: Vec<(usize, f64)> = weights[c]
                .iter()
                .copied()
                .enumerate()
                .filter(|&(_, w)| w > 0.0)
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let top_terms: Vec<String> = ranked
                .iter()
                .take(TOP_TERMS)
                .map(|&(t, _)| surfaces.surface(&vocabulary[t]))
                .collect();
            let mut members: Vec<usize> =
                (0..n).filter(|&i| clustering.assignments[i] == c).collect();
            members.sort_by(|&a, &b| {
                clustering.distances[a]
                    .total_cmp(&clustering.distances[b])
                    .then(a.cmp(&b))
            });
            members.truncate(REPRESENTATIVES);
            Theme {
                id,
                label: label_from(&top_terms),
                top_terms,
                size: sizes[c],
                share: if n > 0 {
                    sizes[c] as f64 / n as f64
                } else {
                    0.0
                },
                representatives: members,
            }
        })
        .collect();
    ThemeSet {
        themes,
        assignments: clustering.assignments.iter().map(|&c| new_id[c]).collect(),
        cluster_of: order,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_skip_redundant_terms() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            label_from(&t(&["gaza", "famine", "gaza famine", "aid", "ipc", "more"])),
            "gaza · famine · aid · ipc"
        );
        assert_eq!(
            label_from(&t(&["food", "food security", "gaza"])),
            "food security · gaza"
        );
        assert_eq!(label_from(&[]), "(no distinctive terms)");
    }

    #[test]
    fn class_tfidf_prefers_terms_unique_to_a_cluster() {
        // Terms: 0 = shared by both clusters, 1 = only cluster 0, 2 = only cluster 1.
        let mut tri = sprs::TriMatI::<f32, u32>::new((4, 3));
        for (r, c, v) in [(0, 0, 1.0), (0, 1, 2.0), (1, 0, 1.0), (1, 1, 1.0)] {
            tri.add_triplet(r, c, v);
        }
        for (r, c, v) in [(2, 0, 1.0), (2, 2, 1.0), (3, 0, 1.0), (3, 2, 3.0)] {
            tri.add_triplet(r, c, v);
        }
        let w = class_tfidf(&tri.to_csr(), &[0, 0, 1, 1], 2);
        assert!(w[0][1] > w[0][0] && w[1][2] > w[1][0]);
        assert_eq!(w[0][2], 0.0);
        // Hand-computed: cluster 0 has tf = [2, 3, 0], total 5; A = (5 + 6) / 2 = 5.5;
        // f(term 1) = 3, so w = 3/5 · ln(1 + 5.5/3).
        assert!((w[0][1] - 0.6 * (1.0f64 + 5.5 / 3.0).ln()).abs() < 1e-12);
    }
}
