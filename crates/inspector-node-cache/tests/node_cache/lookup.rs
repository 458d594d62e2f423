//! Look-up attributes and `find_node`: scoring, refusals, the lock, and ten
//! thousand nodes under introspection.

use super::*;

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
