//! What the commands print: the run's summary lines, the files written, JSON, models, and
//! errors in the command line's words.

use super::*;

pub(super) fn print_written(written: &[PathBuf]) {
    println!("wrote:");
    for p in written {
        println!("  {}", p.display());
    }
}

/// `tidings model show`: one line per theme.
pub(super) fn model_table(m: &ThemeModel) -> String {
    use std::fmt::Write;
    let mut s = format!(
        "{} themes, {} terms, {} dimensions; the next new theme gets id {}\n\n",
        m.k(),
        m.vocabulary.len(),
        m.dims,
        m.next_id
    );
    let width = m
        .themes
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        s,
        "{:>4}  {:<width$}  {:>8}  {:<21}  top terms",
        "id", "name", "articles", "born"
    );
    for t in &m.themes {
        let terms: Vec<&str> = t.top_terms.iter().take(6).map(String::as_str).collect();
        let _ = writeln!(
            s,
            "{:>4}  {:<width$}  {:>8}  {:<21}  {}",
            t.id,
            t.name,
            t.size,
            t.born,
            terms.join(", ")
        );
    }
    if !m.ledger.entries.is_empty() {
        let _ = writeln!(s, "\nabsorbed:");
        for e in &m.ledger.entries {
            let _ = writeln!(
                s,
                "  {:<6}  {:<21}  {:>7} articles  {}  from {}",
                e.kind,
                e.periods,
                e.articles,
                e.at,
                e.inputs.join(", ")
            );
        }
    }
    s
}

pub(super) fn model_json(m: &ThemeModel) -> serde_json::Value {
    serde_json::json!({
        "themes": m.themes.iter().map(|t| serde_json::json!({
            "theme_id": t.id,
            "name": t.name,
            "label": t.label,
            "size": t.size,
            "born": t.born,
            "top_terms": t.top_terms,
        })).collect::<Vec<_>>(),
        "next_id": m.next_id,
        "terms": m.vocabulary.len(),
        "dims": m.dims,
        "max_distance": m.max_distance,
        "model": crate::report::tables::model_id_text(m.ledger.id),
        "ledger": m.ledger.entries.iter().map(|e| serde_json::json!({
            "kind": e.kind,
            "periods": e.periods,
            "articles": e.articles,
            "at": e.at,
            "inputs": e.inputs,
            "fingerprint": format!("{:016x}", e.fingerprint),
        })).collect::<Vec<_>>(),
        "replaceable": m.ledger.undo.is_some(),
    })
}

/// The run's summary for scripts: accounting, choice of k, themes, metrics, files written.
pub(super) fn json_summary(
    a: &crate::pipeline::Analysis,
    written: &[PathBuf],
) -> serde_json::Value {
    serde_json::json!({
        "articles_read": a.n_read,
        "clustered": a.articles.len(),
        "duplicates": a.duplicates.len(),
        "rejected": a.rejects.len(),
        "k": a.themes.themes.len(),
        "k_choice": a.clustering.choice.describe(a.clustering.k),
        "stability": a.themes.stability(),
        "themes": a.themes.themes.iter().map(|t| serde_json::json!({
            "theme_id": t.id,
            "name": t.name,
            "label": t.label,
            "size": t.size,
            "share": t.share,
            "stability": t.stability,
            "unstable": t.unstable(),
            "top_terms": t.top_terms,
            "representative_ids": t.representatives.iter().map(|&i| &a.articles[i].id).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "metrics": a.metrics.as_ref().map(|m| m.rows().iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>()),
        "timings_seconds": a.timings.iter().map(|(s, d)| (s.to_string(), d.as_secs_f64())).collect::<std::collections::BTreeMap<_, _>>(),
        "outputs": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    })
}

pub(super) fn report_run(analysis: &crate::pipeline::Analysis) {
    println!("{}", report::summary::accounting(analysis));
    println!(
        "{}",
        analysis.clustering.choice.describe(analysis.clustering.k)
    );
    for t in &analysis.themes.themes {
        println!(
            "  T{:<2} {:>5} articles  {}  ({})",
            t.id, t.size, t.name, t.label
        );
    }
}

/// Entry point for the binary: errors are printed with their whole context chain.
/// The library's message in the command line's words: each setting it names (`` `min_df` ``)
/// as the flag that sets it (`--min-df`).
pub(super) fn with_flags(message: &str) -> String {
    use clap::CommandFactory;
    let cli = Cli::command();
    let flags: std::collections::BTreeSet<String> = cli
        .get_subcommands()
        .flat_map(|c| c.get_arguments())
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect();
    crate::error::Error::with_flags(message, |setting| {
        let flag = setting.replace('_', "-");
        flags.contains(&flag).then(|| format!("--{flag}"))
    })
}
