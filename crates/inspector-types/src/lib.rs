//! Domain vocabulary shared by every crate of the service.
//!
//! This crate owns the names that cross crate boundaries: the node identifier
//! ([`NodeUuid`]), the introspection [`State`]s and [`Event`]s with their exact
//! wire spellings, and the Python literal syntax (`repr()` / `str()`) that
//! upstream's messages and stored values are written in. It performs no I/O and must not know about databases, HTTP
//! or Ironic.

mod node_uuid;
mod pyrepr;
mod state;

pub use node_uuid::{InvalidUuid, NodeUuid};
pub use pyrepr::{python_quote, python_repr, python_str, python_truthy, python_type_name};

/// Whether `text` is a colon-separated MAC address (`aa:bb:cc:dd:ee:ff`, any case).
pub fn is_mac_address(text: &str) -> bool {
    let mut parts = 0;
    text.split(':').all(|part| {
        parts += 1;
        part.len() == 2 && part.bytes().all(|b| b.is_ascii_hexdigit())
    }) && parts == 6
}
pub use state::{Event, State, UnknownName};
