//! The node cache: introspection records and their lookup.
//!
//! This crate owns everything the service keeps in its database about nodes
//! under introspection: the `nodes`, `attributes`, `options` and
//! `introspection_data` tables and each introspection's timeline
//! (`introspection_events`; diesel over SQLite, PostgreSQL and MySQL with
//! one code base), the embedded migrations that produce upstream's schema, the
//! matching of ramdisk data to a record, optimistic concurrency through
//! `version_id`, and node locks ([`NodeLocks`]: in this process's memory, or
//! in the database for several processes, with the leases of periodic tasks).
//!
//! It must not know about HTTP, the API's microversions or how Ironic is
//! reached: Ironic look-ups it needs go through the [`IronicNodes`] trait.
//! Nothing outside this crate imports diesel or the table definitions.

mod cache;
mod clock;
mod db;
mod error;
mod ironic;
mod locks;
mod migrations;
mod pyrepr;
mod schema;
mod url;

#[cfg(feature = "testing")]
pub mod testing;

pub use cache::{
    CleanUpPolicy, LookupQuery, NewUnmatchedReport, NodeCache, NodeInfo, TimelineEvent,
    TimeoutExplainer, UnmatchedReport,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use db::{Backend, Db, PoolOptions};
pub use error::{DatabaseError, Error, Result};
pub use inspector_fsm::{Event, State, Strictness};
pub use inspector_types::NodeUuid;
pub use ironic::{IronicError, IronicNodes};
pub use locks::{
    DbLease, DbLockOptions, DbLocks, InProcessLocks, LockError, NodeLock, NodeLocks, SharedLock,
    holder_id,
};
pub use migrations::{KNOWN_REVISIONS, Revision, SchemaStatus, UPSTREAM_HEAD};
pub use url::{DatabaseUrl, UrlError};
