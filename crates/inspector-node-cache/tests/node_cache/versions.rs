//! State-machine writes and the `version_id` guard: valid and refused events,
//! finishing, stale and concurrent writers.

use super::*;

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fsm_events_write_valid_transitions_and_refuse_others(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();
    cache
        .add_node(
            uuid,
            State::Starting,
            true,
            &[("mac", strings(&["dd:00:00:00:00:01"]))],
        )
        .await
        .unwrap();
    let mut node = cache.get_node(uuid).await.unwrap();

    cache
        .fsm_event(&mut node, Event::Wait, Strictness::Lenient)
        .await
        .unwrap();
    assert_eq!(node.state, State::Waiting);
    assert_eq!(cache.get_node(uuid).await.unwrap().state, State::Waiting);

    // Lenient refusal: nothing is written.
    let error = cache
        .fsm_event(&mut node, Event::Finish, Strictness::Lenient)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Can not transition from state 'waiting' on event 'finish' (no defined transition)"
    );
    let read = cache.get_node(uuid).await.unwrap();
    assert_eq!(
        (read.state, read.finished_at.is_some()),
        (State::Waiting, false)
    );
    assert_eq!(cache.attributes(uuid).await.unwrap().len(), 1);

    // Strict refusal finishes the record in error with the refusal's message.
    cache
        .fsm_event(&mut node, Event::Process, Strictness::Strict)
        .await
        .unwrap();
    let error = cache
        .fsm_event(&mut node, Event::Wait, Strictness::Strict)
        .await
        .unwrap_err();
    let message =
        "Can not transition from state 'processing' on event 'wait' (no defined transition)";
    assert_eq!(error.to_string(), message);
    let read = cache.get_node(uuid).await.unwrap();
    assert_eq!(read.state, State::Error);
    assert_eq!(read.error.as_deref(), Some(message));
    assert!(read.finished_at.is_some());
    assert!(cache.attributes(uuid).await.unwrap().is_empty());

    // Self-loop (error --abort--> error) writes nothing and succeeds.
    cache
        .fsm_event(&mut node, Event::Abort, Strictness::Lenient)
        .await
        .unwrap();
    assert_eq!(cache.get_node(uuid).await.unwrap().state, State::Error);
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_in_a_state_without_error_transition_keeps_the_record_waiting(
    #[case] backend: Backend,
) {
    // The spec's quirk (§1.6): `error` is undefined in `waiting`; attributes
    // and options go, the state, finished_at and error stay.
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = waiting_node(&cache, &["ee:00:00:00:00:01"]).await;
    cache.set_option(uuid, "x", &json!(1)).await.unwrap();
    let mut node = cache
        .find_node(&LookupQuery {
            bmc_addresses: vec![],
            macs: strings(&["ee:00:00:00:00:01"]),
        })
        .await
        .unwrap();
    let error = cache
        .finished(&mut node, Event::Error, Some("ramdisk error".into()))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Can not transition from state 'waiting' on event 'error' (no defined transition)"
    );
    assert!(!node.is_locked(), "the lock is released first");
    let read = cache.get_node(uuid).await.unwrap();
    assert_eq!(
        (read.state, read.finished_at, read.error),
        (State::Waiting, None, None)
    );
    assert!(cache.attributes(uuid).await.unwrap().is_empty());
    assert!(cache.options(uuid).await.unwrap().is_empty());
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_records_time_error_and_state(#[case] backend: Backend) {
    let db = database!(backend);
    let (cache, clock, _) = cache_with_clock(&db);
    let uuid = waiting_node(&cache, &["ff:00:00:00:00:01"]).await;
    let mut node = cache.get_node(uuid).await.unwrap();
    cache
        .fsm_event(&mut node, Event::Abort, Strictness::Lenient)
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(30));
    cache
        .finished(
            &mut node,
            Event::AbortEnd,
            Some("Canceled by operator".into()),
        )
        .await
        .unwrap();
    let read = cache.get_node(uuid).await.unwrap();
    assert_eq!(read.state, State::Error);
    assert_eq!(read.error.as_deref(), Some("Canceled by operator"));
    assert_eq!(read.finished_at, Some(t0() + TimeDelta::seconds(30)));
    assert_eq!(read.started_at, Some(t0()));
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_writer_gets_a_race_error_and_never_overwrites(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();
    cache
        .add_node(uuid, State::Waiting, true, &[])
        .await
        .unwrap();
    let mut first = cache.get_node(uuid).await.unwrap();
    let mut stale = cache.get_node(uuid).await.unwrap();
    cache
        .fsm_event(&mut first, Event::Abort, Strictness::Lenient)
        .await
        .unwrap();
    let error = cache
        .fsm_event(&mut stale, Event::Process, Strictness::Strict)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Node state mismatch detected between the DB and the cached node_info object"
    );
    let error = cache
        .finished(&mut stale, Event::Timeout, Some("late".into()))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::StateRace(_)), "{error}");
    let read = cache.get_node(uuid).await.unwrap();
    assert_eq!((read.state, read.error), (State::Aborting, None));
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_with_one_version_exactly_one_wins(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    for round in 0..5 {
        let uuid = NodeUuid::new_random();
        cache
            .add_node(uuid, State::Waiting, true, &[])
            .await
            .unwrap();
        // Several snapshots with the same version_id race to change the state.
        let events = [Event::Process, Event::Abort, Event::Timeout, Event::Process];
        let mut snapshots = Vec::new();
        for _ in events {
            snapshots.push(cache.get_node(uuid).await.unwrap());
        }
        let mut tasks = Vec::new();
        for (event, mut node) in events.into_iter().zip(snapshots) {
            let cache = cache.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .fsm_event(&mut node, event, Strictness::Lenient)
                    .await
                    .map(|()| node.state)
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(state) => winners.push(state),
                Err(Error::StateRace(_)) => {}
                Err(other) => panic!("round {round}: unexpected error {other}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        assert_eq!(
            cache.get_node(uuid).await.unwrap().state,
            winners[0],
            "round {round}"
        );
    }
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_start_requests_for_a_new_node_do_not_both_succeed(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    for _ in 0..5 {
        let uuid = NodeUuid::new_random();
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    cache
                        .start_introspection(uuid, true, vec![])
                        .await
                        .map(|n| n.state)
                })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(state) => {
                    assert_eq!(state, State::Starting);
                    ok += 1;
                }
                Err(Error::StateRace(_) | Error::InvalidEvent(_)) => {}
                Err(other) => panic!("unexpected error {other}"),
            }
        }
        assert_eq!(ok, 1);
    }
}
