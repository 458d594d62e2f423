//! The introspection state machine.
//!
//! This crate owns the transition table of introspection records and the rule
//! for applying an event strictly or leniently. It is pure: it performs no I/O,
//! does not know where states are stored, and never depends on tokio, diesel or
//! HTTP crates. The node cache is the only caller that persists its results.

mod table;

pub use inspector_types::{Event, State};
pub use table::next;

/// An event that has no transition from the current state.
///
/// The message is upstream's, observable through the API:
/// `Can not transition from state 'processing' on event 'start' (no defined transition)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Can not transition from state '{state}' on event '{event}' (no defined transition)")]
pub struct InvalidTransition {
    /// The state the record was in.
    pub state: State,
    /// The event that was refused.
    pub event: Event,
}

/// How an invalid event is handled by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// The event is refused and nothing changes.
    Lenient,
    /// The event is refused and the introspection must fail with the
    /// refusal's message (only `process` is applied strictly upstream).
    Strict,
}

/// A valid transition, possibly a self-loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state before the event.
    pub from: State,
    /// The state after the event.
    pub to: State,
}

impl Transition {
    /// Whether the state changes; self-loops write nothing.
    pub fn changes_state(&self) -> bool {
        self.from != self.to
    }
}

/// Why an event was refused, and what the caller must do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct Refusal {
    /// The refused pair.
    pub error: InvalidTransition,
    /// True when the event was applied strictly: the caller must finish the
    /// record with an `error` event carrying `error`'s message.
    pub fail_introspection: bool,
}

/// Applies `event` to `state`.
///
/// A valid pair gives the [`Transition`]; an invalid pair gives a [`Refusal`]
/// whose `fail_introspection` flag reflects `strictness`.
pub fn apply(state: State, event: Event, strictness: Strictness) -> Result<Transition, Refusal> {
    match next(state, event) {
        Ok(to) => Ok(Transition { from: state, to }),
        Err(error) => Err(Refusal {
            error,
            fail_introspection: strictness == Strictness::Strict,
        }),
    }
}

/// The state in which a newly created record starts, per how it was created.
pub mod initial {
    use super::State;

    /// A record created by a start request.
    pub const STARTED: State = State::Starting;
    /// A record created by discovery of an unknown node.
    pub const DISCOVERED: State = State::Enrolling;
    /// A record created for data from a known active node.
    pub const ACTIVE_NODE: State = State::Waiting;
    /// The column default (`nodes.state`).
    pub const COLUMN_DEFAULT: State = State::Finished;
}
