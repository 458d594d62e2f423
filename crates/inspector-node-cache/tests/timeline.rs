//! Each record's timeline on every backend: order, the bound per record,
//! removal with the record, and time-outs explained from it.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta};
use inspector_node_cache::testing::TestDatabase;
use inspector_node_cache::{
    Backend, CleanUpPolicy, InProcessLocks, ManualClock, NewUnmatchedReport, NodeCache, NodeUuid,
    State, TimelineEvent,
};
use rstest::rstest;
use rstest_reuse::{apply, template};
use serde_json::json;

#[template]
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[case::mysql(Backend::Mysql)]
fn every_backend(#[case] backend: Backend) {}

fn cache(db: &TestDatabase) -> (NodeCache, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(
        NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap(),
    ));
    let cache = NodeCache::with_clock(
        db.db().clone(),
        Arc::new(InProcessLocks::new()),
        clock.clone(),
    );
    (cache, clock)
}

fn report(reason: &str) -> NewUnmatchedReport {
    NewUnmatchedReport {
        client_address: Some("192.0.2.7".into()),
        macs: vec!["52:54:00:12:34:56".into()],
        bmc_addresses: vec!["192.0.2.200".into()],
        reason: reason.to_owned(),
    }
}

fn kinds(events: &[TimelineEvent]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_come_back_in_order_and_the_newest_are_kept(#[case] backend: Backend) {
    let db = inspector_node_cache::database_or_skip!(TestDatabase::migrated(backend));
    let (cache, clock) = cache(&db);
    let cache = cache.keeping_events(4);
    let uuid = NodeUuid::new_random();
    cache
        .add_node(uuid, State::Waiting, true, &[])
        .await
        .unwrap();
    let first = cache.event("started", json!({"manage_boot": true}));
    clock.advance(TimeDelta::seconds(1));
    let second = cache.event("waiting", json!({}));
    cache
        .record_events(uuid, vec![first.clone(), second.clone()])
        .await
        .unwrap();
    assert_eq!(cache.timeline(uuid).await.unwrap(), [first, second]);
    for i in 0..3 {
        cache
            .record_events(
                uuid,
                vec![cache.event(&format!("step{i}"), json!({"i": i}))],
            )
            .await
            .unwrap();
    }
    let timeline = cache.timeline(uuid).await.unwrap();
    assert_eq!(kinds(&timeline), ["waiting", "step0", "step1", "step2"]);
    assert_eq!(timeline[3].detail, json!({"i": 2}));
    assert!(
        cache
            .timeline(NodeUuid::new_random())
            .await
            .unwrap()
            .is_empty()
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_goes_with_its_record(#[case] backend: Backend) {
    let db = inspector_node_cache::database_or_skip!(TestDatabase::migrated(backend));
    let (cache, _) = cache(&db);
    let (replaced, gone, kept) = (
        NodeUuid::new_random(),
        NodeUuid::new_random(),
        NodeUuid::new_random(),
    );
    for uuid in [replaced, gone, kept] {
        cache
            .add_node(uuid, State::Waiting, true, &[])
            .await
            .unwrap();
        cache
            .record_events(uuid, vec![cache.event("started", json!({}))])
            .await
            .unwrap();
    }
    cache
        .start_introspection(replaced, true, vec![])
        .await
        .unwrap();
    assert!(
        cache.timeline(replaced).await.unwrap().is_empty(),
        "a new introspection starts a new timeline"
    );
    let in_ironic: HashSet<NodeUuid> = [replaced, kept].into_iter().collect();
    assert_eq!(
        cache.delete_nodes_not_in_list(&in_ironic).await.unwrap(),
        [gone]
    );
    assert!(cache.timeline(gone).await.unwrap().is_empty());
    assert_eq!(kinds(&cache.timeline(kept).await.unwrap()), ["started"]);
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_out_is_explained_from_the_timeline(#[case] backend: Backend) {
    let db = inspector_node_cache::database_or_skip!(TestDatabase::migrated(backend));
    let (plain, clock) = cache(&db);
    let cache = plain
        .clone()
        .explaining_timeouts(Arc::new(|events, unmatched| {
            format!(
                "last step {}, unmatched {:?}",
                events.last().map_or("none", |e| e.kind.as_str()),
                unmatched
                    .iter()
                    .map(|r| r.reason.as_str())
                    .collect::<Vec<_>>()
            )
        }));
    cache
        .record_unmatched(report("before the start"))
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(1));
    let (explained, silent) = (NodeUuid::new_random(), NodeUuid::new_random());
    for uuid in [explained, silent] {
        cache
            .add_node(uuid, State::Waiting, true, &[])
            .await
            .unwrap();
    }
    cache
        .record_events(explained, vec![cache.event("power_action", json!({}))])
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(5));
    cache
        .record_unmatched(report("while waiting"))
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(61));
    let policy = CleanUpPolicy {
        timeout: 60,
        node_status_keep_time: 0,
    };
    let mut timed_out = cache.clean_up(policy).await.unwrap();
    timed_out.sort();
    let mut expected = vec![explained, silent];
    expected.sort();
    assert_eq!(timed_out, expected);
    assert_eq!(
        cache.get_node(explained).await.unwrap().error.as_deref(),
        Some("Introspection timeout: last step power_action, unmatched [\"while waiting\"]")
    );
    assert_eq!(
        kinds(&cache.timeline(explained).await.unwrap()),
        ["power_action", "timed_out"],
        "the time-out is recorded with it"
    );
    assert_eq!(
        cache.get_node(silent).await.unwrap().error.as_deref(),
        Some("Introspection timeout: last step none, unmatched [\"while waiting\"]")
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_reports_are_bounded_and_paged_newest_first(#[case] backend: Backend) {
    let db = inspector_node_cache::database_or_skip!(TestDatabase::migrated(backend));
    let (cache, clock) = cache(&db);
    let cache = cache.keeping_unmatched(3);
    for i in 0..5 {
        cache
            .record_unmatched(report(&format!("r{i}")))
            .await
            .unwrap();
        clock.advance(TimeDelta::seconds(1));
    }
    let all = cache.unmatched(10, None).await.unwrap();
    let reasons: Vec<&str> = all.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons, ["r4", "r3", "r2"], "the newest three are kept");
    assert_eq!(all[0].client_address.as_deref(), Some("192.0.2.7"));
    assert_eq!(all[0].macs, ["52:54:00:12:34:56"]);
    assert_eq!(all[0].bmc_addresses, ["192.0.2.200"]);
    assert!(all[0].at > all[1].at);
    let page = cache.unmatched(1, Some(all[0].id)).await.unwrap();
    assert_eq!(page, [all[1].clone()]);
    let after_last = cache.unmatched(5, Some(all[2].id)).await.unwrap();
    assert!(after_last.is_empty());
    let since = cache.unmatched_since(all[1].at).await.unwrap();
    assert_eq!(
        since.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>(),
        ["r3", "r4"],
        "oldest first"
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_database_refuses_never_fails_the_state_change(#[case] backend: Backend) {
    let db = inspector_node_cache::database_or_skip!(TestDatabase::migrated(backend));
    let (cache, _) = cache(&db);
    let uuid = NodeUuid::new_random();
    cache
        .add_node(uuid, State::Processing, true, &[])
        .await
        .unwrap();
    let mut record = cache.get_node(uuid).await.unwrap();
    // Longer than MySQL's TEXT column holds.
    let huge = cache.event("error", json!({"message": "x".repeat(70_000)}));
    cache
        .failed(&mut record, "it failed".into(), vec![huge])
        .await
        .unwrap();
    let read = cache.get_node(uuid).await.unwrap();
    assert_eq!(
        (read.state, read.error.as_deref()),
        (State::Error, Some("it failed"))
    );
    let timeline = cache.timeline(uuid).await.unwrap();
    match backend {
        Backend::Mysql => assert!(timeline.is_empty(), "dropped, not truncated"),
        _ => assert_eq!(kinds(&timeline), ["error"]),
    }
}
