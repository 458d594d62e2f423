//! Errors of the engine: a message and what kind of failure it is. The
//! HTTP status each kind is answered with is chosen by the API
//! (`inspector-api`'s `error.rs`), not here.

use inspector_node_cache::Error as CacheError;

/// Result of engine operations.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// What kind of failure a [`CoreError`] is: what the caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request or the ramdisk data is wrong: the same request fails the
    /// same way (upstream's service error with code 400).
    InvalidInput,
    /// The node, record, rule or stored data asked for does not exist.
    NotFound,
    /// The node's introspection is in a state that forbids this now.
    Conflict,
    /// A fault of the service or of a service it calls that a retry does not fix.
    Internal,
    /// Ironic cannot be reached or fails in a way a retry may fix; nothing
    /// was recorded as failed.
    IronicUnavailable,
    /// The database is away for now (a restart, a full disk); nothing was
    /// recorded as failed.
    DatabaseUnavailable,
}

/// A failed engine operation (upstream's "service error": message + code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CoreError {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// The message, word for word upstream's where clients see it.
    pub message: String,
}

impl CoreError {
    /// A failure of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The request or the data is wrong.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// What was asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// The introspection's state forbids this now.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// A fault a retry does not fix.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// An Ironic failure a retry may fix: `Ironic is unavailable,
    /// retry later: <what failed>`.
    pub fn ironic_unavailable(what: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorKind::IronicUnavailable,
            format!("Ironic is unavailable, retry later: {what}"),
        )
    }

    /// A database that is away for now (a restart, a full disk):
    /// `The database is unavailable, retry later: <what failed>`.
    pub fn database_unavailable(what: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorKind::DatabaseUnavailable,
            format!("The database is unavailable, retry later: {what}"),
        )
    }

    /// Whether this is [`CoreError::database_unavailable`].
    pub fn is_database_unavailable(&self) -> bool {
        self.kind == ErrorKind::DatabaseUnavailable
    }

    /// Whether Ironic or the database is away for now (a retry may succeed).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::IronicUnavailable | ErrorKind::DatabaseUnavailable
        )
    }

    /// Upstream's framing of any failure that is not a service error:
    /// `Unexpected exception <class> during processing: <message>` (internal).
    pub fn unexpected(class: &str, message: impl std::fmt::Display) -> Self {
        Self::internal(format!(
            "Unexpected exception {class} during processing: {message}"
        ))
    }
}

/// A rule's failure as processing records it: its own text for a service
/// error (invalid input), the unexpected-exception framing otherwise.
impl From<inspector_rules::RuleFailure> for CoreError {
    fn from(failure: inspector_rules::RuleFailure) -> Self {
        match failure {
            inspector_rules::RuleFailure::Error(message) => Self::invalid_input(message),
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
        let kind = match &error {
            CacheError::NotFoundInCache(_)
            | CacheError::NodeNotInCache(_)
            | CacheError::RecordMissing(_)
            | CacheError::Ambiguous { .. }
            | CacheError::NotOnIntrospection(_)
            | CacheError::IronicNodeNotFound(_)
            | CacheError::DataNotFound { .. } => ErrorKind::NotFound,
            CacheError::AlreadyFinished { .. }
            | CacheError::InvalidEvent(_)
            | CacheError::IronicBadRequest { .. }
            | CacheError::InvalidRequest(_) => ErrorKind::InvalidInput,
            _ => ErrorKind::Internal,
        };
        Self::new(kind, error.to_string())
    }
}

/// The class a rule's Ironic call that may succeed on retry is raised as
/// (turned back into [`CoreError::ironic_unavailable`]).
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
