//! The API in process: the router over a conductor with a temporary SQLite
//! database and the fake Ironic, called with `tower::ServiceExt::oneshot`
//! (no listener, no binary). Versions, errors, authentication and the rules
//! API; what only the binary does (configuration, listening, signals) is
//! tested by starting it, in `bins/ironic-inspector/tests`.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

mod support;

mod auth;
mod errors;
mod rules;
mod versions;
