//! tidings: finds the themes in a stream of news articles and tracks how they rise and fall.
//!
//! The pipeline runs one way through these modules: [`corpus`] reads articles, [`text`]
//! analyses them into stems, [`vectorize`] builds TF-IDF rows, [`reduce`] projects them with
//! LSA, [`cluster`] groups them with k-means, [`themes`] names the groups, [`tree`] groups the
//! themes, [`trends`] counts them over time and [`report`] writes tables, charts and a summary
//! through [`output`]. [`pipeline`] wires the stages and builds the [`model`] from their
//! fitted parts; [`timeline`] reads many runs back; [`cli`] is the command line over all of it.

pub mod cli;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod corpus;
pub mod dedup;
pub mod error;
pub mod evaluate;
pub mod model;
pub mod output;
pub mod pages;
pub mod pipeline;
pub mod reduce;
pub mod report;
pub mod settings;
pub mod stories;
pub mod text;
pub mod themes;
pub mod timeline;
pub mod tree;
pub mod trends;
pub mod vectorize;

/// Asks for the cache line holding `at` without waiting for it: the stages whose sequential
/// loops read scattered memory (de-duplication's candidates, the story pass's postings) ask
/// for what they will read next while they work on what they have.
#[inline(always)]
pub(crate) fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it reads nothing into the program and never faults,
    // whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
