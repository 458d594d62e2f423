//! How a hook fails, and how the failure is reported.

/// A hook's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// An expected refusal (upstream's inspector `Error`): HTTP 400, message as is.
    #[error("{0}")]
    Error(String),
    /// Anything else (upstream: an unexpected exception of a Python class).
    #[error("{message}")]
    Unexpected {
        /// The Python exception class upstream would report (`KeyError`, `ValueError`, ...).
        class: &'static str,
        /// The message.
        message: String,
    },
}

impl HookError {
    /// An expected refusal.
    pub fn error(message: impl Into<String>) -> Self {
        HookError::Error(message.into())
    }

    /// An unexpected failure of `class`.
    pub fn unexpected(class: &'static str, message: impl Into<String>) -> Self {
        HookError::Unexpected {
            class,
            message: message.into(),
        }
    }
}

/// A phase-2 failure as the introspection records it and the API answers it.
/// Hooks read only the data and the node, so a failure is always the data's
/// fault: the same post would fail the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HookFailure {
    /// The hook that failed.
    pub hook: &'static str,
    /// The text stored in the record's `error` and returned to the ramdisk.
    pub message: String,
}
