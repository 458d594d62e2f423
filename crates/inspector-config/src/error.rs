//! Configuration errors; each names the file, section and option involved.

use std::path::PathBuf;

/// Result of configuration loading.
pub type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line that is not INI syntax.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An option whose value has the wrong type.
    #[error("{path}:{line}: invalid value {value:?} for option {option} in group [{section}]: {expected}")]
    InvalidValue {
        /// The file that set the value.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// The section (group).
        section: String,
        /// The option name.
        option: String,
        /// The offending value.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// `$name` refers to an option that has no value.
    #[error("{path}:{line}: option {option} in group [{section}] refers to ${reference}, which is not set")]
    Interpolation {
        /// The file that set the value.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// The section (group).
        section: String,
        /// The option name.
        option: String,
        /// The missing reference.
        reference: String,
    },
}
