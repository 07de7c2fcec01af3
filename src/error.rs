//! The library's error: what went wrong, by kind, so that an edge can tell a user's mistake
//! from a damaged file or a stop on request (the Python binding raises a subclass per kind).
//!
//! Messages name a setting by its name in the settings, in backticks (`` `min_df` ``), as a
//! Python keyword or `tidings.toml` key spells it; the command line shows its flag there
//! instead (`--min-df`), through [`Error::with_flags`].

use std::path::PathBuf;

/// What a failure was, for a caller deciding what to tell the user or whether to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Input that cannot be clustered: nothing readable, nothing left after pruning, a table
    /// that lacks its text column.
    Input,
    /// A setting out of range or a combination that means nothing.
    Settings,
    /// A model file that is not one, is damaged, or does not fit the request.
    Model,
    /// Reading or writing a file failed (a missing file, a full disk, a table that does not
    /// parse).
    Io,
    /// Stopped on request (a signal, a Python `KeyboardInterrupt`) between stages.
    Cancelled,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Settings(String),
    #[error("{0}")]
    Model(String),
    /// A file operation; the OS message is the source's, so `{:#}` prints it once, after
    /// `context`.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A Parquet table that could not be read or written.
    #[error(transparent)]
    Table(#[from] polars::error::PolarsError),
    /// A chart that could not be drawn.
    #[error("drawing a chart: {0}")]
    Chart(String),
    /// A page that could not be rendered from its template.
    #[error("writing a page: {0}")]
    Page(String),
    #[error("{0}")]
    Cancelled(String),
    #[error(transparent)]
    Corpus(#[from] crate::corpus::CorpusError),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    #[error(transparent)]
    Vectorize(#[from] crate::vectorize::VectorizeError),
    #[error(transparent)]
    Threshold(#[from] crate::dedup::ThresholdError),
    /// What was being done when `source` failed.
    #[error("{context}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::Input(_) => Kind::Input,
            Error::Settings(_) | Error::Threshold(_) => Kind::Settings,
            Error::Model(_) => Kind::Model,
            Error::Io { .. } | Error::Table(_) | Error::Chart(_) | Error::Page(_) => Kind::Io,
            Error::Cancelled(_) => Kind::Cancelled,
            Error::Corpus(e) => corpus_kind(e),
            Error::Cluster(e) => cluster_kind(e),
            Error::Vectorize(e) => vectorize_kind(e),
            Error::Context { source, .. } => source.kind(),
        }
    }

    /// The kind of `e` if it is the library's error or one of its stages' (as an edge holds
    /// it, behind its own context).
    pub fn kind_of(e: &(dyn std::error::Error + 'static)) -> Option<Kind> {
        if let Some(e) = e.downcast_ref::<Error>() {
            Some(e.kind())
        } else if let Some(e) = e.downcast_ref::<crate::corpus::CorpusError>() {
            Some(corpus_kind(e))
        } else if let Some(e) = e.downcast_ref::<crate::cluster::ClusterError>() {
            Some(cluster_kind(e))
        } else if let Some(e) = e.downcast_ref::<crate::vectorize::VectorizeError>() {
            Some(vectorize_kind(e))
        } else {
            e.is::<crate::dedup::ThresholdError>()
                .then_some(Kind::Settings)
        }
    }

    /// A file operation on `path` that failed.
    pub fn io(what: &str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            context: format!("{}: {what}", path.into().display()),
            source,
        }
    }

    /// This error's message with its causes, each setting named by `flag` (`min_df` to
    /// `--min-df`) where it knows one: the command line's wording of the error.
    pub fn with_flags(message: &str, flag: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::with_capacity(message.len());
        let mut parts = message.split('`');
        out.push_str(parts.next().unwrap_or_default());
        // Odd parts were quoted.
        for (i, part) in parts.enumerate() {
            match (i % 2 == 0).then(|| flag(part)).flatten() {
                Some(f) => out.push_str(&f),
                None if i % 2 == 0 => {
                    out.push('`');
                    out.push_str(part);
                    out.push('`');
                }
                None => out.push_str(part),
            }
        }
        out
    }
}

fn corpus_kind(e: &crate::corpus::CorpusError) -> Kind {
    use crate::corpus::CorpusError as R;
    match e {
        R::NoInput | R::NoTextColumn { .. } => Kind::Input,
        R::Io { .. } | R::NotFound { .. } => Kind::Io,
    }
}

fn cluster_kind(e: &crate::cluster::ClusterError) -> Kind {
    match e {
        crate::cluster::ClusterError::Empty => Kind::Input,
        _ => Kind::Settings,
    }
}

fn vectorize_kind(e: &crate::vectorize::VectorizeError) -> Kind {
    use crate::vectorize::VectorizeError as V;
    match e {
        V::MinDf(_) | V::MaxDf(_) => Kind::Settings,
        _ => Kind::Input,
    }
}

/// `.context(..)` for the library's results, as anyhow has it for the edges'.
/// `Option`s are given their kind of error at the call (`ok_or_else`).
pub trait Context<T> {
    fn context(self, context: impl Into<String>) -> Result<T>;
    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context.into(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context().into(),
            source: Box::new(e.into()),
        })
    }
}

/// `io::Error` into the library's, with no context (prefer [`Error::io`]).
impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Error {
        Error::Io {
            context: "I/O error".into(),
            source,
        }
    }
}

impl From<tempfile::PersistError> for Error {
    fn from(e: tempfile::PersistError) -> Error {
        e.error.into()
    }
}

impl From<polars_parquet::parquet::error::ParquetError> for Error {
    fn from(e: polars_parquet::parquet::error::ParquetError) -> Error {
        Error::Table(e.into())
    }
}

/// A `tidings.toml` or themes file that does not parse.
impl From<toml::de::Error> for Error {
    fn from(e: toml::de::Error) -> Error {
        Error::Settings(e.to_string())
    }
}

/// A model file whose bytes do not decode.
impl From<bincode::Error> for Error {
    fn from(e: bincode::Error) -> Error {
        Error::Model(e.to_string())
    }
}

/// A model whose arrays do not have the shapes it declares.
impl From<ndarray::ShapeError> for Error {
    fn from(e: ndarray::ShapeError) -> Error {
        Error::Model(e.to_string())
    }
}

/// Returns early with an error of the given kind, its message formatted.
#[macro_export]
macro_rules! fail {
    ($kind:ident, $($arg:tt)*) => {
        return Err($crate::error::Error::$kind(format!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_in_backticks_become_flags_and_other_quotes_stay() {
        let flag = |s: &str| {
            ["min_df", "k"]
                .contains(&s)
                .then(|| format!("--{}", s.replace('_', "-")))
        };
        assert_eq!(
            Error::with_flags("no terms; try `min_df` 1 or `k` 2; no `text` column", flag),
            "no terms; try --min-df 1 or --k 2; no `text` column"
        );
        assert_eq!(Error::with_flags("plain", flag), "plain");
    }

    #[test]
    fn an_edge_finds_the_kind_behind_its_own_context() {
        let missing = crate::corpus::CorpusError::NotFound {
            path: "nowhere".into(),
        };
        let e = anyhow::Error::from(missing).context("reading the inputs");
        assert_eq!(e.chain().find_map(Error::kind_of), Some(Kind::Io));
        let e = anyhow::anyhow!("the binding's own");
        assert_eq!(e.chain().find_map(Error::kind_of), None);
    }

    #[test]
    fn context_keeps_the_kind_of_its_cause() {
        let e: Result<()> = Err(Error::Model("corrupt".into()));
        let e = e.context("loading m.tidings").unwrap_err();
        assert_eq!(e.kind(), Kind::Model);
        assert_eq!(
            format!("{:#}", anyhow::Error::from(e)),
            "loading m.tidings: corrupt"
        );
    }
}
