//! Configuration errors; each names the file, section and option involved.

use std::path::PathBuf;

/// Result of configuration loading.
pub type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line that is not INI syntax.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An option whose value has the wrong type.
    #[error(transparent)]
    InvalidValue(Box<InvalidValue>),
    /// `$name` refers to an option that has no value.
    #[error(transparent)]
    Interpolation(Box<Interpolation>),
}

/// An option whose value has the wrong type.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: invalid value {value:?} for option {option} in group [{section}]: {expected}", path = .path.display())]
pub struct InvalidValue {
    /// The file that set the value.
    pub path: PathBuf,
    /// One-based line number.
    pub line: usize,
    /// The section (group).
    pub section: String,
    /// The option name.
    pub option: String,
    /// The offending value.
    pub value: String,
    /// What was expected.
    pub expected: String,
}

/// `$name` refers to an option that has no value.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: option {option} in group [{section}] refers to ${reference}, which is not set", path = .path.display())]
pub struct Interpolation {
    /// The file that set the value.
    pub path: PathBuf,
    /// One-based line number.
    pub line: usize,
    /// The section (group).
    pub section: String,
    /// The option name.
    pub option: String,
    /// The missing reference.
    pub reference: String,
}
