//! Every node-cache operation, on SQLite always and on PostgreSQL and MySQL
//! when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` name a server.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{NaiveDate, TimeDelta};
use inspector_node_cache::testing::TestDatabase;
use inspector_node_cache::{
    Backend, CleanUpPolicy, Error, Event, InProcessLocks, IronicError, IronicNodes, LookupQuery,
    ManualClock, NodeCache, NodeLocks, NodeUuid, State, Strictness,
};
use rstest::rstest;
use rstest_reuse::{apply, template};
use serde_json::json;

/// A stand-in for Ironic with a fixed set of answers.
#[derive(Debug, Default)]
struct FakeIronic {
    names: BTreeMap<String, NodeUuid>,
    port_owner: BTreeMap<String, NodeUuid>,
    bmc_owner: BTreeMap<String, NodeUuid>,
    provision_states: BTreeMap<NodeUuid, String>,
    fail_create: bool,
    created: Mutex<Vec<(String, serde_json::Map<String, serde_json::Value>)>>,
}

#[async_trait]
impl IronicNodes for FakeIronic {
    async fn node_uuid(&self, ident: &str) -> Result<NodeUuid, IronicError> {
        if ident.contains(' ') {
            return Err(IronicError::BadRequest("invalid name".into()));
        }
        self.names
            .get(ident)
            .copied()
            .ok_or_else(|| IronicError::NotFound(format!("node {ident} could not be found")))
    }

    async fn node_by_macs(&self, macs: &[String]) -> Result<Option<NodeUuid>, IronicError> {
        Ok(macs
            .iter()
            .find_map(|mac| self.port_owner.get(mac).copied()))
    }

    async fn node_by_bmc_addresses(
        &self,
        addresses: &[String],
    ) -> Result<Option<NodeUuid>, IronicError> {
        Ok(addresses
            .iter()
            .find_map(|a| self.bmc_owner.get(a).copied()))
    }

    async fn provision_state(&self, uuid: NodeUuid) -> Result<Option<String>, IronicError> {
        Ok(self.provision_states.get(&uuid).cloned())
    }

    async fn create_node(
        &self,
        driver: &str,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Result<NodeUuid, IronicError> {
        if self.fail_create {
            return Err(IronicError::BadRequest(
                "driver fake-hardware is not enabled".into(),
            ));
        }
        self.created
            .lock()
            .unwrap()
            .push((driver.to_owned(), fields));
        Ok(NodeUuid::new_random())
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn t0() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 2)
        .unwrap()
        .and_hms_opt(3, 4, 5)
        .unwrap()
}

/// Adds a `waiting` record with the given MACs and returns its UUID.
async fn waiting_node(cache: &NodeCache, macs: &[&str]) -> NodeUuid {
    let uuid = NodeUuid::new_random();
    cache
        .add_node(uuid, State::Waiting, true, &[("mac", strings(macs))])
        .await
        .unwrap();
    uuid
}

/// A node cache whose clock only moves when the test says so.
fn cache_with_clock(db: &TestDatabase) -> (NodeCache, Arc<ManualClock>, Arc<InProcessLocks>) {
    let clock = Arc::new(ManualClock::new(t0()));
    let locks = Arc::new(InProcessLocks::new());
    let cache = NodeCache::with_clock(db.db().clone(), locks.clone(), clock.clone());
    (cache, clock, locks)
}

/// Runs a test once per backend: SQLite always, PostgreSQL and MySQL when configured.
#[template]
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[case::mysql(Backend::Mysql)]
fn every_backend(#[case] backend: Backend) {}

/// A migrated database on `backend`, or return from the test when it is skipped.
macro_rules! database {
    ($backend:expr) => {
        inspector_node_cache::database_or_skip!(TestDatabase::migrated($backend))
    };
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_node_stores_the_record_and_non_empty_attributes(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();
    let added = cache
        .add_node(
            uuid,
            State::Starting,
            false,
            &[
                ("bmc_address", strings(&["10.0.0.5", ""])),
                ("mac", strings(&["11:22:33:44:55:66"])),
            ],
        )
        .await
        .unwrap();
    assert_eq!((added.state, added.manage_boot), (State::Starting, false));
    let read = cache.get_node(uuid).await.unwrap();
    assert_eq!(read.uuid, uuid);
    assert_eq!(read.state, State::Starting);
    assert!(!read.manage_boot);
    assert!(read.started_at.is_some());
    assert!(!read.is_locked(), "get_node takes no lock");
    assert_eq!((read.finished_at, read.error), (None, None));
    let attributes = cache.attributes(uuid).await.unwrap();
    assert_eq!(attributes["bmc_address"], ["10.0.0.5"]);
    assert_eq!(attributes["mac"], ["11:22:33:44:55:66"]);
    assert_eq!(attributes.len(), 2);
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_node_replaces_everything_of_an_existing_record(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = waiting_node(&cache, &["aa:aa:aa:aa:aa:aa"]).await;
    cache.set_option(uuid, "old", &json!(1)).await.unwrap();
    cache
        .store_introspection_data(uuid, true, &json!({"cpus": 2}))
        .await
        .unwrap();
    cache
        .store_introspection_data(uuid, false, &json!({"raw": true}))
        .await
        .unwrap();

    cache
        .add_node(
            uuid,
            State::Enrolling,
            true,
            &[("mac", strings(&["bb:bb:bb:bb:bb:bb"]))],
        )
        .await
        .unwrap();

    assert_eq!(cache.get_node(uuid).await.unwrap().state, State::Enrolling);
    assert_eq!(
        cache.attributes(uuid).await.unwrap()["mac"],
        ["bb:bb:bb:bb:bb:bb"]
    );
    assert!(cache.options(uuid).await.unwrap().is_empty());
    for processed in [true, false] {
        let error = cache.introspection_data(uuid, processed).await.unwrap_err();
        assert!(matches!(error, Error::DataNotFound { .. }), "{error}");
    }
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_introspection_creates_or_restarts_records(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();

    let fresh = cache
        .start_introspection(uuid, true, strings(&["10.0.0.1", "fd00::1"]))
        .await
        .unwrap();
    assert_eq!(fresh.state, State::Starting);
    assert_eq!(
        cache.attributes(uuid).await.unwrap()["bmc_address"],
        ["10.0.0.1", "fd00::1"]
    );

    // starting does not accept `start`: refused, nothing changes.
    let error = cache
        .start_introspection(uuid, false, vec![])
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Can not transition from state 'starting' on event 'start' (no defined transition)"
    );
    let unchanged = cache.get_node(uuid).await.unwrap();
    assert!(unchanged.manage_boot);
    assert_eq!(
        cache.attributes(uuid).await.unwrap()["bmc_address"].len(),
        2
    );

    // A finished record is replaced by a fresh one.
    let mut node = cache.get_node(uuid).await.unwrap();
    cache
        .fsm_event(&mut node, Event::Wait, Strictness::Lenient)
        .await
        .unwrap();
    cache
        .fsm_event(&mut node, Event::Process, Strictness::Strict)
        .await
        .unwrap();
    cache
        .finished(&mut node, Event::Finish, None)
        .await
        .unwrap();
    cache
        .store_introspection_data(uuid, true, &json!({"old": 1}))
        .await
        .unwrap();
    let restarted = cache
        .start_introspection(uuid, false, strings(&["10.0.0.2"]))
        .await
        .unwrap();
    assert_eq!(restarted.state, State::Starting);
    let read = cache.get_node(uuid).await.unwrap();
    assert_eq!(
        (read.state, read.finished_at, read.manage_boot),
        (State::Starting, None, false)
    );
    assert_eq!(
        cache.attributes(uuid).await.unwrap()["bmc_address"],
        ["10.0.0.2"]
    );
    assert!(
        cache.introspection_data(uuid, true).await.is_err(),
        "stored data is wiped"
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_node_by_uuid_or_name(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();
    cache
        .add_node(uuid, State::Waiting, true, &[])
        .await
        .unwrap();
    let ironic = FakeIronic {
        names: BTreeMap::from([
            ("node-1".to_owned(), uuid),
            ("ghost".to_owned(), NodeUuid::new_random()),
        ]),
        ..Default::default()
    };
    assert_eq!(
        cache
            .get_node_by_ident("node-1", &ironic)
            .await
            .unwrap()
            .uuid,
        uuid
    );
    assert_eq!(
        cache
            .get_node_by_ident(&uuid.to_string().to_uppercase(), &ironic)
            .await
            .unwrap()
            .uuid,
        uuid
    );

    let missing = NodeUuid::new_random();
    let error = cache.get_node(missing).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("Could not find node {missing} in cache")
    );
    let error = cache
        .get_node_by_ident("unknown", &ironic)
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "Node unknown was not found in Ironic");
    let error = cache
        .get_node_by_ident("bad name", &ironic)
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "Cannot get node bad name: invalid name");
    let error = cache.get_node_by_ident("ghost", &ironic).await.unwrap_err();
    assert!(matches!(error, Error::NodeNotInCache(_)), "{error}");
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_is_newest_first_with_marker_limit_and_state_filter(#[case] backend: Backend) {
    let db = database!(backend);
    let (cache, clock, _) = cache_with_clock(&db);
    // Two records share a start time: ties are broken by UUID, descending.
    let mut uuids: Vec<NodeUuid> = (0..5).map(|_| NodeUuid::new_random()).collect();
    uuids.sort();
    let states = [
        State::Waiting,
        State::Finished,
        State::Error,
        State::Waiting,
        State::Starting,
    ];
    for (i, (uuid, state)) in uuids.iter().zip(states).enumerate() {
        if i != 2 {
            clock.advance(TimeDelta::seconds(10));
        }
        cache.add_node(*uuid, state, true, &[]).await.unwrap();
    }
    // Start times: u0 < u1 = u2 < u3 < u4 → newest first: u4, u3, u2, u1, u0.
    let expected = [uuids[4], uuids[3], uuids[2], uuids[1], uuids[0]];
    let listed = |nodes: Vec<inspector_node_cache::NodeInfo>| {
        nodes.into_iter().map(|n| n.uuid).collect::<Vec<_>>()
    };
    assert_eq!(
        listed(cache.list_nodes(None, None, None).await.unwrap()),
        expected
    );
    assert_eq!(
        listed(cache.list_nodes(None, Some(2), None).await.unwrap()),
        expected[..2]
    );
    assert_eq!(
        listed(
            cache
                .list_nodes(Some(expected[1]), Some(2), None)
                .await
                .unwrap()
        ),
        expected[2..4]
    );
    assert_eq!(
        listed(
            cache
                .list_nodes(Some(expected[2]), None, None)
                .await
                .unwrap()
        ),
        expected[3..]
    );
    assert_eq!(
        listed(
            cache
                .list_nodes(None, None, Some(vec![State::Waiting]))
                .await
                .unwrap()
        ),
        [uuids[3], uuids[0]]
    );
    // The marker is found whatever the state filter.
    assert_eq!(
        listed(
            cache
                .list_nodes(
                    Some(expected[0]),
                    None,
                    Some(vec![State::Waiting, State::Error])
                )
                .await
                .unwrap()
        ),
        [uuids[3], uuids[2], uuids[0]]
    );
    let error = cache
        .list_nodes(Some(NodeUuid::new_random()), None, None)
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "The requested node was not found.");
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributes_active_macs_and_introspection_active(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    assert!(!cache.introspection_active().await.unwrap());
    assert!(cache.active_macs().await.unwrap().is_empty());
    let (a, b) = (NodeUuid::new_random(), NodeUuid::new_random());
    cache
        .add_node(
            a,
            State::Waiting,
            true,
            &[("mac", strings(&["aa:00:00:00:00:01"]))],
        )
        .await
        .unwrap();
    cache.add_node(b, State::Waiting, true, &[]).await.unwrap();
    cache
        .add_attribute(
            b,
            "mac",
            strings(&["bb:00:00:00:00:01", "bb:00:00:00:00:02", ""]),
        )
        .await
        .unwrap();
    cache
        .add_attribute(b, "bmc_address", strings(&["10.1.1.1"]))
        .await
        .unwrap();
    assert!(cache.introspection_active().await.unwrap());
    assert_eq!(
        cache
            .active_macs()
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        [
            "aa:00:00:00:00:01",
            "bb:00:00:00:00:01",
            "bb:00:00:00:00:02"
        ]
    );
    assert_eq!(cache.attributes(b).await.unwrap()["mac"].len(), 2);
    cache.delete_attributes(b).await.unwrap();
    assert!(cache.attributes(b).await.unwrap().is_empty());
    assert_eq!(cache.active_macs().await.unwrap().len(), 1);

    let mut node = cache.get_node(a).await.unwrap();
    cache
        .fsm_event(&mut node, Event::Process, Strictness::Strict)
        .await
        .unwrap();
    cache
        .finished(&mut node, Event::Finish, None)
        .await
        .unwrap();
    let mut node = cache.get_node(b).await.unwrap();
    cache
        .fsm_event(&mut node, Event::Timeout, Strictness::Lenient)
        .await
        .unwrap();
    cache
        .finished(&mut node, Event::Error, Some("gone".into()))
        .await
        .unwrap();
    assert!(!cache.introspection_active().await.unwrap());
    assert!(cache.active_macs().await.unwrap().is_empty());
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_node_scores_matching_rows_and_locks_the_winner(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let (a, b) = (NodeUuid::new_random(), NodeUuid::new_random());
    cache
        .add_node(
            a,
            State::Waiting,
            true,
            &[
                ("bmc_address", strings(&["10.0.0.9"])),
                ("mac", strings(&["aa:aa:aa:aa:aa:01"])),
            ],
        )
        .await
        .unwrap();
    cache
        .add_node(
            b,
            State::Waiting,
            true,
            &[
                ("bmc_address", strings(&["10.0.0.9"])),
                ("mac", strings(&["bb:bb:bb:bb:bb:01", "bb:bb:bb:bb:bb:02"])),
            ],
        )
        .await
        .unwrap();

    // Shared BMC alone: a tie.
    let query = LookupQuery {
        bmc_addresses: strings(&["10.0.0.9"]),
        macs: vec![],
    };
    let error = cache.find_node(&query).await.unwrap_err();
    let mut tied = [a.to_string(), b.to_string()];
    tied.sort();
    assert_eq!(
        error.to_string(),
        format!(
            "Multiple nodes match the same number of attributes {{'bmc_address': ['10.0.0.9'], 'mac': []}}: ['{}', '{}']",
            tied[0], tied[1]
        )
    );

    // BMC + one MAC of `a` → a scores 2, b scores 1.
    let query = LookupQuery {
        bmc_addresses: strings(&["10.0.0.9", ""]),
        macs: strings(&["aa:aa:aa:aa:aa:01"]),
    };
    let found = cache.find_node(&query).await.unwrap();
    assert_eq!(found.uuid, a);
    assert!(found.is_locked());
    assert!(
        cache.locks().try_lock(a).await.unwrap().is_none(),
        "the winner is locked"
    );
    drop(found);
    assert!(
        cache.locks().try_lock(a).await.unwrap().is_some(),
        "dropping the record releases it"
    );

    // Two MACs of b (two matching rows) beat one MAC of a plus nothing else.
    let query = LookupQuery {
        bmc_addresses: vec![],
        macs: strings(&[
            "aa:aa:aa:aa:aa:01",
            "bb:bb:bb:bb:bb:01",
            "bb:bb:bb:bb:bb:02",
        ]),
    };
    assert_eq!(cache.find_node(&query).await.unwrap().uuid, b);

    let query = LookupQuery {
        bmc_addresses: strings(&["192.0.2.1"]),
        macs: strings(&["ff:ff:ff:ff:ff:ff"]),
    };
    let error = cache.find_node(&query).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Could not find a node for attributes {'bmc_address': ['192.0.2.1'], 'mac': ['ff:ff:ff:ff:ff:ff']}"
    );
    assert!(matches!(error, Error::NotFoundInCache(_)));
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_node_refuses_finished_records_and_waits_for_the_lock(#[case] backend: Backend) {
    let db = database!(backend);
    let (cache, _, _) = cache_with_clock(&db);
    let uuid = waiting_node(&cache, &["cc:cc:cc:cc:cc:01"]).await;
    let query = LookupQuery {
        bmc_addresses: vec![],
        macs: strings(&["cc:cc:cc:cc:cc:01"]),
    };

    // The lock is taken blocking: a holder delays the look-up.
    let held = cache.locks().lock(uuid).await.unwrap();
    let lookup = {
        let (cache, query) = (cache.clone(), query.clone());
        tokio::spawn(async move { cache.find_node(&query).await.map(|n| n.uuid) })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(!lookup.is_finished());
    drop(held);
    assert_eq!(lookup.await.unwrap().unwrap(), uuid);

    // A record finished after its attributes were read is refused, lock released.
    cache
        .add_attribute(uuid, "mac", strings(&["cc:cc:cc:cc:cc:02"]))
        .await
        .unwrap();
    let mut node = cache.get_node(uuid).await.unwrap();
    cache
        .fsm_event(&mut node, Event::Process, Strictness::Strict)
        .await
        .unwrap();
    cache
        .finished(&mut node, Event::Finish, None)
        .await
        .unwrap();
    cache
        .add_attribute(uuid, "mac", strings(&["cc:cc:cc:cc:cc:01"]))
        .await
        .unwrap();
    let error = cache.find_node(&query).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("Introspection for node {uuid} already finished on 2026-01-02 03:04:05")
    );
    assert!(cache.locks().try_lock(uuid).await.unwrap().is_some());
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_round_trip_and_are_replaced(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();
    cache
        .add_node(uuid, State::Waiting, true, &[])
        .await
        .unwrap();
    cache
        .set_option(uuid, "new_ipmi_credentials", &json!(["admin", "pw"]))
        .await
        .unwrap();
    cache.set_option(uuid, "flag", &json!(true)).await.unwrap();
    cache
        .set_option(uuid, "flag", &json!({"v": 2}))
        .await
        .unwrap();
    let options = cache.options(uuid).await.unwrap();
    assert_eq!(options["new_ipmi_credentials"], json!(["admin", "pw"]));
    assert_eq!(options["flag"], json!({"v": 2}));
    assert_eq!(options.len(), 2);
}

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

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_nodes_not_in_list_drops_records_of_nodes_gone_from_ironic(
    #[case] backend: Backend,
) {
    let db = database!(backend);
    let cache = db.node_cache();
    let (keep, gone) = (NodeUuid::new_random(), NodeUuid::new_random());
    for uuid in [keep, gone] {
        cache
            .add_node(
                uuid,
                State::Waiting,
                true,
                &[("mac", vec![format!("{}", &uuid.to_string()[..17])])],
            )
            .await
            .unwrap();
        cache.set_option(uuid, "o", &json!(1)).await.unwrap();
        cache
            .store_introspection_data(uuid, false, &json!({}))
            .await
            .unwrap();
    }
    let deleted = cache
        .delete_nodes_not_in_list(&HashSet::from([keep]))
        .await
        .unwrap();
    assert_eq!(deleted, [gone]);
    assert!(matches!(
        cache.get_node(gone).await.unwrap_err(),
        Error::NodeNotInCache(_)
    ));
    assert!(cache.attributes(gone).await.unwrap().is_empty());
    assert!(cache.options(gone).await.unwrap().is_empty());
    assert!(cache.introspection_data(gone, false).await.is_err());
    assert_eq!(cache.get_node(keep).await.unwrap().uuid, keep);
    assert_eq!(cache.attributes(keep).await.unwrap().len(), 1);
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_up_times_out_the_right_nodes_only(#[case] backend: Backend) {
    let db = database!(backend);
    let (cache, clock, locks) = cache_with_clock(&db);
    let uuid = |_: usize| NodeUuid::new_random();
    let (old_waiting, old_processing, old_locked, old_finished, young) =
        (uuid(0), uuid(1), uuid(2), uuid(3), uuid(4));
    for node in [old_waiting, old_processing, old_locked, old_finished] {
        cache
            .add_node(
                node,
                State::Waiting,
                true,
                &[("mac", vec![node.to_string()[..17].to_owned()])],
            )
            .await
            .unwrap();
    }
    let mut processing = cache.get_node(old_processing).await.unwrap();
    cache
        .fsm_event(&mut processing, Event::Process, Strictness::Strict)
        .await
        .unwrap();
    let mut finished = cache.get_node(old_finished).await.unwrap();
    cache
        .fsm_event(&mut finished, Event::Process, Strictness::Strict)
        .await
        .unwrap();
    cache
        .finished(&mut finished, Event::Finish, None)
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(50));
    cache
        .add_node(young, State::Waiting, true, &[])
        .await
        .unwrap();
    let held = locks.lock(old_locked).await.unwrap();

    let policy = CleanUpPolicy {
        timeout: 60,
        node_status_keep_time: 0,
    };
    assert!(
        cache.clean_up(policy).await.unwrap().is_empty(),
        "nothing is 60 s old yet"
    );
    clock.advance(TimeDelta::seconds(11));
    let mut timed_out = cache.clean_up(policy).await.unwrap();
    timed_out.sort();
    let mut want = vec![old_waiting, old_processing];
    want.sort();
    assert_eq!(timed_out, want);
    for node in [old_waiting, old_processing] {
        let read = cache.get_node(node).await.unwrap();
        assert_eq!(read.state, State::Error);
        assert_eq!(read.error.as_deref(), Some("Introspection timeout"));
        assert_eq!(read.finished_at, Some(t0() + TimeDelta::seconds(61)));
        assert!(cache.attributes(node).await.unwrap().is_empty());
    }
    let locked = cache.get_node(old_locked).await.unwrap();
    assert_eq!(
        (locked.state, locked.finished_at),
        (State::Waiting, None),
        "locked nodes are skipped"
    );
    assert_eq!(
        cache.get_node(old_finished).await.unwrap().state,
        State::Finished
    );
    assert_eq!(cache.get_node(young).await.unwrap().state, State::Waiting);

    drop(held);
    assert_eq!(
        cache.clean_up(policy).await.unwrap(),
        [old_locked],
        "the next round gets it"
    );
    let disabled = CleanUpPolicy {
        timeout: 0,
        node_status_keep_time: 0,
    };
    clock.advance(TimeDelta::days(1));
    assert!(cache.clean_up(disabled).await.unwrap().is_empty());
    assert_eq!(
        cache.get_node(young).await.unwrap().state,
        State::Waiting,
        "timeout 0 disables time-outs"
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_up_deletes_finished_records_past_the_keep_time(#[case] backend: Backend) {
    let db = database!(backend);
    let (cache, clock, _) = cache_with_clock(&db);
    let (early, late, running) = (
        NodeUuid::new_random(),
        NodeUuid::new_random(),
        NodeUuid::new_random(),
    );
    for uuid in [early, late, running] {
        cache
            .add_node(uuid, State::Waiting, true, &[])
            .await
            .unwrap();
    }
    let mut node = cache.get_node(early).await.unwrap();
    cache
        .fsm_event(&mut node, Event::Process, Strictness::Strict)
        .await
        .unwrap();
    cache
        .finished(&mut node, Event::Finish, None)
        .await
        .unwrap();
    cache
        .store_introspection_data(early, true, &json!({"a": 1}))
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(100));
    let mut node = cache.get_node(late).await.unwrap();
    cache
        .fsm_event(&mut node, Event::Abort, Strictness::Lenient)
        .await
        .unwrap();
    cache
        .finished(
            &mut node,
            Event::AbortEnd,
            Some("Canceled by operator".into()),
        )
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(50));

    let policy = CleanUpPolicy {
        timeout: 0,
        node_status_keep_time: 120,
    };
    assert!(cache.clean_up(policy).await.unwrap().is_empty());
    assert!(matches!(
        cache.get_node(early).await.unwrap_err(),
        Error::NodeNotInCache(_)
    ));
    assert!(cache.introspection_data(early, true).await.is_err());
    assert_eq!(cache.get_node(late).await.unwrap().state, State::Error);
    assert_eq!(
        cache.get_node(running).await.unwrap().state,
        State::Waiting,
        "unfinished records are kept"
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_node_accepts_active_nodes_only(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let (active, deploying, other) = (
        NodeUuid::new_random(),
        NodeUuid::new_random(),
        NodeUuid::new_random(),
    );
    let ironic = FakeIronic {
        port_owner: BTreeMap::from([
            ("aa:00:00:00:00:01".to_owned(), active),
            ("bb:00:00:00:00:01".to_owned(), deploying),
        ]),
        bmc_owner: BTreeMap::from([
            ("10.0.0.1".to_owned(), active),
            ("10.0.0.2".to_owned(), other),
        ]),
        provision_states: BTreeMap::from([
            (active, "active".to_owned()),
            (deploying, "deploying".to_owned()),
        ]),
        ..Default::default()
    };
    let query = |bmc: &[&str], macs: &[&str]| LookupQuery {
        bmc_addresses: strings(bmc),
        macs: strings(macs),
    };

    let node = cache
        .record_node(&query(&["10.0.0.1"], &["aa:00:00:00:00:01"]), &ironic)
        .await
        .unwrap();
    assert_eq!(
        (node.uuid, node.state, node.manage_boot),
        (active, State::Waiting, false)
    );
    let attributes = cache.attributes(active).await.unwrap();
    assert_eq!(
        (
            attributes["mac"].as_slice(),
            attributes["bmc_address"].as_slice()
        ),
        (
            &strings(&["aa:00:00:00:00:01"])[..],
            &strings(&["10.0.0.1"])[..]
        )
    );

    let error = cache
        .record_node(&query(&[], &["bb:00:00:00:00:01"]), &ironic)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("Node {deploying} is not active, its provision state is deploying")
    );
    let error = cache
        .record_node(&query(&["10.0.0.2"], &["aa:00:00:00:00:01"]), &ironic)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "MAC addresses ['aa:00:00:00:00:01'] and BMC addresses ['10.0.0.2'] correspond to different nodes: {active} and {other}"
        )
    );
    let error = cache
        .record_node(&query(&["192.0.2.1"], &[]), &ironic)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Existing node was not found by MAC address(es) None and BMC address(es) ['192.0.2.1']"
    );
    assert!(matches!(error, Error::NotFoundInCache(_)));
    let error = cache
        .record_node(&query(&[""], &[]), &ironic)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Existing node cannot be found since neither MAC addresses nor BMC addresses are present in the inventory"
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_node_enrolls_in_ironic_and_records_enrolling(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let ironic = FakeIronic::default();
    let fields = serde_json::Map::from_iter([(
        "driver_info".to_owned(),
        json!({"ipmi_address": "10.0.0.7"}),
    )]);
    let node = cache
        .create_node("fake-hardware", fields.clone(), &ironic)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((node.state, node.manage_boot), (State::Enrolling, true));
    assert_eq!(
        cache.get_node(node.uuid).await.unwrap().state,
        State::Enrolling
    );
    assert_eq!(
        *ironic.created.lock().unwrap(),
        [("fake-hardware".to_owned(), fields.clone())]
    );

    let failing = FakeIronic {
        fail_create: true,
        ..Default::default()
    };
    assert!(
        cache
            .create_node("fake-hardware", fields, &failing)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(cache.list_nodes(None, None, None).await.unwrap().len(), 1);
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_data_is_stored_per_kind_and_replaced(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();
    cache
        .add_node(uuid, State::Processing, true, &[])
        .await
        .unwrap();
    let error = cache.introspection_data(uuid, true).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("Introspection data not found for node {uuid}, processed=True")
    );
    let raw: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    cache
        .store_introspection_data(uuid, false, &raw)
        .await
        .unwrap();
    cache
        .store_introspection_data(uuid, true, &json!({"cpus": 1}))
        .await
        .unwrap();
    cache
        .store_introspection_data(uuid, true, &json!({"cpus": 4, "ünicode": "✓"}))
        .await
        .unwrap();
    assert_eq!(cache.introspection_data(uuid, false).await.unwrap(), raw);
    assert_eq!(
        cache.introspection_data(uuid, true).await.unwrap(),
        json!({"cpus": 4, "ünicode": "✓"})
    );
    let error = cache
        .introspection_data(NodeUuid::new_random(), false)
        .await
        .unwrap_err();
    assert!(error.to_string().ends_with("processed=False"));
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_multi_row_write_leaves_nothing_behind(#[case] backend: Backend) {
    let db = database!(backend);
    let cache = db.node_cache();
    let uuid = NodeUuid::new_random();
    // The second attribute breaks the schema (a value over 255 characters on
    // servers that enforce it; an attribute referring to no node everywhere).
    let too_long = "x".repeat(300);
    let result = cache
        .add_node(
            uuid,
            State::Waiting,
            true,
            &[("mac", vec!["11:11:11:11:11:11".into(), too_long])],
        )
        .await;
    match backend {
        Backend::Postgres | Backend::Mysql => {
            assert!(
                result.is_err(),
                "the server must refuse a 300-character value"
            );
            assert!(matches!(
                cache.get_node(uuid).await.unwrap_err(),
                Error::NodeNotInCache(_)
            ));
            assert!(
                cache.attributes(uuid).await.unwrap().is_empty(),
                "no attribute of the failed write survives"
            );
        }
        Backend::Sqlite => {
            // SQLite does not enforce VARCHAR lengths: the write is whole.
            result.unwrap();
            assert_eq!(cache.attributes(uuid).await.unwrap()["mac"].len(), 2);
        }
    }
    // Attributes for a missing node violate the foreign key on every backend.
    let ghost = NodeUuid::new_random();
    assert!(
        cache
            .add_attribute(
                ghost,
                "mac",
                strings(&["22:22:22:22:22:22", "33:33:33:33:33:33"])
            )
            .await
            .is_err()
    );
    assert!(
        cache
            .active_macs()
            .await
            .unwrap()
            .iter()
            .all(|m| !m.starts_with("22:") && !m.starts_with("33:"))
    );
}

#[apply(every_backend)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_among_ten_thousand_nodes_under_introspection(#[case] backend: Backend) {
    let db = database!(backend);
    let nodes = db.populate_waiting_nodes(10_000).unwrap();
    let cache = db.node_cache();
    assert_eq!(cache.active_macs().await.unwrap().len(), 10_000);
    assert_eq!(
        cache
            .list_nodes(None, Some(1000), None)
            .await
            .unwrap()
            .len(),
        1000
    );
    for index in [0, 1, 4_999, 8_191, 9_999] {
        let node = &nodes[index];
        let by_mac = LookupQuery {
            bmc_addresses: vec![],
            macs: vec![node.mac.clone()],
        };
        assert_eq!(
            cache.find_node(&by_mac).await.unwrap().uuid,
            node.uuid,
            "by MAC, node {index}"
        );
        let by_bmc = LookupQuery {
            bmc_addresses: vec![node.bmc_address.clone()],
            macs: vec![],
        };
        assert_eq!(
            cache.find_node(&by_bmc).await.unwrap().uuid,
            node.uuid,
            "by BMC, node {index}"
        );
        // A MAC of another node plus this node's BMC and MAC: this node wins 2 to 1.
        let other = &nodes[(index + 1) % nodes.len()];
        let mixed = LookupQuery {
            bmc_addresses: vec![node.bmc_address.clone()],
            macs: vec![node.mac.clone(), other.mac.clone()],
        };
        assert_eq!(
            cache.find_node(&mixed).await.unwrap().uuid,
            node.uuid,
            "mixed, node {index}"
        );
    }
    let unknown = LookupQuery {
        bmc_addresses: vec!["192.0.2.99".into()],
        macs: vec!["02:ff:ff:ff:ff:ff".into()],
    };
    assert!(matches!(
        cache.find_node(&unknown).await.unwrap_err(),
        Error::NotFoundInCache(_)
    ));
    // Finishing one node takes it out of the look-up.
    let mut first = cache
        .find_node(&LookupQuery {
            bmc_addresses: vec![],
            macs: vec![nodes[0].mac.clone()],
        })
        .await
        .unwrap();
    cache
        .finished(
            &mut first,
            Event::Timeout,
            Some("Introspection timeout".into()),
        )
        .await
        .unwrap();
    let again = cache
        .find_node(&LookupQuery {
            bmc_addresses: vec![],
            macs: vec![nodes[0].mac.clone()],
        })
        .await;
    assert!(matches!(again.unwrap_err(), Error::NotFoundInCache(_)));
    assert_eq!(cache.active_macs().await.unwrap().len(), 9_999);
}

mod rules {
    use inspector_rules::{RuleStore, StoreError, parse_rule};
    use serde_json::json;

    use super::*;

    fn rule(body: serde_json::Value) -> inspector_rules::RuleDocument {
        parse_rule(&body).unwrap()
    }

    #[apply(every_backend)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rules_round_trip_in_creation_order(#[case] backend: Backend) {
        let db = database!(backend);
        // One clock tick for every rule: ties are broken by insertion order.
        let (cache, _clock, _locks) = cache_with_clock(&db);
        let first = rule(json!({
            "uuid": "7459BF7C-9FF9-43A8-BA9F-48542ECDA66C",
            "description": "Set deploy info", "scope": "Delivery_1",
            "conditions": [
                {"op": "is-empty", "field": "node://driver_info.deploy_ramdisk"},
                {"op": "eq", "field": "memory_mb", "value": 1024, "invert": true, "multiple": "all", "extra": null}
            ],
            "actions": [{"action": "set-attribute", "path": "driver_info/deploy_kernel", "value": {"a": [1, 2.5]}},
                        {"action": "add-trait", "name": "CUSTOM_A"}]
        }));
        let second = rule(json!({"actions": [{"action": "fail", "message": "no"}]}));
        let third = rule(json!({"scope": "", "actions": [{"action": "example"}]}));
        for r in [&first, &second, &third] {
            cache.create_rule(r).await.unwrap();
        }
        let stored = cache.rules().await.unwrap();
        assert_eq!(stored, vec![first.clone(), second.clone(), third.clone()]);
        assert_eq!(cache.rule(&first.uuid).await.unwrap(), Some(first.clone()));
        assert_eq!(
            cache.rule(&first.uuid.to_lowercase()).await.unwrap(),
            None,
            "the match is exact"
        );
        assert_eq!(
            cache.create_rule(&first).await,
            Err(StoreError::Duplicate(first.uuid.clone()))
        );
        assert!(cache.delete_rule(&first.uuid).await.unwrap());
        assert!(!cache.delete_rule(&first.uuid).await.unwrap());
        assert_eq!(cache.rules().await.unwrap(), vec![second, third]);
        cache.delete_rules().await.unwrap();
        assert!(cache.rules().await.unwrap().is_empty());
        cache.delete_rules().await.unwrap();
    }
}

mod database_locks {
    use std::time::Duration;

    use inspector_node_cache::{DbLease, DbLockOptions, DbLocks, LockError};

    use super::*;

    fn options(expiry: Duration) -> DbLockOptions {
        DbLockOptions {
            retry_attempts: 2,
            retry_interval: Duration::from_millis(50),
            heartbeat_interval: Duration::from_millis(200),
            expiry,
        }
    }

    /// Waits until the background release of a dropped lock happened.
    async fn released(locks: &DbLocks, uuid: NodeUuid) {
        for _ in 0..100 {
            if let Some(lock) = locks.try_lock(uuid).await.unwrap() {
                drop(lock);
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the lock of {uuid} was never released");
    }

    #[apply(every_backend)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exactly_one_process_wins_and_release_lets_the_next_in(#[case] backend: Backend) {
        let db = database!(backend);
        let uuid = NodeUuid::new_random();
        // Three "processes": three holders on one database.
        let processes: Vec<DbLocks> = (0..3)
            .map(|i| {
                DbLocks::new(
                    db.db().clone(),
                    format!("host{i}:1:a"),
                    options(Duration::from_secs(60)),
                )
            })
            .collect();
        let (a, b, c) = tokio::join!(
            processes[0].try_lock(uuid),
            processes[1].try_lock(uuid),
            processes[2].try_lock(uuid)
        );
        let attempts = [a, b, c];
        let winners: Vec<usize> = attempts
            .iter()
            .enumerate()
            .filter(|(_, got)| got.as_ref().unwrap().is_some())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(winners.len(), 1, "one conditional write wins");
        let winner = winners[0];
        let other = &processes[(winner + 1) % 3];
        assert_eq!(
            other.lock(uuid).await.unwrap_err(),
            LockError::Timeout(uuid),
            "a blocking acquisition gives up after its retries"
        );
        drop(attempts);
        released(other, uuid).await;
        // Shared use takes nothing; upgrading takes the exclusive lock.
        let shared = processes[0].lock_shared(uuid);
        let exclusive = shared.upgrade().await.unwrap();
        assert!(processes[1].try_lock(uuid).await.unwrap().is_none());
        drop(exclusive);
        released(&processes[1], uuid).await;
    }

    #[apply(every_backend)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dead_holder_is_taken_over_after_the_expiry(#[case] backend: Backend) {
        let db = database!(backend);
        let uuid = NodeUuid::new_random();
        let dead = DbLocks::new(
            db.db().clone(),
            "dead:1:a".into(),
            options(Duration::from_secs(2)),
        );
        let alive = DbLocks::new(
            db.db().clone(),
            "alive:2:b".into(),
            options(Duration::from_secs(2)),
        );
        let held = dead.try_lock(uuid).await.unwrap().unwrap();
        // The process dies: its lock is never released and never beats again.
        std::mem::forget(held);
        assert!(alive.try_lock(uuid).await.unwrap().is_none());
        // A holder that beats keeps its lock past the expiry.
        let beating = DbLocks::new(
            db.db().clone(),
            "beating:3:c".into(),
            options(Duration::from_secs(2)),
        );
        let other = NodeUuid::new_random();
        let kept = beating.try_lock(other).await.unwrap().unwrap();
        let heartbeat = tokio::spawn(beating.clone().run_heartbeat());
        tokio::time::sleep(Duration::from_millis(3_200)).await;
        let taken = alive.try_lock(uuid).await.unwrap();
        assert!(taken.is_some(), "the dead holder's lock is taken over");
        assert!(
            alive.try_lock(other).await.unwrap().is_none(),
            "the beating holder keeps its lock"
        );
        heartbeat.abort();
        drop(kept);
        // A row this very holder left behind (a release that failed) is reused
        // at once instead of blocking the node until it expires.
        let leftover = NodeUuid::new_random();
        let first = DbLocks::new(
            db.db().clone(),
            "same:4:d".into(),
            options(Duration::from_secs(60)),
        );
        std::mem::forget(first.try_lock(leftover).await.unwrap().unwrap());
        let again = DbLocks::new(
            db.db().clone(),
            "same:4:d".into(),
            options(Duration::from_secs(60)),
        );
        assert!(again.try_lock(leftover).await.unwrap().is_some());
    }

    #[apply(every_backend)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lease_has_one_holder_and_moves_when_it_expires(#[case] backend: Backend) {
        let db = database!(backend);
        let first = DbLease::new(db.db().clone(), "p1".into(), Duration::from_secs(2));
        let second = DbLease::new(db.db().clone(), "p2".into(), Duration::from_secs(2));
        let task = format!("task-{}", NodeUuid::new_random());
        assert!(first.acquire(&task).await.unwrap());
        assert!(!second.acquire(&task).await.unwrap());
        assert!(first.acquire(&task).await.unwrap(), "the holder renews");
        tokio::time::sleep(Duration::from_millis(3_100)).await;
        assert!(
            second.acquire(&task).await.unwrap(),
            "an expired lease moves"
        );
        assert!(!first.acquire(&task).await.unwrap());
        second.release_all().await;
        assert!(
            first.acquire(&task).await.unwrap(),
            "a released lease is free at once"
        );
    }
}
