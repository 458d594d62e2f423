//! Every (state, event) pair of the specification's transition table.
//!
//! The case list was written from the table in the specification (section 1.3),
//! one case per cell: `Some(state)` where the table names a target, `None` for a dash.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use inspector_fsm::{Event, InvalidTransition, State, Strictness, apply, next};
use rstest::rstest;

#[rstest]
#[case::starting_start(State::Starting, Event::Start, None)]
#[case::starting_wait(State::Starting, Event::Wait, Some(State::Waiting))]
#[case::starting_process(State::Starting, Event::Process, None)]
#[case::starting_finish(State::Starting, Event::Finish, None)]
#[case::starting_error(State::Starting, Event::Error, Some(State::Error))]
#[case::starting_timeout(State::Starting, Event::Timeout, Some(State::Error))]
#[case::starting_abort(State::Starting, Event::Abort, None)]
#[case::starting_abort_end(State::Starting, Event::AbortEnd, None)]
#[case::starting_reapply(State::Starting, Event::Reapply, None)]
#[case::waiting_start(State::Waiting, Event::Start, Some(State::Starting))]
#[case::waiting_wait(State::Waiting, Event::Wait, None)]
#[case::waiting_process(State::Waiting, Event::Process, Some(State::Processing))]
#[case::waiting_finish(State::Waiting, Event::Finish, None)]
#[case::waiting_error(State::Waiting, Event::Error, None)]
#[case::waiting_timeout(State::Waiting, Event::Timeout, Some(State::Error))]
#[case::waiting_abort(State::Waiting, Event::Abort, Some(State::Aborting))]
#[case::waiting_abort_end(State::Waiting, Event::AbortEnd, None)]
#[case::waiting_reapply(State::Waiting, Event::Reapply, None)]
#[case::processing_start(State::Processing, Event::Start, None)]
#[case::processing_wait(State::Processing, Event::Wait, None)]
// Not in the specification's table: the ramdisk's retry (docs/compatibility.md).
#[case::processing_process(State::Processing, Event::Process, Some(State::Processing))]
#[case::processing_finish(State::Processing, Event::Finish, Some(State::Finished))]
#[case::processing_error(State::Processing, Event::Error, Some(State::Error))]
#[case::processing_timeout(State::Processing, Event::Timeout, Some(State::Error))]
#[case::processing_abort(State::Processing, Event::Abort, None)]
#[case::processing_abort_end(State::Processing, Event::AbortEnd, None)]
#[case::processing_reapply(State::Processing, Event::Reapply, None)]
#[case::finished_start(State::Finished, Event::Start, Some(State::Starting))]
#[case::finished_wait(State::Finished, Event::Wait, None)]
#[case::finished_process(State::Finished, Event::Process, None)]
#[case::finished_finish(State::Finished, Event::Finish, Some(State::Finished))]
#[case::finished_error(State::Finished, Event::Error, None)]
#[case::finished_timeout(State::Finished, Event::Timeout, None)]
#[case::finished_abort(State::Finished, Event::Abort, None)]
#[case::finished_abort_end(State::Finished, Event::AbortEnd, None)]
#[case::finished_reapply(State::Finished, Event::Reapply, Some(State::Reapplying))]
#[case::error_start(State::Error, Event::Start, Some(State::Starting))]
#[case::error_wait(State::Error, Event::Wait, None)]
#[case::error_process(State::Error, Event::Process, None)]
#[case::error_finish(State::Error, Event::Finish, None)]
#[case::error_error(State::Error, Event::Error, Some(State::Error))]
#[case::error_timeout(State::Error, Event::Timeout, None)]
#[case::error_abort(State::Error, Event::Abort, Some(State::Error))]
#[case::error_abort_end(State::Error, Event::AbortEnd, None)]
#[case::error_reapply(State::Error, Event::Reapply, Some(State::Reapplying))]
#[case::reapplying_start(State::Reapplying, Event::Start, None)]
#[case::reapplying_wait(State::Reapplying, Event::Wait, None)]
#[case::reapplying_process(State::Reapplying, Event::Process, None)]
#[case::reapplying_finish(State::Reapplying, Event::Finish, Some(State::Finished))]
#[case::reapplying_error(State::Reapplying, Event::Error, Some(State::Error))]
#[case::reapplying_timeout(State::Reapplying, Event::Timeout, Some(State::Error))]
#[case::reapplying_abort(State::Reapplying, Event::Abort, None)]
#[case::reapplying_abort_end(State::Reapplying, Event::AbortEnd, None)]
#[case::reapplying_reapply(State::Reapplying, Event::Reapply, Some(State::Reapplying))]
#[case::enrolling_start(State::Enrolling, Event::Start, None)]
#[case::enrolling_wait(State::Enrolling, Event::Wait, None)]
#[case::enrolling_process(State::Enrolling, Event::Process, Some(State::Processing))]
#[case::enrolling_finish(State::Enrolling, Event::Finish, None)]
#[case::enrolling_error(State::Enrolling, Event::Error, Some(State::Error))]
#[case::enrolling_timeout(State::Enrolling, Event::Timeout, Some(State::Error))]
#[case::enrolling_abort(State::Enrolling, Event::Abort, None)]
#[case::enrolling_abort_end(State::Enrolling, Event::AbortEnd, None)]
#[case::enrolling_reapply(State::Enrolling, Event::Reapply, None)]
#[case::aborting_start(State::Aborting, Event::Start, None)]
#[case::aborting_wait(State::Aborting, Event::Wait, None)]
#[case::aborting_process(State::Aborting, Event::Process, None)]
#[case::aborting_finish(State::Aborting, Event::Finish, None)]
#[case::aborting_error(State::Aborting, Event::Error, None)]
#[case::aborting_timeout(State::Aborting, Event::Timeout, Some(State::Error))]
#[case::aborting_abort(State::Aborting, Event::Abort, None)]
#[case::aborting_abort_end(State::Aborting, Event::AbortEnd, Some(State::Error))]
#[case::aborting_reapply(State::Aborting, Event::Reapply, None)]
fn transition_table(#[case] from: State, #[case] event: Event, #[case] to: Option<State>) {
    match (next(from, event), to) {
        (Ok(got), Some(want)) => assert_eq!(got, want),
        (Err(error), None) => {
            assert_eq!(error, InvalidTransition { state: from, event });
            let message = error.to_string();
            assert_eq!(
                message,
                format!(
                    "Can not transition from state '{}' on event '{}' (no defined transition)",
                    from.as_str(),
                    event.as_str()
                )
            );
        }
        (got, want) => panic!("{from} --{event}--> got {got:?}, the table says {want:?}"),
    }
}

#[test]
fn every_state_has_an_outgoing_transition() {
    for state in State::ALL {
        assert!(
            Event::ALL
                .into_iter()
                .any(|event| next(state, event).is_ok()),
            "{state} is terminal"
        );
    }
}

#[test]
fn error_is_not_possible_from_waiting_finished_and_aborting() {
    for state in [State::Waiting, State::Finished, State::Aborting] {
        assert!(next(state, Event::Error).is_err(), "{state}");
    }
}

#[test]
fn strict_refusal_asks_to_fail_the_introspection() {
    let strict = apply(State::Finished, Event::Process, Strictness::Strict).unwrap_err();
    assert!(strict.fail_introspection);
    let lenient = apply(State::Finished, Event::Process, Strictness::Lenient).unwrap_err();
    assert!(!lenient.fail_introspection);
    assert_eq!(strict.error, lenient.error);
    assert_eq!(
        strict.to_string(),
        "Can not transition from state 'finished' on event 'process' (no defined transition)"
    );
}

#[test]
fn self_loops_do_not_change_state() {
    let same = apply(State::Error, Event::Abort, Strictness::Lenient).unwrap();
    assert!(!same.changes_state());
    let moved = apply(State::Waiting, Event::Abort, Strictness::Strict).unwrap();
    assert!(moved.changes_state());
    assert_eq!(moved.to, State::Aborting);
}

#[test]
fn timeout_always_lands_in_error_when_accepted() {
    for state in State::ALL {
        if let Ok(to) = next(state, Event::Timeout) {
            assert_eq!(to, State::Error, "{state}");
        }
    }
}

mod laws {
    use inspector_fsm::{Event, State, Strictness, apply, next};
    use proptest::prelude::*;
    use proptest::sample::select;

    proptest! {
        /// Whatever happened before, an accepted `timeout` lands in `error`,
        /// and a refused event leaves the state as it was.
        #[test]
        fn random_event_sequences_follow_the_table(events in proptest::collection::vec(select(Event::ALL.to_vec()), 0..64)) {
            let mut state = State::Finished;
            for event in events {
                match next(state, event) {
                    Ok(to) => {
                        if event == Event::Timeout {
                            prop_assert_eq!(to, State::Error);
                        }
                        state = to;
                    }
                    Err(refused) => prop_assert_eq!(refused.state, state),
                }
            }
        }

        /// Strictness only decides whether a refusal fails the introspection.
        #[test]
        fn strictness_changes_only_the_refusal_flag(state in select(State::ALL.to_vec()), event in select(Event::ALL.to_vec())) {
            let strict = apply(state, event, Strictness::Strict);
            let lenient = apply(state, event, Strictness::Lenient);
            match (strict, lenient) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a.error, b.error);
                    prop_assert!(a.fail_introspection && !b.fail_introspection);
                }
                (a, b) => prop_assert!(false, "strict {:?} vs lenient {:?}", a, b),
            }
        }
    }
}
