//! Errors of the engine: a message and the HTTP status the spec gives it.

use inspector_node_cache::Error as CacheError;

/// Result of engine operations.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// A failed engine operation (upstream's "service error": message + status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CoreError {
    /// The HTTP status the API answers with.
    pub status: u16,
    /// The message, word for word upstream's where clients see it.
    pub message: String,
}

impl CoreError {
    /// A 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
        }
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            message: message.into(),
        }
    }

    /// A 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self {
            status: 409,
            message: message.into(),
        }
    }

    /// A 500.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: 500,
            message: message.into(),
        }
    }

    /// A 503: a service the engine needs (Ironic) failed in a way a retry
    /// may fix; nothing was recorded as failed.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            status: 503,
            message: message.into(),
        }
    }

    /// A 503 for an Ironic failure a retry may fix: `Ironic is unavailable,
    /// retry later: <what failed>`.
    pub fn ironic_unavailable(what: impl std::fmt::Display) -> Self {
        Self::unavailable(format!("Ironic is unavailable, retry later: {what}"))
    }

    /// A 503 for a database that is away for now (a restart, a full disk):
    /// `The database is unavailable, retry later: <what failed>`.
    pub fn database_unavailable(what: impl std::fmt::Display) -> Self {
        Self::unavailable(format!("{DATABASE_UNAVAILABLE}: {what}"))
    }

    /// Whether this is [`CoreError::database_unavailable`].
    pub fn is_database_unavailable(&self) -> bool {
        self.is_unavailable() && self.message.starts_with(DATABASE_UNAVAILABLE)
    }

    /// Whether this is [`CoreError::unavailable`].
    pub fn is_unavailable(&self) -> bool {
        self.status == 503
    }

    /// Upstream's framing of any failure that is not a service error:
    /// `Unexpected exception <class> during processing: <message>` (500).
    pub fn unexpected(class: &str, message: impl std::fmt::Display) -> Self {
        Self::internal(format!(
            "Unexpected exception {class} during processing: {message}"
        ))
    }
}

/// A rule's failure as processing records it: its own text for a service
/// error (400), the unexpected-exception framing otherwise.
impl From<inspector_rules::RuleFailure> for CoreError {
    fn from(failure: inspector_rules::RuleFailure) -> Self {
        match failure {
            inspector_rules::RuleFailure::Error(message) => Self::bad_request(message),
            inspector_rules::RuleFailure::Unexpected(raised)
                if raised.class == IRONIC_UNAVAILABLE =>
            {
                Self::ironic_unavailable(&raised.message)
            }
            inspector_rules::RuleFailure::Unexpected(raised) => {
                Self::unexpected(&raised.class, raised.message)
            }
        }
    }
}

impl From<CacheError> for CoreError {
    fn from(error: CacheError) -> Self {
        if error.is_unavailable() {
            return Self::database_unavailable(error);
        }
        if let CacheError::Ironic(_) = &error {
            // Ironic unreachable or failing while a node is looked up by name.
            return Self::ironic_unavailable(error);
        }
        let status = match &error {
            CacheError::NotFoundInCache(_)
            | CacheError::NodeNotInCache(_)
            | CacheError::RecordMissing(_)
            | CacheError::Ambiguous { .. }
            | CacheError::NotOnIntrospection(_)
            | CacheError::IronicNodeNotFound(_)
            | CacheError::DataNotFound { .. } => 404,
            CacheError::AlreadyFinished { .. }
            | CacheError::InvalidEvent(_)
            | CacheError::IronicBadRequest { .. }
            | CacheError::InvalidRequest(_) => 400,
            _ => 500,
        };
        Self {
            status,
            message: error.to_string(),
        }
    }
}

/// How [`CoreError::database_unavailable`] messages begin.
const DATABASE_UNAVAILABLE: &str = "The database is unavailable, retry later";

/// The class a rule's Ironic call that may succeed on retry is raised as
/// (turned back into [`CoreError::unavailable`]).
pub(crate) const IRONIC_UNAVAILABLE: &str = "IronicUnavailable";

/// The exception class upstream's SDK would raise for an Ironic error, for
/// `Unexpected exception <class> during processing: ...` texts.
pub(crate) fn ironic_exception_class(error: &inspector_ironic::IronicError) -> &'static str {
    use inspector_ironic::ErrorKind as K;
    match error.kind() {
        K::NotFound => "NotFoundException",
        K::NodeLocked | K::Conflict => "ConflictException",
        K::BadRequest => "BadRequestException",
        _ => "HttpException",
    }
}
