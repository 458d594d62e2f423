//! Life cycle against Ironic: records of nodes gone from Ironic, time-outs,
//! the keep time, active-node records and enrolling.

use super::*;

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
