//! Command line: parses arguments into a [`RunConfig`], runs the pipeline and the report, and
//! prints where things went. Everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::compare::{CompareInput, DateRange};
use crate::config::FileConfig;
use crate::model::ThemeModel;
use crate::pipeline::{analyze, FitMode, Mode, ModelMode, RunConfig, Settings};
use crate::report;
use crate::text::Language;
use crate::trends::Period;

mod args;
mod commands;
mod print;

pub use args::*;
use commands::*;
use print::*;

/// Set by Ctrl-C or SIGTERM (see [`stop_on_signals`]); a run checks it between stages.
static INTERRUPTED: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();

fn interrupted() -> bool {
    INTERRUPTED.get().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// Ctrl-C (SIGINT) and SIGTERM stop a run at its next stage instead of killing it mid-write:
/// the files already in place stay whole, temporary files are removed as the run unwinds, and
/// the process exits 130 or 143 with one line. A second signal ends it at once. Returns the
/// flag that says the stop was a SIGTERM.
#[cfg(unix)]
fn stop_on_signals() -> Option<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let stop = Arc::new(AtomicBool::new(false));
    let term = Arc::new(AtomicBool::new(false));
    for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        // Registered first, so it sees the flag as the previous signal left it.
        flag::register_conditional_shutdown(signal, code, stop.clone()).ok()?;
        flag::register(signal, stop.clone()).ok()?;
    }
    flag::register(SIGTERM, term.clone()).ok()?;
    INTERRUPTED.set(stop).ok()?;
    Some(term)
}

/// Input below which a run keeps mimalloc's 1 s purge delay (a gzip file counts four times
/// its size): about 1.4 million full-length articles. Below it memory handed back after 10 ms
/// is soon needed again and comes back as page faults, costing more time than the lower peak
/// is worth: a million full-length articles take 5% less time with 1 s, and peak at 4.2-4.3
/// GiB (figures in docs/quality.md, *Memory*; nothing between a million and the threshold
/// was measured).
#[cfg(target_os = "linux")]
const SMALL_INPUT: u64 = 3 << 30;

/// Sets how memory is paged and returned for a run on `inputs`.
///
/// Transparent huge pages go off: the allocator asks for 2 MiB pages, and on virtual machines
/// that hand freed memory back to the host each one faults heavily, so a run spends much of
/// its time in page faults. On input over [`SMALL_INPUT`], freed memory is returned after
/// 10 ms instead of mimalloc's 1 s: the stages free and allocate hundreds of megabytes in
/// bursts, and the long delay lets a burst's new memory arrive before the old is returned,
/// raising the peak. Returning at once (0 ms) would make every small free a system call.
/// Smaller runs keep the default delay (see [`SMALL_INPUT`]).
/// `MIMALLOC_ALLOW_THP` and `MIMALLOC_PURGE_DELAY`, when set, decide instead.
#[cfg(target_os = "linux")]
fn memory_policy_for(inputs: &[PathBuf]) {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: sets a flag of this process that the kernel reads on page faults; no
        // memory of ours is touched.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
    if !input_is_small(inputs) && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mimalloc reads its options at any time; setting one touches no memory of
        // ours.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}

/// How long freed memory waits before it goes back to the system on large input.
#[cfg(target_os = "linux")]
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// `mi_option_purge_delay` in the `mi_option_t` of the mimalloc that `libmimalloc-sys`
/// builds (its Rust bindings do not name it); a unit test checks it reads that version's
/// default, 1000 ms.
#[cfg(target_os = "linux")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Whether the files `inputs` name (folders walked as reading walks them) hold less than
/// [`SMALL_INPUT`].
#[cfg(target_os = "linux")]
fn input_is_small(inputs: &[PathBuf]) -> bool {
    let total: u64 = crate::corpus::input_files(inputs)
        .iter()
        .map(|file| {
            let len = std::fs::metadata(file).map_or(0, |m| m.len());
            let gz = file.extension().is_some_and(|e| e == "gz");
            len * if gz { 4 } else { 1 }
        })
        .sum();
    total < SMALL_INPUT
}

pub fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away
    // (`tidings run | head -1`) instead of panicking on the failed print: Rust ignores
    // SIGPIPE by default. The outputs are written before anything is printed.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    #[cfg(unix)]
    let term = stop_on_signals();
    let cli = Cli::parse();
    #[cfg(target_os = "linux")]
    match &cli.command {
        Command::Run(RunArgs { inputs, .. })
        | Command::Compare(CompareArgs { inputs, .. })
        | Command::Fit(FitArgs { inputs, .. })
        | Command::Update(UpdateArgs { inputs, .. }) => memory_policy_for(inputs),
        Command::Timeline(_) | Command::Model(_) => {}
    }
    let result = match &cli.command {
        Command::Run(args) => run(args),
        Command::Compare(args) => compare(args),
        Command::Fit(args) => fit(args),
        Command::Update(args) => update(args),
        Command::Timeline(args) => timeline(args),
        Command::Model(cmd) => edit_model(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        #[cfg(unix)]
        Err(e) if interrupted() => {
            let by_term = term.is_some_and(|t| t.load(Ordering::Relaxed));
            eprintln!(
                "tidings: stopped by {} ({e:#}); nothing more was written",
                if by_term { "SIGTERM" } else { "Ctrl-C" }
            );
            ExitCode::from(if by_term { 143 } else { 130 })
        }
        Err(e) => {
            eprintln!("error: {}", with_flags(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The 1 s purge delay only below the threshold, counting a folder's files (once, through a
    /// link loop), gzip at four times its size, and nothing for a path that is not there
    /// (the run reports it).
    #[test]
    fn small_inputs_are_told_from_large_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = |name: &str, len: u64| {
            let path = dir.path().join(name);
            // Sparse: the sizes cost no disk.
            std::fs::File::create(&path)
                .and_then(|f| f.set_len(len))
                .expect("file");
            path
        };
        let small = file("week.jsonl", 30 << 20);
        let large = file("archive.jsonl", SMALL_INPUT);
        let packed = file("archive.jsonl.gz", SMALL_INPUT / 3);
        let missing = dir.path().join("missing.jsonl");
        assert!(input_is_small(std::slice::from_ref(&small)));
        assert!(input_is_small(&[small.clone(), missing.clone()]));
        assert!(!input_is_small(std::slice::from_ref(&large)));
        assert!(!input_is_small(std::slice::from_ref(&packed)));
        assert!(!input_is_small(&[
            small.clone(),
            file("more.jsonl", SMALL_INPUT - (20 << 20))
        ]));
        assert!(!input_is_small(&[dir.path().to_path_buf()]));
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("folder");
        std::fs::rename(&small, sub.join("week.jsonl")).expect("move");
        // A link back to the folder itself is walked once.
        std::os::unix::fs::symlink(&sub, sub.join("again")).expect("link");
        assert!(input_is_small(&[sub]));
    }

    /// The option index names mimalloc's purge delay: it reads that version's default (1000
    /// ms), and setting it reads back. Another option at that index would read otherwise
    /// (the neighbours default to 0 or 1).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads and sets an option of the linked mimalloc; no memory is touched.
        unsafe {
            assert_eq!(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY), 1000);
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 25);
            assert_eq!(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY), 25);
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000);
        }
    }
}
