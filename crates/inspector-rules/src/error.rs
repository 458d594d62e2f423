//! How evaluating and applying rules fails.

use std::fmt;

/// A Python exception upstream would raise at this point: the rule author's
/// mistake surfaces as an "unexpected exception" of processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    /// The exception class (`ValueError`, `TypeError`, ...).
    pub class: String,
    /// Its text.
    pub message: String,
}

impl Raised {
    /// An exception of `class` with `message`.
    pub fn new(class: &str, message: impl Into<String>) -> Self {
        Self {
            class: class.to_owned(),
            message: message.into(),
        }
    }
}

/// Why applying the rules to a node failed; processing ends in `error` with
/// this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleFailure {
    /// A service error (HTTP 400): a `fail` action's message, a formatting
    /// key that does not exist, a trait Ironic refuses, ...
    #[error("{0}")]
    Error(String),
    /// Anything else (HTTP 500).
    #[error("Unexpected exception {} during processing: {}", .0.class, .0.message)]
    Unexpected(Raised),
}

impl From<Raised> for RuleFailure {
    fn from(raised: Raised) -> Self {
        Self::Unexpected(raised)
    }
}

/// A rule document that is not valid; the text is the API's 400 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRule(pub String);

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.message)
    }
}
