//! Output: puts files in place so that a reader, or the next run after a crash, never sees
//! half of one. A single file (a model, a table) goes through a temporary file renamed over
//! it; a command's output folder is written whole beside the old one and swapped with it in
//! one step, so the folder holds one run's files, never a mix of two runs or a stale file of
//! another command.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Context, Error, Result};
use crate::fail;

/// The names of the files a command writes in its output folder: what the report writes and
/// what a timeline reads back.
pub mod layout {
    /// A run.
    pub const ARTICLES: &str = "articles.parquet";
    pub const THEMES: &str = "themes.parquet";
    pub const THEME_COUNTS: &str = "theme_counts.parquet";
    pub const REJECTS: &str = "rejects.parquet";
    pub const DUPLICATES: &str = "duplicates.parquet";
    pub const METRICS: &str = "metrics.parquet";
    pub const FREQUENCY_PNG: &str = "theme_frequency.png";
    pub const TRENDS_PNG: &str = "theme_trends.png";
    pub const SUMMARY: &str = "summary.md";
    pub const TREE: &str = "theme_tree.parquet";
    pub const TREE_PNG: &str = "theme_tree.png";
    pub const STORIES: &str = "stories.parquet";
    pub const STORIES_PNG: &str = "stories.png";
    pub const SOURCES: &str = "sources.parquet";
    pub const HISTORY: &str = "history.parquet";
    pub const EXPLORE: &str = "explore.html";
    pub const SOURCES_PNG: &str = "sources.png";
    /// A comparison, besides a run's files.
    pub const COMPARISON: &str = "comparison.parquet";
    pub const KEYWORD_SHIFTS: &str = "keyword_shifts.parquet";
    pub const STORY_COMPARISON: &str = "story_comparison.parquet";
    pub const COMPARE_PNG: &str = "compare.png";
    pub const COMPARE_TERMS_PNG: &str = "compare_terms.png";
    pub const COMPARE_MD: &str = "compare.md";
    /// A timeline.
    pub const TIMELINE: &str = "timeline.parquet";
    pub const TIMELINE_PNG: &str = "timeline.png";
    pub const TIMELINE_MD: &str = "timeline.md";
}

/// Names of the temporary files [`write_atomic`] leaves behind if the process is killed.
const TEMP_PREFIX: &str = ".tidings-";

/// Writes `path` through a temporary file in the same directory, then renames it into place.
/// A file that is replaced keeps what its owner set on it: its mode (a private 0600 model
/// stays private), its owner and group where the process may set them, and a symbolic link
/// stays a link, its target replaced. The temporary file is named after the file
/// ([`temp_prefix`]), so what a killed writer left can be told apart and cleared.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let target = link_target(path);
    let path = target.as_path();
    let dir = parent_dir(path);
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(
            path.extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .as_deref()
                .unwrap_or(""),
        )
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    write(tmp.path()).with_context(|| format!("writing {}", path.display()))?;
    // Temporary files are private (0600); a new output is meant to be shared like any new
    // file, a replaced one keeps its own.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        match fs::metadata(path) {
            Ok(old) => {
                fs::set_permissions(tmp.path(), old.permissions())?;
                // Only a privileged process may give a file away; others keep their own.
                let _ = std::os::unix::fs::chown(tmp.path(), Some(old.uid()), Some(old.gid()));
            }
            Err(_) => fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))?,
        }
    }
    tmp.persist(path)
        .with_context(|| format!("moving the new {} into place", path.display()))?;
    Ok(())
}

/// Where writing `path` lands: the final target of a symbolic link, else `path`.
pub fn link_target(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// The folder `path` is in: its parent, or the current folder for a bare name.
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The start of the name of a temporary file that will become `path`.
pub fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    format!("{TEMP_PREFIX}{}-", name.unwrap_or_default())
}

/// What [`write_folder`] did.
#[derive(Debug)]
pub struct Written {
    /// The files written, under the output folder's own path.
    pub files: Vec<PathBuf>,
    /// Why the files were replaced one by one in the folder instead of swapped in as one unit
    /// (the folder holds sub-folders tidings did not write, it is the current folder, ...).
    pub in_place: Option<String>,
}

/// Writes a command's outputs into `out` as one unit. `write` fills a fresh folder (it gets
/// the folder's path and returns the names it wrote); that folder then takes `out`'s place in
/// one `renameat2(RENAME_EXCHANGE)` and the old one is removed. `owned` lists every name any
/// command writes there: other entries are the user's, and plain files among them are kept
/// (hard-linked into the new folder). When the swap cannot be done safely (the folder holds
/// the user's sub-folders, or is the current directory, or no folder can be made beside it)
/// the files are replaced one by one and `Written::in_place` says why.
///
/// `cancel` is checked once everything is written and before the swap: a run interrupted
/// there leaves the previous outputs as they were.
pub fn write_folder(
    out: &Path,
    owned: &[&str],
    cancel: Option<&AtomicBool>,
    write: impl FnOnce(&Path) -> Result<Vec<&'static str>>,
) -> Result<Written> {
    let target = resolve(out)?;
    let staged = match Staging::begin(&target, owned) {
        Ok(staged) => staged,
        Err(reason) => {
            fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
            let names = write(out)?;
            clear_in_place(out, owned, &names)?;
            return Ok(Written {
                files: names.iter().map(|n| out.join(n)).collect(),
                in_place: Some(reason),
            });
        }
    };
    let names = write(&staged.dir)?;
    staged.carry_user_files()?;
    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        fail!(Cancelled, "interrupted: {} left as it was", out.display());
    }
    staged.commit()?;
    Ok(Written {
        files: names.iter().map(|n| out.join(n)).collect(),
        in_place: None,
    })
}

/// The folder to swap: a symbolic link's target (the link stays), an absolute path otherwise.
fn resolve(out: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(out) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(out).with_context(|| format!("resolving `out` {}", out.display()))
        }
        Ok(m) if !m.is_dir() => fail!(
            Settings,
            "`out` {}: exists and is not a folder",
            out.display()
        ),
        Ok(_) => Ok(fs::canonicalize(out)?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = parent_dir(out);
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            let name = out.file_name().ok_or_else(|| {
                Error::Settings(format!("`out` {}: not a folder name", out.display()))
            })?;
            Ok(fs::canonicalize(parent)?.join(name))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", out.display())),
    }
}

/// A new output folder being written beside the one it will replace.
struct Staging {
    target: PathBuf,
    /// Whether `target` existed when the run began (else the swap is a plain rename).
    existed: bool,
    dir: PathBuf,
    /// Plain files of the user's in `target`, kept through the swap.
    user_files: Vec<std::ffi::OsString>,
    done: bool,
}

/// A staging folder's name: `.NAME.tidings-PID-N`, so a later run can tell a dead run's
/// leftovers (whose process is gone) from a live one's.
fn staging_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.tidings-")
}

impl Staging {
    /// Decides whether `target` can be swapped as a whole; `Err` says why not.
    fn begin(target: &Path, owned: &[&str]) -> std::result::Result<Staging, String> {
        let parent = target
            .parent()
            .ok_or_else(|| "it is the root folder".to_string())?;
        clear_leftovers(target);
        let existed = target.is_dir();
        let mut user_files = Vec::new();
        if existed {
            if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize) {
                if cwd.starts_with(target) {
                    return Err("it is (or holds) the current folder".into());
                }
            }
            let entries = fs::read_dir(target).map_err(|e| e.to_string())?;
            for entry in entries {
                let entry = entry.map_err(|e| e.to_string())?;
                let name = entry.file_name();
                let text = name.to_string_lossy();
                if owned.contains(&text.as_ref()) || text.starts_with(TEMP_PREFIX) {
                    continue;
                }
                match entry.file_type() {
                    Ok(t) if t.is_file() => user_files.push(name),
                    _ => return Err(format!("it holds {text}, which tidings did not write")),
                }
            }
        }
        let dir = (0..100)
            .map(|n| {
                parent.join(format!(
                    "{}{}-{n}",
                    staging_prefix(target),
                    std::process::id()
                ))
            })
            .find(|dir| fs::create_dir(dir).is_ok())
            .ok_or_else(|| format!("no folder can be made in {}", parent.display()))?;
        // The new folder takes the old one's permissions, as an edit in place would keep them.
        if existed {
            if let Ok(m) = fs::metadata(target) {
                let _ = fs::set_permissions(&dir, m.permissions());
            }
        }
        Ok(Staging {
            target: target.to_path_buf(),
            existed,
            dir,
            user_files,
            done: false,
        })
    }

    /// Links the user's files into the new folder (copies them where links are refused).
    fn carry_user_files(&self) -> Result<()> {
        for name in &self.user_files {
            let (from, to) = (self.target.join(name), self.dir.join(name));
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to)
                    .with_context(|| format!("keeping {} in the new outputs", from.display()))?;
            }
        }
        Ok(())
    }

    fn commit(mut self) -> Result<()> {
        let swap = || format!("moving the new outputs into {}", self.target.display());
        if !self.existed {
            match fs::rename(&self.dir, &self.target) {
                Ok(()) => {
                    self.done = true;
                    return Ok(());
                }
                // Another run into the same new folder put its outputs there first: this
                // run's replace them as one unit, as they would an earlier run's.
                Err(e) if self.target.is_dir() && is_not_empty(&e) => {}
                Err(e) => return Err(e).with_context(swap),
            }
        }
        if !exchange(&self.dir, &self.target).with_context(swap)? {
            // No atomic exchange here: move the old folder aside, the new one in, and let the
            // next run put the old one back if this one dies in between.
            let mut old = self.dir.clone().into_os_string();
            old.push(".old");
            let old = PathBuf::from(old);
            fs::rename(&self.target, &old).with_context(swap)?;
            if let Err(e) = fs::rename(&self.dir, &self.target) {
                let _ = fs::rename(&old, &self.target);
                return Err(e).with_context(swap);
            }
            fs::rename(&old, &self.dir).with_context(swap)?;
        }
        // `dir` now holds the previous outputs.
        let _ = fs::remove_dir_all(&self.dir);
        self.done = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The error of renaming a folder onto a folder that is not empty (ENOTEMPTY, or EEXIST on
/// some systems).
fn is_not_empty(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::DirectoryNotEmpty || e.kind() == io::ErrorKind::AlreadyExists
}

/// Swaps two paths in one step; `Ok(false)` when the system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

/// Removes the staging folders of runs that died (killed, power cut) beside `target`, and
/// puts back a previous output folder that a dying run had moved aside.
fn clear_leftovers(target: &Path) {
    let (Some(parent), prefix) = (target.parent(), staging_prefix(target)) else {
        return;
    };
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_none_or(alive) {
            continue;
        }
        if rest.ends_with(".old") && !target.exists() {
            let _ = fs::rename(entry.path(), target);
        } else {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: signal 0 only asks whether the process exists.
    unsafe {
        libc::kill(pid, 0) == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
}

#[cfg(not(unix))]
fn alive(pid: u32) -> bool {
    pid == std::process::id()
}

/// After writing in place: removes what another command left (its files `names` did not
/// replace) and the temporary files of a run killed while writing.
fn clear_in_place(out: &Path, owned: &[&str], names: &[&str]) -> Result<()> {
    for entry in fs::read_dir(out).with_context(|| format!("reading {}", out.display()))? {
        let entry = entry.with_context(|| format!("reading {}", out.display()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = (owned.contains(&name.as_ref()) && !names.contains(&name.as_ref()))
            || name.starts_with(TEMP_PREFIX);
        if stale {
            match fs::remove_file(entry.path()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("removing the stale {}", entry.path().display()))
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNED: [&str; 3] = ["a.txt", "b.txt", "c.txt"];

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    fn writes(
        files: &'static [&'static str],
        text: &'static str,
    ) -> impl FnOnce(&Path) -> Result<Vec<&'static str>> {
        move |dir| {
            for f in files {
                fs::write(dir.join(f), text)?;
            }
            Ok(files.to_vec())
        }
    }

    /// The new folder replaces the old whole: files of the old run that the new one did not
    /// write are gone, the user's own file stays, no staging folder is left beside it.
    #[test]
    fn swaps_the_whole_folder_and_keeps_user_files() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let w = write_folder(&out, &OWNED, None, writes(&["a.txt", "b.txt"], "1")).unwrap();
        assert_eq!(w.in_place, None);
        assert_eq!(w.files, [out.join("a.txt"), out.join("b.txt")]);
        fs::write(out.join("notes.md"), "mine").unwrap();
        fs::write(out.join(".tidings-dead.parquet"), "half").unwrap();
        let w = write_folder(&out, &OWNED, None, writes(&["a.txt", "c.txt"], "2")).unwrap();
        assert_eq!(w.in_place, None);
        assert_eq!(names(&out), ["a.txt", "c.txt", "notes.md"]);
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "2");
        assert_eq!(fs::read_to_string(out.join("notes.md")).unwrap(), "mine");
        assert_eq!(names(root.path()), ["out"]);
    }

    /// A failed or interrupted write leaves the previous folder exactly as it was.
    #[test]
    fn failure_or_cancel_leaves_the_old_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        write_folder(&out, &OWNED, None, writes(&["a.txt", "b.txt"], "1")).unwrap();
        let failed = write_folder(&out, &OWNED, None, |dir| {
            fs::write(dir.join("a.txt"), "2")?;
            Err(std::io::Error::other("disk full").into())
        });
        assert!(failed.is_err());
        let cancel = AtomicBool::new(true);
        let e = write_folder(&out, &OWNED, Some(&cancel), writes(&["c.txt"], "3")).unwrap_err();
        assert!(e.to_string().contains("interrupted"), "{e}");
        assert_eq!(names(&out), ["a.txt", "b.txt"]);
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "1");
        assert_eq!(names(root.path()), ["out"]);
    }

    /// What a killed run leaves beside the folder is cleared by the next run; a live run's
    /// staging folder is not touched; an old folder moved aside by a dead run comes back.
    #[test]
    fn leftovers_of_dead_runs_are_cleared() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        write_folder(&out, &OWNED, None, writes(&["a.txt"], "1")).unwrap();
        // No process has pid 4194304 + ... on Linux (pid_max is at most 2^22).
        let dead = root.path().join(".out.tidings-4194999-0");
        let live = root
            .path()
            .join(format!(".out.tidings-{}-7", std::process::id()));
        fs::create_dir(&dead).unwrap();
        fs::create_dir(&live).unwrap();
        write_folder(&out, &OWNED, None, writes(&["b.txt"], "2")).unwrap();
        assert!(!dead.exists());
        assert!(live.exists());
        fs::remove_dir(&live).unwrap();

        let aside = root.path().join(".out.tidings-4194999-1.old");
        fs::rename(&out, &aside).unwrap();
        clear_leftovers(&out);
        assert_eq!(names(&out), ["b.txt"]);
        assert_eq!(names(root.path()), ["out"]);
    }

    /// A folder holding the user's sub-folders is not swapped (they would move with it): its
    /// files are replaced one by one, stale ones removed, and the reason given.
    #[test]
    fn a_folder_with_user_folders_is_written_in_place() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir_all(out.join("mine")).unwrap();
        fs::write(out.join("b.txt"), "old").unwrap();
        fs::write(out.join(".tidings-x.png"), "half").unwrap();
        let w = write_folder(&out, &OWNED, None, writes(&["a.txt"], "1")).unwrap();
        assert!(w.in_place.unwrap().contains("mine"));
        assert_eq!(names(&out), ["a.txt", "mine"]);
    }

    /// `--out` given as a symbolic link: the folder it points to is replaced, the link stays.
    #[cfg(unix)]
    #[test]
    fn a_linked_folder_is_replaced_behind_the_link() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real");
        fs::create_dir(&real).unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let w = write_folder(&link, &OWNED, None, writes(&["a.txt"], "1")).unwrap();
        assert_eq!(w.in_place, None);
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(names(&real), ["a.txt"]);
    }
}
