//! Errors of node-cache operations; messages are upstream's where a client sees them.

use inspector_fsm::InvalidTransition;
use inspector_types::NodeUuid;

use crate::locks::LockError;

/// Result of node-cache operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed node-cache operation.
///
/// The variants say what went wrong in the node cache's own terms (a record
/// missing, an event refused, the database away); the engine turns them into
/// its error kinds and the API those into statuses. The database driver's
/// types stay inside [`DatabaseError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No record matches ramdisk data (upstream's `NotFoundInCacheError`).
    #[error("{0}")]
    NotFoundInCache(String),
    /// `get_node` found no record.
    #[error("Could not find node {0} in cache")]
    NodeNotInCache(NodeUuid),
    /// A record vanished or a list marker names no record.
    #[error("The requested node was not found.")]
    RecordMissing(NodeUuid),
    /// Several records match ramdisk data equally well.
    #[error("Multiple nodes match the same number of attributes {attributes}: {candidates}")]
    Ambiguous {
        /// The look-up attributes, in Python literal syntax.
        attributes: String,
        /// The candidate UUIDs, in Python literal syntax.
        candidates: String,
    },
    /// The matched record disappeared before it could be locked.
    #[error(
        "Could not find node {0} in introspection cache, probably it's not on introspection now"
    )]
    NotOnIntrospection(NodeUuid),
    /// The matched record's introspection is already over.
    #[error("Introspection for node {uuid} already finished on {finished_at}")]
    AlreadyFinished {
        /// The record.
        uuid: NodeUuid,
        /// When it finished, in Python's `str(datetime)` form.
        finished_at: String,
    },
    /// An event with no transition from the record's state.
    #[error(transparent)]
    InvalidEvent(#[from] InvalidTransition),
    /// Another writer changed the record since it was read (`version_id` mismatch).
    #[error("Node state mismatch detected between the DB and the cached node_info object")]
    StateRace(NodeUuid),
    /// Ironic does not know the node.
    #[error("Node {0} was not found in Ironic")]
    IronicNodeNotFound(String),
    /// Ironic refused to look the node up.
    #[error("Cannot get node {ident}: {message}")]
    IronicBadRequest {
        /// The name or UUID asked for.
        ident: String,
        /// Ironic's message.
        message: String,
    },
    /// A request that cannot be satisfied as made (HTTP 400).
    #[error("{0}")]
    InvalidRequest(String),
    /// Ironic failed in a way the caller cannot fix.
    #[error("Ironic request failed: {0}")]
    Ironic(String),
    /// Stored introspection data is missing.
    #[error("Introspection data not found for node {uuid}, processed={}", if *processed { "True" } else { "False" })]
    DataNotFound {
        /// The record.
        uuid: NodeUuid,
        /// Which of the two items was asked for.
        processed: bool,
    },
    /// A node lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The database could not be reached.
    #[error("cannot connect to the database {url}: {message}")]
    Connect {
        /// The database, password hidden.
        url: String,
        /// The driver's message.
        message: String,
    },
    /// The database failed: no pooled connection in time, a statement
    /// refused, the connection lost, the database task gone.
    #[error(transparent)]
    Database(DatabaseError),
    /// The schema is not what this version expects, or a migration failed.
    #[error("{0}")]
    Schema(String),
    /// A stored JSON value cannot be decoded.
    #[error("corrupt JSON in the database: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored value is not of the expected form.
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
}

/// A failure of the database itself. The driver's error stays inside: ask
/// [`DatabaseError::is_unavailable`] what it means for a retry.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DatabaseError(Failure);

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("no database connection available: {0}")]
    Pool(diesel::r2d2::PoolError),
    #[error("database error: {0}")]
    Query(diesel::result::Error),
    #[error("database task failed: {0}")]
    Task(tokio::task::JoinError),
}

impl DatabaseError {
    /// Whether the database cannot be used for now (see [`Error::is_unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::Error as D;
        match &self.0 {
            Failure::Pool(_) => true,
            Failure::Query(error) if connection_lost(error) => true,
            Failure::Query(D::DatabaseError(_, info)) => {
                let message = info.message().to_ascii_lowercase();
                message.contains("disk is full") || message.contains("no space left")
            }
            _ => false,
        }
    }

    /// Whether a unique constraint (a primary key) refused the statement.
    pub(crate) fn is_unique_violation(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error as D};
        matches!(
            self.0,
            Failure::Query(D::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
        )
    }

    /// Whether retrying the transaction may succeed (deadlock, serialization
    /// failure, SQLite busy).
    fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match &self.0 {
            Failure::Query(D::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
            Failure::Query(D::DatabaseError(_, info)) => {
                let message = info.message().to_ascii_lowercase();
                message.contains("deadlock") || message.contains("database is locked")
            }
            _ => false,
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        Error::Database(DatabaseError(Failure::Query(error)))
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Error::Database(DatabaseError(Failure::Pool(error)))
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(error: tokio::task::JoinError) -> Self {
        Error::Database(DatabaseError(Failure::Task(error)))
    }
}

impl Error {
    /// Whether the database cannot be used for now — no connection (the server
    /// is down or restarting), the connection closed under the query, the
    /// disk full — so that a later retry may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Database(error) if error.is_unavailable())
    }

    /// Whether a transaction failing with this error may simply be retried
    /// (deadlock, serialization failure, SQLite busy).
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Error::Database(error) if error.is_transient())
    }

    /// Whether a unique constraint (a primary key) refused the statement.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, Error::Database(error) if error.is_unique_violation())
    }
}

/// Whether `error` says the connection to the server is gone (closed,
/// reset, the server restarting): the connection is not used again, and
/// the request is answered 503.
pub(crate) fn connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error as D};
    match error {
        D::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        // A commit that failed with the connection, then a rollback that could not be sent.
        D::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => connection_lost(rollback_error) || connection_lost(commit_error),
        D::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            [
                "server has gone away",
                "lost connection",
                "connection closed",
                "connection to the server is closed",
                "terminating connection",
                "broken pipe",
                "connection reset",
                "input/output error",
            ]
            .iter()
            .any(|sign| message.contains(sign))
        }
        _ => false,
    }
}
