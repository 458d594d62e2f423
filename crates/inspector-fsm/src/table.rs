//! The transition table as specified (including the missing `error`
//! transitions from `waiting`, `finished` and `aborting`), plus `process`
//! from `processing` for the ramdisk's retry.

use inspector_types::{Event, State};

use crate::InvalidTransition;

/// The state reached by applying `event` in `state`, or the refused pair.
pub fn next(state: State, event: Event) -> Result<State, InvalidTransition> {
    use Event as E;
    use State as S;
    let to = match (state, event) {
        (S::Starting, E::Wait) => S::Waiting,
        (S::Starting, E::Error | E::Timeout) => S::Error,

        (S::Waiting, E::Start) => S::Starting,
        (S::Waiting, E::Process) => S::Processing,
        (S::Waiting, E::Timeout) => S::Error,
        (S::Waiting, E::Abort) => S::Aborting,

        (S::Processing, E::Finish) => S::Finished,
        // The ramdisk's retry after a processing attempt Ironic's unavailability
        // (or a killed process) cut short; not in upstream's table.
        (S::Processing, E::Process) => S::Processing,
        (S::Processing, E::Error | E::Timeout) => S::Error,

        (S::Finished, E::Start) => S::Starting,
        (S::Finished, E::Finish) => S::Finished,
        (S::Finished, E::Reapply) => S::Reapplying,

        (S::Error, E::Start) => S::Starting,
        (S::Error, E::Error | E::Abort) => S::Error,
        (S::Error, E::Reapply) => S::Reapplying,

        (S::Reapplying, E::Finish) => S::Finished,
        (S::Reapplying, E::Error | E::Timeout) => S::Error,
        (S::Reapplying, E::Reapply) => S::Reapplying,

        (S::Enrolling, E::Process) => S::Processing,
        (S::Enrolling, E::Error | E::Timeout) => S::Error,

        (S::Aborting, E::Timeout | E::AbortEnd) => S::Error,

        _ => return Err(InvalidTransition { state, event }),
    };
    Ok(to)
}
