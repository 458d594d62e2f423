//! Introspection states and events with their wire spellings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The state of an introspection record (`nodes.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// A start request was accepted; boot preparation is in progress.
    Starting,
    /// The node is booting the ramdisk; its data is awaited.
    Waiting,
    /// Ramdisk data is being processed.
    Processing,
    /// Introspection finished successfully.
    Finished,
    /// Introspection failed, timed out or was aborted.
    Error,
    /// Stored data is being re-processed on operator request.
    Reapplying,
    /// Data came from an unknown node that discovery just enrolled in Ironic.
    Enrolling,
    /// An abort was accepted; clean-up is in progress.
    Aborting,
}

/// An event applied to a record's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Start request.
    Start,
    /// End of boot preparation.
    Wait,
    /// Ramdisk data accepted for the record.
    Process,
    /// Successful end of processing or re-processing.
    Finish,
    /// Failure.
    Error,
    /// Timeout detected by the periodic clean-up.
    Timeout,
    /// Abort request.
    Abort,
    /// End of the abort work.
    AbortEnd,
    /// Re-processing request.
    Reapply,
}

/// A state or event name that the service does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0:?}")]
pub struct UnknownName(pub String);

impl State {
    /// Every state in the canonical order (the database enum order).
    pub const ALL: [State; 8] = [
        State::Starting,
        State::Waiting,
        State::Processing,
        State::Finished,
        State::Error,
        State::Reapplying,
        State::Enrolling,
        State::Aborting,
    ];

    /// The wire and database spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Waiting => "waiting",
            State::Processing => "processing",
            State::Finished => "finished",
            State::Error => "error",
            State::Reapplying => "reapplying",
            State::Enrolling => "enrolling",
            State::Aborting => "aborting",
        }
    }

    /// Whether work is under way in this state (as opposed to waiting for
    /// something outside the service or being done).
    pub const fn is_active(self) -> bool {
        matches!(
            self,
            State::Starting
                | State::Processing
                | State::Reapplying
                | State::Enrolling
                | State::Aborting
        )
    }
}

impl Event {
    /// Every event.
    pub const ALL: [Event; 9] = [
        Event::Start,
        Event::Wait,
        Event::Process,
        Event::Finish,
        Event::Error,
        Event::Timeout,
        Event::Abort,
        Event::AbortEnd,
        Event::Reapply,
    ];

    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Event::Start => "start",
            Event::Wait => "wait",
            Event::Process => "process",
            Event::Finish => "finish",
            Event::Error => "error",
            Event::Timeout => "timeout",
            Event::Abort => "abort",
            Event::AbortEnd => "abort_end",
            Event::Reapply => "reapply",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

impl FromStr for Event {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Event::ALL
            .into_iter()
            .find(|event| event.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names_and_serde() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>(), Ok(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }

    #[test]
    fn events_round_trip_through_their_names_and_serde() {
        for event in Event::ALL {
            assert_eq!(event.as_str().parse::<Event>(), Ok(event));
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(json, format!("\"{}\"", event.as_str()));
        }
    }

    #[test]
    fn unknown_names_are_rejected() {
        assert_eq!("done".parse::<State>(), Err(UnknownName("done".into())));
        assert_eq!(
            "abort-end".parse::<Event>(),
            Err(UnknownName("abort-end".into()))
        );
    }

    #[test]
    fn active_states_match_the_spec() {
        let active: Vec<&str> = State::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .map(State::as_str)
            .collect();
        assert_eq!(
            active,
            [
                "starting",
                "processing",
                "reapplying",
                "enrolling",
                "aborting"
            ]
        );
    }
}
