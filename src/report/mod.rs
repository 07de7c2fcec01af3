//! Report: writes a run's tables, charts and summary into the output folder. Every file is
//! written to a temporary file in the same folder and renamed into place, so a reader never
//! sees a half-written table and a failed run leaves the previous outputs intact.

pub mod charts;
pub mod comparison;
pub mod html;
pub mod summary;
pub mod tables;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{DataFrame, ParquetWriter};

use crate::pipeline::Analysis;

/// Names of the files a run writes.
pub const ARTICLES: &str = "articles.parquet";
pub const THEMES: &str = "themes.parquet";
pub const THEME_COUNTS: &str = "theme_counts.parquet";
pub const REJECTS: &str = "rejects.parquet";
pub const DUPLICATES: &str = "duplicates.parquet";
pub const METRICS: &str = "metrics.parquet";
pub const FREQUENCY_PNG: &str = "theme_frequency.png";
pub const TRENDS_PNG: &str = "theme_trends.png";
pub const SUMMARY: &str = "summary.md";

/// Writes `path` through a temporary file in the same directory, then renames it into place.
pub(crate) fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".tidings-")
        .suffix(
            path.extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .as_deref()
                .unwrap_or(""),
        )
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    write(tmp.path()).with_context(|| format!("writing {}", path.display()))?;
    // Temporary files are private (0600); outputs are meant to be shared like any new file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path)
        .with_context(|| format!("moving the new {} into place", path.display()))?;
    Ok(())
}

pub(crate) fn write_parquet(path: &Path, mut df: DataFrame) -> Result<()> {
    write_atomic(path, |tmp| {
        let mut file = fs::File::create(tmp)?;
        ParquetWriter::new(&mut file).finish(&mut df)?;
        file.flush()?;
        Ok(())
    })
}

/// Writes every output of a run into `out` (created if missing); returns the paths written.
pub fn write_all(a: &Analysis, out: &Path) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let path = |name: &str| out.join(name);
    // The articles table (zstd over every text) and the two charts each take tens of
    // milliseconds and share nothing: write them side by side.
    let (tables, charts) = rayon::join(
        || -> Result<bool> {
            write_parquet(&path(ARTICLES), tables::articles(a)?)?;
            write_parquet(&path(THEMES), tables::themes(a)?)?;
            write_parquet(&path(THEME_COUNTS), tables::theme_counts(a)?)?;
            write_parquet(&path(DUPLICATES), tables::duplicates(a)?)?;
            write_parquet(&path(REJECTS), tables::rejects(a)?)?;
            let metrics = tables::metrics(a)?;
            let wrote = metrics.is_some();
            if let Some(df) = metrics {
                write_parquet(&path(METRICS), df)?;
            }
            Ok(wrote)
        },
        || -> Result<()> {
            let (frequency, trends) = rayon::join(
                || write_atomic(&path(FREQUENCY_PNG), |tmp| charts::theme_frequency(a, tmp)),
                || write_atomic(&path(TRENDS_PNG), |tmp| charts::theme_trends(a, tmp)),
            );
            frequency.and(trends)
        },
    );
    let wrote_metrics = tables?;
    charts?;
    let summary = summary::render(a);
    write_atomic(&path(SUMMARY), |tmp| Ok(fs::write(tmp, &summary)?))?;
    html::write(a, None, out)?;
    let mut names = vec![ARTICLES, THEMES, THEME_COUNTS, DUPLICATES, REJECTS];
    if wrote_metrics {
        names.push(METRICS);
    }
    names.extend([FREQUENCY_PNG, TRENDS_PNG, SUMMARY, html::INDEX]);
    Ok(names.iter().map(|n| path(n)).collect())
}
