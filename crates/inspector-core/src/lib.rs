//! The introspection engine (upstream's conductor), as a library.
//!
//! This crate owns what happens to a node: starting introspection (checks,
//! record, lookup attributes, boot device and reboot), processing ramdisk
//! data (hooks, lookup, rules, ports and node patches, power-off, finish),
//! abort, re-processing of stored data, the periodic tasks, and storage of
//! introspection data. It talks to Ironic through [`inspector_ironic::Ironic`],
//! to the database through [`inspector_node_cache::NodeCache`] (which also
//! stores introspection rules), and to the PXE filter through the
//! [`PxeFilter`] seam. It knows nothing about HTTP.

mod abort;
mod bmc;
mod conductor;
mod discovery;
mod error;
mod explain;
mod jobs;
mod logs;
mod lookup;
mod metrics;
mod periodic;
mod process;
mod pxe;
mod queries;
mod reapply;
mod rules;
mod seams;
mod start;
mod storage;
mod timeline;

pub use conductor::{Conductor, ConductorParts};
pub use error::{CoreError, ErrorKind, Result};
pub use explain::{explain_text, sentence};
pub use lookup::IronicLookup;
pub use metrics::{
    BOOT_PREPARATION_BUCKETS, CALLBACK_BUCKETS, DURATION_BUCKETS, EngineMetrics, FailedStep,
    HistogramSnapshot, MetricsSnapshot, Outcome,
};
pub use periodic::{AlwaysLeader, DatabaseLease, PeriodicLease};
pub use queries::IntrospectionStatus;
pub use seams::{FirewallFilter, NoPxeFilter, PxeFilter};
pub use storage::{DataStore, StoreError, SwiftStore};
pub use timeline::{Origin, diagnosis};
