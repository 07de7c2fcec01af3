//! Theme tree: the themes grouped by how close their centroids are (agglomerative clustering
//! with Ward's linkage, by `kodama`), so that a run asked for 40 themes can also be read as 8
//! groups. `--k` stays the number of leaves; the tree only groups them. Ward's linkage, not
//! average: on all of Reuters at k = 40, average linkage chained 22 themes into one group
//! and left others alone; Ward cut into 8 groups of 2 to 8 themes that read as subjects
//! (company results, dividends, politics and currencies, commodities, ...).

use ndarray::ArrayView2;

/// A node of the tree: a theme (by its position among the run's themes) or a group (by the
/// merge that made it, in merge order from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Theme(usize),
    Group(usize),
}

/// One merge: two nodes joined into group `i` (its index in [`ThemeTree::merges`]) at
/// `distance`, Ward's merge height (for two single themes, the distance between their
/// centroids; it grows with the spread the merge adds).
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    pub children: [Node; 2],
    pub distance: f64,
    /// Themes under the new group.
    pub themes: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThemeTree {
    /// Closest first; the last joins everything.
    pub merges: Vec<Merge>,
    /// The themes in the tree (positions), in drawing order: no branch crosses another.
    pub leaf_order: Vec<usize>,
}

impl ThemeTree {
    /// Groups the themes whose centroids are `centroids` rows, given with their positions.
    pub fn build(centroids: ArrayView2<f64>, positions: &[usize]) -> ThemeTree {
        let n = centroids.nrows();
        if n == 0 {
            return ThemeTree::default();
        }
        let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                let d = &centroids.row(i) - &centroids.row(j);
                condensed.push(d.dot(&d).sqrt());
            }
        }
        let dendrogram = kodama::linkage(&mut condensed, n, kodama::Method::Ward);
        // kodama numbers observations 0..n and the group of step s as n + s.
        let node = |label: usize| {
            if label < n {
                Node::Theme(positions[label])
            } else {
                Node::Group(label - n)
            }
        };
        let merges: Vec<Merge> = dendrogram
            .steps()
            .iter()
            .map(|s| {
                let (a, b) = (node(s.cluster1), node(s.cluster2));
                Merge {
                    children: [a, b],
                    distance: s.dissimilarity,
                    themes: s.size,
                }
            })
            .collect();
        let mut tree = ThemeTree {
            merges,
            leaf_order: Vec::with_capacity(n),
        };
        match tree.merges.len() {
            0 => tree.leaf_order.push(positions[0]),
            m => tree.collect_leaves(Node::Group(m - 1)),
        }
        tree
    }

    fn collect_leaves(&mut self, node: Node) {
        match node {
            Node::Theme(t) => self.leaf_order.push(t),
            Node::Group(g) => {
                let [a, b] = self.merges[g].children;
                self.collect_leaves(a);
                self.collect_leaves(b);
            }
        }
    }

    /// The group each theme falls in when the tree is cut into at most `n` groups (undoing
    /// its last merges), as `(position, group)` with groups numbered in drawing order.
    pub fn groups(&self, n: usize) -> Vec<(usize, usize)> {
        let kept = self.merges.len().saturating_sub(n.max(1) - 1);
        // A theme's group is the highest kept merge above it: walk each kept merge's
        // children down, later (higher) merges overriding earlier ones.
        let mut top: Vec<Option<usize>> = vec![None; self.merges.len()];
        for g in (0..kept).rev() {
            for c in self.merges[g].children {
                if let Node::Group(child) = c {
                    top[child] = Some(top[g].unwrap_or(g));
                }
            }
        }
        let mut group_of_theme = std::collections::HashMap::new();
        for (g, m) in self.merges.iter().enumerate().take(kept) {
            for c in m.children {
                if let Node::Theme(t) = c {
                    group_of_theme.insert(t, top[g].unwrap_or(g));
                }
            }
        }
        let mut numbered: Vec<usize> = Vec::new();
        self.leaf_order
            .iter()
            .map(|&t| {
                // A theme in no kept merge is a group of its own.
                let key = group_of_theme.get(&t).map_or(usize::MAX - t, |&g| g);
                let number = match numbered.iter().position(|&k| k == key) {
                    Some(i) => i,
                    None => {
                        numbered.push(key);
                        numbered.len() - 1
                    }
                };
                (t, number)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    /// Two tight pairs far apart: each pair merges first, then the pairs; leaves are drawn
    /// pair by pair; cut into two groups, the pairs are the groups.
    #[test]
    fn close_themes_merge_first() {
        let c = array![[0.0, 0.0], [10.0, 0.0], [0.0, 1.0], [10.0, 1.5]];
        let tree = ThemeTree::build(c.view(), &[0, 1, 2, 3]);
        assert_eq!(tree.merges.len(), 3);
        assert_eq!(tree.merges[0].children, [Node::Theme(0), Node::Theme(2)]);
        assert_eq!(tree.merges[0].distance, 1.0);
        assert_eq!(tree.merges[1].children, [Node::Theme(1), Node::Theme(3)]);
        assert_eq!(tree.merges[2].themes, 4);
        let order = &tree.leaf_order;
        let at = |t| order.iter().position(|&x| x == t).unwrap();
        assert_eq!(at(0).abs_diff(at(2)), 1);
        assert_eq!(at(1).abs_diff(at(3)), 1);
        let groups: std::collections::HashMap<usize, usize> = tree.groups(2).into_iter().collect();
        assert_eq!(groups[&0], groups[&2]);
        assert_eq!(groups[&1], groups[&3]);
        assert_ne!(groups[&0], groups[&1]);
        let all: Vec<usize> = tree.groups(1).iter().map(|g| g.1).collect();
        assert_eq!(all, [0, 0, 0, 0]);
        let each: std::collections::HashSet<usize> = tree.groups(4).iter().map(|g| g.1).collect();
        assert_eq!(each.len(), 4);
        assert_eq!(tree.groups(3).iter().map(|g| g.1).max(), Some(2));
    }

    #[test]
    fn one_or_no_theme() {
        let c = array![[1.0, 2.0]];
        let tree = ThemeTree::build(c.view(), &[5]);
        assert!(tree.merges.is_empty());
        assert_eq!(tree.leaf_order, [5]);
        assert_eq!(tree.groups(8), [(5, 0)]);
        let none = ndarray::Array2::<f64>::zeros((0, 2));
        assert_eq!(ThemeTree::build(none.view(), &[]), ThemeTree::default());
    }
}
