//! Domain vocabulary shared by every crate of the service.
//!
//! This crate owns the names that cross crate boundaries: the node identifier
//! ([`NodeUuid`]), the introspection [`State`]s and [`Event`]s with their exact
//! wire spellings. It performs no I/O and must not know about databases, HTTP
//! or Ironic.

mod node_uuid;
mod state;

pub use node_uuid::{InvalidUuid, NodeUuid};
pub use state::{Event, State, UnknownName};
