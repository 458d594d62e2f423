//! Records: adding, starting, reading by UUID or name, listing, options, stored
//! data, and a failing multi-row write that leaves nothing behind.

use super::*;

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
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
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
