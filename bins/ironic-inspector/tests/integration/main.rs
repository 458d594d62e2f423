//! The binary's end-to-end tests that share one test process: each module
//! starts the real `ironic-inspector` (against the fake Ironic, or the real
//! OpenStack pieces of `.ci/venvs`) for what only the binary does —
//! configuration files, listening, signals, systemd, the PXE filter, mDNS,
//! the official client. A module that needs a real server starts it once
//! and shares it among its own tests.
//!
//! The API's behaviour is tested in process (`crates/inspector-api/tests/app`).
//! Tests that need the machine to themselves (restarting the database servers,
//! connection floods, injected faults with timing, several processes, memory
//! under bad input, the schemathesis run) are test binaries of their own beside
//! this directory.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

#[path = "../common/mod.rs"]
mod common;
#[path = "../real/mod.rs"]
mod real;

mod config;
mod discovery;
mod hooks;
mod keystone;
mod listen;
mod mdns;
mod pxe_filter;
mod python_client;
mod real_ironic;
mod real_keystone;
mod real_swift;
mod rules;
mod sample_config;
mod service;
mod sqlite_full_disk;
mod systemd;
mod timeline;
