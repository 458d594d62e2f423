//! Introspection rules.
//!
//! This crate owns the rule language: the rule document and its validation
//! with upstream's messages, field paths (`data://`, `node://`, the
//! jsonpath-rw dialect), condition operators with Python's coercions, value
//! formatting (`{data[...]}` with `str.format` semantics), actions, scopes,
//! and the two-pass application of rules to a node.
//!
//! It must not know about HTTP, the database or how Ironic is reached: rules
//! are stored behind [`RuleStore`] (the node cache implements it) and act on a
//! node through [`RuleTarget`] (the conductor implements it over Ironic).

mod actions;
mod conditions;
mod engine;
mod error;
mod format;
mod jsonpath;
mod model;
mod params;
mod python;
mod sdk;
mod store;
mod validate;

pub use actions::{ACTIONS, Action};
pub use conditions::{Condition, OPERATORS, Source};
pub use engine::{AppliedRule, CompiledRule, RuleSet, RuleTarget};
pub use error::{InvalidRule, Raised, RuleFailure};
pub use format::{render, render_value};
pub use jsonpath::{JsonPath, PathSyntaxError};
pub use model::{ActionDocument, ConditionDocument, Multiple, RuleDocument};
pub use sdk::sdk_node;
pub use store::{RuleStore, StoreError};
pub use validate::parse_rule;
