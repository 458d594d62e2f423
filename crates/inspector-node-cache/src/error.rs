//! Errors of node-cache operations; messages are upstream's where a client sees them.

use inspector_fsm::InvalidTransition;
use inspector_types::NodeUuid;

use crate::locks::LockError;

/// Result of node-cache operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed node-cache operation.
///
/// The variants carry enough for the API layer to pick the status code: the
/// "not found" family maps to 404, [`Error::InvalidEvent`],
/// [`Error::AlreadyFinished`] and [`Error::InvalidRequest`] to 400,
/// [`Error::StateRace`] and the infrastructure errors to 500.
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
    /// No pooled connection became free in time.
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// The schema is not what this version expects, or a migration failed.
    #[error("{0}")]
    Schema(String),
    /// A stored JSON value cannot be decoded.
    #[error("corrupt JSON in the database: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored value is not of the expected form.
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
    /// The blocking database task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl Error {
    /// Whether the database cannot be used for now — no connection (the server
    /// is down or restarting), the connection closed under the query, the
    /// disk full — so that a later retry may succeed.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::Error as D;
        match self {
            Error::Pool(_) => true,
            Error::Database(error) if connection_lost(error) => true,
            Error::Database(D::DatabaseError(_, info)) => {
                let message = info.message().to_ascii_lowercase();
                message.contains("disk is full") || message.contains("no space left")
            }
            _ => false,
        }
    }

    /// Whether a transaction failing with this error may simply be retried
    /// (deadlock, serialization failure, SQLite busy).
    pub(crate) fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match self {
            Error::Database(D::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
            Error::Database(D::DatabaseError(_, info)) => {
                let message = info.message().to_ascii_lowercase();
                message.contains("deadlock") || message.contains("database is locked")
            }
            _ => false,
        }
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
