//! `summary.md`: what a person reads first. It states the accounting (read = clustered +
//! duplicates + rejected), the parameters, why k was chosen, the themes and the charts.

use std::fmt::Write;

use crate::cluster::KChoice;
use crate::pipeline::{location, Analysis, UNASSIGNED};

const LISTED: usize = 20;
/// Unassigned articles needed (and at least 5% of the run) before calling them a new theme.
const NEW_THEME_MIN: usize = 5;

/// "Fastest rising in 1987-W15 against 1987-W14: ...": the three themes whose share of the
/// last dated period grew most against the period before.
pub(super) fn fastest_rising(o: &super::Overview) -> Option<String> {
    let tr = o.trends;
    let dated: Vec<usize> = (0..tr.buckets.len())
        .filter(|&b| tr.buckets[b].start().is_some())
        .collect();
    let [.., prev, last] = dated.as_slice() else {
        return None;
    };
    let share = |b: usize, t: usize| {
        let total = tr.period_total(b);
        if total == 0 {
            0.0
        } else {
            tr.counts[b][t] as f64 / total as f64
        }
    };
    let mut change: Vec<(usize, f64)> = (0..o.themes.len())
        .map(|t| (t, share(*last, t) - share(*prev, t)))
        .filter(|&(_, d)| d > 0.0)
        .collect();
    change.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    if change.is_empty() {
        return None;
    }
    let items: Vec<String> = change
        .iter()
        .take(3)
        .map(|&(t, d)| {
            format!(
                "T{} {} ({} → {} articles, {:+.1} points)",
                o.themes[t].id,
                o.themes[t].name,
                tr.counts[*prev][t],
                tr.counts[*last][t],
                d * 100.0
            )
        })
        .collect();
    Some(format!(
        "**Fastest rising in {} against {}:** {}.",
        tr.buckets[*last],
        tr.buckets[*prev],
        items.join("; ")
    ))
}

/// Text as a Markdown table cell that renders as written: Reuters' `<ABEV>` tickers would
/// otherwise be taken for HTML tags and vanish, and `*`, `_` or a backtick would format.
pub(super) fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A theme's stability as a table cell: "0.93", "0.41 (unstable)" or "–" when not measured.
pub(super) fn stability_cell(t: &crate::themes::Theme) -> String {
    // Cut, not rounded, to two places: 0.599 shown as "0.60 (unstable)" would contradict the
    // threshold of 0.6 it is flagged against.
    let shown = |v: f64| (v * 100.0).floor() / 100.0;
    match t.stability {
        Some(v) if t.unstable() => format!("{:.2} (unstable)", shown(v)),
        Some(v) => format!("{:.2}", shown(v)),
        None => "–".to_string(),
    }
}

/// What the stability numbers mean, with the fit's overall figure and its unstable themes
/// (the text after a "Stability:" label).
pub fn stability_line(a: &Analysis) -> Option<String> {
    let st = a.clustering.stability.as_ref()?;
    let overall = a.themes.stability()?;
    let unstable: Vec<String> = a
        .themes
        .themes
        .iter()
        .filter(|t| t.unstable())
        .map(|t| format!("T{} {}", t.id, t.name))
        .collect();
    let mut line = format!(
        "{overall:.2} overall (articles' themes, weighted by size). A theme's \
         stability is how often its articles came back together across {} restarts, {} (the \
         mean Jaccard similarity with the restart's closest theme; 1 = every time).",
        st.restarts,
        if st.rows < a.articles.len() {
            format!("each on {} articles drawn anew", st.rows)
        } else {
            "each on every article (too few to subsample: this measures only where the \
             restarts start)"
                .to_string()
        }
    );
    if unstable.is_empty() {
        let _ = write!(
            line,
            " Every theme is at {:.1} or above.",
            crate::cluster::UNSTABLE_BELOW
        );
    } else {
        let _ = write!(
            line,
            " Unstable (below {:.1}; may split or merge on a refit, and a name may fit only \
             part of it): {}.",
            crate::cluster::UNSTABLE_BELOW,
            unstable.join("; ")
        );
    }
    Some(line)
}

/// How close the choice of k was: by how much the chosen k cleared the band and the best
/// smaller k missed it. `chosen` is the k the silhouettes chose (without declared themes).
fn runner_up(scores: &[crate::cluster::KScore], chosen: usize) -> Option<String> {
    let band = crate::cluster::k_band(scores);
    let own = scores.iter().find(|s| s.k == chosen)?;
    let mut line = format!(
        "The band starts at {band:.4}; k = {chosen} cleared it by {:.4}.",
        own.mean - band
    );
    if let Some(below) = scores
        .iter()
        .filter(|s| s.k < chosen)
        .max_by(|a, b| a.mean.total_cmp(&b.mean).then(b.k.cmp(&a.k)))
    {
        let _ = write!(
            line,
            " The best smaller k, k = {} at {:.4}, missed it by {:.4}.",
            below.k,
            below.mean,
            band - below.mean
        );
    }
    line.push_str(
        " A margin of a few thousandths is within the noise of the scores: another seed may \
         then choose a neighbouring k, so give `--k` to hold it week after week.",
    );
    Some(line)
}

/// The read = clustered + duplicates + rejected line, shared by the summary and the terminal.
pub fn accounting(a: &Analysis) -> String {
    format!(
        "{} articles read = {} clustered + {} duplicates + {} rejected",
        a.n_read,
        a.articles.len(),
        a.duplicates.len(),
        a.rejects.len()
    )
}

pub fn render(a: &Analysis) -> String {
    let mut s = String::new();
    header(&mut s, a);
    evaluation(&mut s, a);
    k_choice(&mut s, a);
    themes(&mut s, a);
    top_stories(&mut s, a);
    against_the_model(&mut s, a);
    rising_and_charts(&mut s, a);
    set_aside(&mut s, a);
    s
}

/// The title, the accounting, the parameters, time and memory.
fn header(s: &mut String, a: &Analysis) {
    let c = &a.config;
    let inputs: Vec<String> = c.inputs.iter().map(|p| p.display().to_string()).collect();
    let _ = writeln!(s, "# tidings: themes in {}\n", inputs.join(", "));
    let _ = writeln!(s, "- **Articles:** {}", accounting(a));
    let _ = writeln!(
        s,
        "- **Themes:** {}",
        a.clustering.choice.describe(a.clustering.k)
    );
    if c.mode.model().is_some() {
        let _ = writeln!(s, "- **Parameters:** {}", model_parameters(a));
    } else {
        fit_parameters(s, a);
    }
    let _ = writeln!(s, "- **Vocabulary:** {} terms", a.model.n_terms());
    let timings: Vec<String> = a
        .timings
        .iter()
        .map(|(stage, d)| format!("{stage} {:.2}s", d.as_secs_f64()))
        .collect();
    let _ = writeln!(s, "- **Time:** {}", timings.join(", "));
    if let Some((_, peak)) = crate::pipeline::memory_mib() {
        let _ = writeln!(s, "- **Peak memory:** {peak} MiB");
    }
}

/// The settings a run with a model used: the model's where it fixes them (the settings'
/// own values for those were refused or overridden), the run's for the rest.
pub fn model_parameters(a: &Analysis) -> String {
    let c = &a.config;
    let dedup = c
        .settings
        .dedup
        .as_ref()
        .map_or("off (duplicates kept)".to_string(), |d| {
            d.threshold.to_string()
        });
    let mut out = format!(
        "the model's themes, vocabulary (bigrams = {}, sublinear tf = {}) and LSA dimensions \
         ({}); unassigned beyond distance {:.3}; period = {}, near-duplicate threshold = {dedup}",
        a.model.bigrams(),
        a.model.sublinear_tf(),
        a.lsa
            .as_ref()
            .map_or("none (TF-IDF)".to_string(), |l| l.dims().to_string()),
        c.mode.max_distance().unwrap_or(f64::NAN),
        c.settings.period,
    );
    if let crate::pipeline::Mode::Update(_) = c.mode {
        out.push_str(&format!(
            "; new themes: seed = {}, k-means restarts = {}",
            c.settings.cluster.seed, c.settings.cluster.n_runs
        ));
    }
    out
}

/// The settings of a fit.
fn fit_parameters(s: &mut String, a: &Analysis) {
    let c = &a.config;
    let _ = writeln!(
        s,
        "- **Parameters:** k = {}, seed = {}, period = {}, min_df = {}, max_df = {}, \
         bigrams = {}, sublinear tf = {}, LSA dimensions = {}, k-means restarts = {}, \
         near-duplicate threshold = {}",
        c.settings
            .cluster
            .k
            .map_or("auto".to_string(), |k| k.to_string()),
        c.settings.cluster.seed,
        c.settings.period,
        c.settings.tfidf.min_df,
        c.settings.tfidf.max_df,
        c.settings.tfidf.bigrams,
        c.settings.tfidf.sublinear_tf,
        a.lsa
            .as_ref()
            .map_or("none (TF-IDF)".to_string(), |l| l.dims().to_string()),
        c.settings.cluster.n_runs,
        c.settings
            .dedup
            .as_ref()
            .map_or("off (duplicates kept)".to_string(), |d| d
                .threshold
                .to_string())
    );
}

/// Scores against the label field, when there is one.
fn evaluation(s: &mut String, a: &Analysis) {
    let c = &a.config;
    if let Some(m) = &a.metrics {
        let _ = writeln!(
            s,
            "\n### Against the labels in `{}` ({} labelled articles)\n\n| NMI | ARI | V-measure | homogeneity | completeness | purity |\n|---:|---:|---:|---:|---:|---:|\n| {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            c.settings.label_field.as_deref().unwrap_or(""),
            m.n,
            m.nmi,
            m.ari,
            m.v_measure,
            m.homogeneity,
            m.completeness,
            m.purity
        );
    }
}

/// Why k was chosen, when it was: the silhouette of each k and the runner-up.
fn k_choice(s: &mut String, a: &Analysis) {
    if let KChoice::Silhouette { scores, chosen, .. } = &a.clustering.choice {
        let _ = writeln!(
            s,
            "\n### Choosing k\n\n{}\n\n| k | mean silhouette | standard error |\n|---:|---:|---:|",
            a.clustering.choice.describe(a.clustering.k)
        );
        let chosen = *chosen;
        for sc in scores {
            let mark = if sc.k == chosen { " ←" } else { "" };
            let _ = writeln!(s, "| {} | {:.4}{mark} | {:.4} |", sc.k, sc.mean, sc.se);
        }
        if let Some(line) = runner_up(scores, chosen) {
            let _ = writeln!(s, "\n{line}");
        }
    }
}

/// The themes table and the stability line.
fn themes(s: &mut String, a: &Analysis) {
    let _ = writeln!(
        s,
        "\n## Themes\n\n| theme | name | top terms | articles | share | stability | most central headlines |\n|---:|---|---|---:|---:|---:|---|"
    );
    for t in &a.themes.themes {
        let heads: Vec<String> = t
            .representatives
            .iter()
            .map(|&i| cell(&a.headline(i, 80)))
            .collect();
        let _ = writeln!(
            s,
            "| T{} | {} | {} | {} | {:.1}% | {} | {} |",
            t.id,
            cell(&t.name),
            cell(&t.top_terms.join(", ")),
            t.size,
            t.share * 100.0,
            stability_cell(t),
            heads.join("<br>")
        );
    }
    if let Some(line) = stability_line(a) {
        let _ = writeln!(s, "\n**Stability:** {line}");
    }
}

/// A story's row in the Top stories tables: `[id, name, theme, articles, copies, sources,
/// days, central headline]`, as text.
pub(super) fn story_cells(a: &Analysis, s: &crate::stories::Story) -> [String; 8] {
    let theme = &a.themes.themes[s.theme];
    let mut days = match (s.first, s.last) {
        (Some(f), Some(l)) if f == l => f.format("%Y-%m-%d").to_string(),
        (Some(f), Some(l)) => format!("{} to {}", f.format("%Y-%m-%d"), l.format("%m-%d")),
        _ => "undated".to_string(),
    };
    if let Some(began) = s.continued {
        days.push_str(&format!(" (going on since {})", began.format("%Y-%m-%d")));
    }
    [
        format!("S{}", s.id),
        s.name.clone(),
        format!("T{} {}", theme.id, theme.name),
        s.size().to_string(),
        s.copies.to_string(),
        s.sources.to_string(),
        days,
        a.headline(s.central, 100),
    ]
}

/// The largest stories and the fastest-growing, and how many there are.
fn top_stories(s: &mut String, a: &Analysis) {
    let st = &a.stories;
    let multi = st.stories.iter().filter(|x| x.is_multi()).count();
    let in_multi: usize = st
        .stories
        .iter()
        .filter(|x| x.is_multi())
        .map(|x| x.size())
        .sum();
    let _ = writeln!(
        s,
        "
## Top stories

{} stories: {multi} told by more than one article ({in_multi} articles), the rest single reports (all in stories.parquet).",
        st.stories.len()
    );
    let top = st.top(&a.articles);
    if top.largest.is_empty() {
        return;
    }
    let header =
        "| story | name | theme | articles | copies | sources | days | most central headline |
|---:|---|---|---:|---:|---:|---|---|";
    let row = |x: &crate::stories::Story| {
        let c = story_cells(a, x).map(|c| cell(&c));
        format!("| {} |", c.join(" | "))
    };
    let _ = writeln!(
        s,
        "
**Largest:**

{header}"
    );
    for x in &top.largest {
        let _ = writeln!(s, "{}", row(x));
    }
    if !top.growing.is_empty() {
        let _ = writeln!(
            s,
            "
**Fastest-growing** (articles in the last {} days against the {} before):
",
            crate::stories::GROWTH_DAYS,
            crate::stories::GROWTH_DAYS
        );
        for g in &top.growing {
            let _ = writeln!(
                s,
                "- S{} {} ({} → {}): {}",
                g.story.id,
                cell(&g.story.name),
                g.before,
                g.recent,
                cell(&a.headline(g.story.central, 100))
            );
        }
    }
    let _ = writeln!(
        s,
        "
![Top stories, articles per day](stories.png)"
    );
}

/// With a model: which saved themes took a larger or smaller share of this run than of all
/// the model has absorbed, and which stories stand out against it, each tested together
/// (Benjamini-Hochberg q-values over the themes, over the stories), so twenty themes do not
/// give one rise by chance. The figures are in `history.parquet`.
fn history(s: &mut String, a: &Analysis) {
    use crate::compare::{against_history, theme_trend, FDR};
    let Some(h) = against_history(a) else {
        return;
    };
    let list = |trend: &str| -> Vec<String> {
        crate::compare::largest_first(h.themes.iter().map(|t| &t.1))
            .into_iter()
            .map(|p| &h.themes[p])
            .filter(|(_, c)| theme_trend(c) == trend)
            .map(|(i, c)| {
                let t = &a.themes.themes[*i];
                format!(
                    "T{} {} ({:.1}% → {:.1}%, q {:.3})",
                    t.id,
                    cell(&t.name),
                    c.share_before * 100.0,
                    c.share_after * 100.0,
                    c.q_value
                )
            })
            .collect()
    };
    let (rose, fell) = (list("rose"), list("fell"));
    let _ = write!(
        s,
        "\n**Against the model's history** ({} articles absorbed before this run; a \
         change counts at a Benjamini-Hochberg q-value of {FDR} or less over the themes, and \
         over the stories; `history.parquet`): ",
        h.saved
    );
    if rose.is_empty() && fell.is_empty() {
        let _ = write!(s, "no saved theme's share differs.");
    } else {
        let or_none = |l: &[String]| {
            if l.is_empty() {
                "none".to_string()
            } else {
                l.join(", ")
            }
        };
        let _ = write!(s, "rose {}; fell {}.", or_none(&rose), or_none(&fell));
    }
    let _ = writeln!(s, " {}", history_stories(a, &h));
}

/// How the stories stand against the model's history, in a sentence.
pub(super) fn history_stories(a: &Analysis, h: &crate::compare::History) -> String {
    use crate::compare::{StoryChange, FDR};
    let count = |f: &dyn Fn(&StoryChange) -> bool| h.stories.iter().filter(|c| f(c)).count();
    let new = count(&|c| c.change.before == 0 && c.change.q_value <= FDR);
    let fading = count(&|c| c.status() == "fading");
    let mut grown: Vec<&StoryChange> = h
        .stories
        .iter()
        .filter(|c| c.status() == "growing")
        .collect();
    grown.sort_by(|x, y| {
        y.change
            .z
            .total_cmp(&x.change.z)
            .then(x.story.cmp(&y.story))
    });
    let names: Vec<String> = grown
        .iter()
        .take(3)
        .map(|c| cell(&a.stories.stories[c.story].name))
        .collect();
    format!(
        "Stories: {new} new ones stand out, {} carried on grew{}, {fading} faded.",
        grown.len(),
        if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", names.join("; "))
        }
    )
}

/// With a model: the unassigned articles, and the themes an update formed.
fn against_the_model(s: &mut String, a: &Analysis) {
    let c = &a.config;
    history(s, a);
    if let Some(u) = a.themes.themes.iter().find(|t| t.name == UNASSIGNED) {
        let threshold = c.mode.max_distance().unwrap_or(f64::NAN);
        let coverage = c.mode.model().map_or(f64::NAN, |m| m.min_coverage);
        let _ = writeln!(
            s,
            "\n**Unassigned:** {} articles ({:.1}%) are unlike every saved theme (T{} above): \
             farther than {threshold:.3} from the nearest centroid, or with less than {:.0}% of \
             their words in the model's vocabulary.",
            u.size,
            u.share * 100.0,
            u.id,
            coverage * 100.0
        );
        if u.size >= NEW_THEME_MIN.max((a.articles.len() as f64 * 0.05).ceil() as usize) {
            let _ = writeln!(
                s,
                "A new theme may be forming: the words most of them share are {}.",
                u.top_terms.join(", ")
            );
        }
    }
    if !a.formed().is_empty() {
        let _ = writeln!(
            s,
            "\n**New themes** formed this run from articles the model did not cover (born {}):",
            a.trends.span()
        );
        for t in a.formed() {
            let _ = writeln!(s, "- T{} {} ({} articles)", t.id, cell(&t.name), t.size);
        }
    }
}

/// The fastest-rising themes and the charts.
fn rising_and_charts(s: &mut String, a: &Analysis) {
    let c = &a.config;
    if let Some(rising) = fastest_rising(&a.overview()) {
        let _ = writeln!(s, "\n{rising}");
    }
    let _ = writeln!(
        s,
        "\n## Charts\n\n![Articles per theme](theme_frequency.png)\n\n![Articles per theme per {}](theme_trends.png)\n\n![The themes grouped by closeness](theme_tree.png)",
        c.settings.period
    );
}

/// Duplicates, rejects and warnings, the first of each listed.
fn set_aside(s: &mut String, a: &Analysis) {
    if !a.duplicates.is_empty() {
        let _ = writeln!(
            s,
            "\n## Duplicates ({}; all in duplicates.parquet)\n",
            a.duplicates.len()
        );
        for d in a.duplicates.iter().take(LISTED) {
            let place = d.line.map_or(d.file.clone(), |l| format!("{}:{l}", d.file));
            let _ = writeln!(
                s,
                "- `{place}` {} copy (similarity {:.2}) of `{}`: {}",
                if d.exact { "exact" } else { "near" },
                d.similarity,
                d.duplicate_of,
                cell(&d.title)
            );
        }
    }
    if !a.rejects.is_empty() {
        let _ = writeln!(
            s,
            "\n## Rejected ({}; all in rejects.parquet)\n",
            a.rejects.len()
        );
        for r in a.rejects.iter().take(LISTED) {
            let _ = writeln!(s, "- `{}`: {}", location(r), r.reason);
        }
    }
    if !a.warnings.is_empty() {
        let _ = writeln!(s, "\n## Warnings ({})\n", a.warnings.len());
        for w in a.warnings.iter().take(LISTED) {
            let _ = writeln!(s, "- {w}");
        }
        if a.warnings.len() > LISTED {
            let _ = writeln!(s, "- … and {} more", a.warnings.len() - LISTED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_render_as_written() {
        assert_eq!(
            cell("AMBEV <ABEV> UP | 2*3\nnext"),
            "AMBEV \\<ABEV\\> UP \\| 2\\*3 next"
        );
        assert_eq!(cell("U.S. trade"), "U.S. trade");
    }
}
