//! The engine over real HTTP to the fake Ironic, on SQLite: start, process,
//! abort, reapply, time-outs, failures, faults, concurrency.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeDelta};
use inspector_config::{ConductorOptions, ConfigSources, HookOptions, IronicOptions, StoreData};
use inspector_core::{Conductor, ConductorParts, DataStore, ErrorKind};
use inspector_fake_ironic::FakeIronic;
use inspector_hooks::{HookSet, IntrospectionData};
use inspector_ironic::HttpIronic;
use inspector_node_cache::testing::TestDatabase;
use inspector_node_cache::{Backend, InProcessLocks, ManualClock, NodeCache, NodeUuid, State};
use serde_json::{Value, json};

struct Env {
    fake: FakeIronic,
    _db: TestDatabase,
    cache: NodeCache,
    clock: Arc<ManualClock>,
    conductor: Conductor,
}

async fn env_with(tweak: impl FnOnce(&mut ConductorOptions)) -> Env {
    let fake = FakeIronic::start().await.unwrap();
    let db = TestDatabase::migrated(Backend::Sqlite).unwrap();
    let clock = Arc::new(ManualClock::new(
        NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    ));
    let cache = NodeCache::with_clock(
        db.db().clone(),
        Arc::new(InProcessLocks::new()),
        clock.clone(),
    );
    let text = format!(
        "[ironic]\nauth_type = none\nendpoint_override = {}\nretry_interval = 0\n",
        fake.url()
    );
    let ironic_options = IronicOptions::from_sources(
        &ConfigSources::from_text(&text, std::path::Path::new("t.conf")).unwrap(),
    )
    .unwrap();
    let ironic = Arc::new(HttpIronic::new(&ironic_options).await.unwrap());
    let mut options = ConductorOptions {
        introspection_delay: 0,
        store_data: StoreData::Database,
        ..ConductorOptions::default()
    };
    tweak(&mut options);
    let hooks = HookSet::from_options(&HookOptions::default()).unwrap();
    let mut parts = ConductorParts::new(cache.clone(), ironic, hooks, options.clone());
    if options.store_data == StoreData::Database {
        parts.store = DataStore::Database(cache.clone());
    }
    parts.retry_pause = Duration::from_millis(5);
    Env {
        fake,
        _db: db,
        cache,
        clock,
        conductor: Conductor::new(parts),
    }
}

async fn env() -> Env {
    env_with(|_| {}).await
}

/// A manageable node with one port (the PXE MAC) and a BMC address.
fn add_node(env: &Env, mac: &str, bmc: &str) -> NodeUuid {
    let uuid = env.fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": bmc}, "provision_state": "manageable"}));
    if !mac.is_empty() {
        env.fake.add_port(uuid, mac);
    }
    NodeUuid::from_uuid(uuid)
}

/// The upstream-shaped ramdisk payload of the fixtures, for a node with this PXE MAC and BMC.
fn payload(mac: &str, bmc: &str) -> IntrospectionData {
    let mut data: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    data["inventory"]["bmc_address"] = json!(bmc);
    data["inventory"]["bmc_v6address"] = json!("");
    data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
    data["logs"] = json!("bG9ncw==");
    data.as_object().cloned().unwrap()
}

fn mac(i: usize) -> String {
    format!(
        "52:54:00:{:02x}:{:02x}:{:02x}",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff
    )
}

/// The kinds of the record's timeline events, oldest first.
async fn kinds(env: &Env, uuid: NodeUuid) -> Vec<String> {
    env.cache
        .timeline(uuid)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect()
}

async fn state(env: &Env, uuid: NodeUuid) -> (State, Option<String>) {
    let record = env.cache.get_node(uuid).await.unwrap();
    (record.state, record.error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_with_a_real_payload() {
    let env = env().await;
    let uuid = add_node(&env, "52:54:00:00:00:01", "10.1.0.1");
    env.conductor
        .introspect(&uuid.to_string(), true)
        .await
        .unwrap();
    env.conductor.wait_idle().await;
    assert_eq!(state(&env, uuid).await, (State::Waiting, None));
    let raw = *uuid.as_uuid();
    assert_eq!(
        env.fake.state().boot_device(raw),
        Some(("pxe".into(), false))
    );
    assert_eq!(
        env.fake.state().node(&uuid.to_string()).unwrap()["power_state"],
        "power on"
    );
    assert_eq!(
        env.cache.attributes(uuid).await.unwrap()["mac"],
        ["52:54:00:00:00:01"]
    );

    let before = env.fake.requests().len();
    let processed = env
        .conductor
        .process(payload("52:54:00:00:00:01", "10.1.0.1"))
        .await
        .unwrap();
    assert_eq!(processed, uuid);
    env.conductor.wait_idle().await;
    assert_eq!(state(&env, uuid).await, (State::Finished, None));
    let node = env.fake.state().node(&uuid.to_string()).unwrap().clone();
    assert_eq!(node["power_state"], "power off");
    for (key, value) in [
        ("cpus", "4"),
        ("cpu_arch", "x86_64"),
        ("memory_mb", "12288"),
        ("local_gb", "999"),
    ] {
        assert_eq!(node["properties"][key], value, "{key}");
    }
    assert!(
        node["properties"]["capabilities"]
            .as_str()
            .unwrap()
            .contains("cpu_vt:true")
    );
    let processed_data = env.cache.introspection_data(uuid, true).await.unwrap();
    assert_eq!(processed_data["macs"], json!(["52:54:00:00:00:01"]));
    assert!(
        processed_data.get("logs").is_none(),
        "logs are never stored"
    );
    let unprocessed = env.cache.introspection_data(uuid, false).await.unwrap();
    assert!(unprocessed.get("all_interfaces").is_none() && unprocessed.get("logs").is_none());

    // Ironic calls of processing: GET node, list ports, one PATCH for all properties, power off.
    let calls: Vec<String> = env.fake.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        [
            format!("GET /v1/nodes/{uuid}"),
            "GET /v1/ports/detail".to_owned(),
            format!("PATCH /v1/nodes/{uuid}"),
            format!("PUT /v1/nodes/{uuid}/states/power"),
        ]
    );

    // Every step, in order, with the facts an operator needs.
    let timeline = env.cache.timeline(uuid).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "started",
            "lookup_attributes",
            "pxe_filter_synced",
            "boot_device_set",
            "power_action",
            "waiting",
            "ramdisk_post",
            "hooks",
            "hooks",
            "ironic_updated",
            "data_stored",
            "rules_applied",
            "power_action",
            "finished",
        ]
    );
    assert!(timeline.windows(2).all(|pair| pair[0].at <= pair[1].at));
    assert_eq!(
        timeline[0].detail,
        json!({"manage_boot": true, "bmc_addresses": ["10.1.0.1"], "request_id": null,
               "client_address": null})
    );
    assert_eq!(
        timeline[4].detail,
        json!({"target": "reboot", "answer": "accepted"})
    );
    assert_eq!(
        timeline[6].detail["macs"],
        json!([
            "52:54:00:00:00:01",
            "12:12:21:12:21:12",
            "66:55:44:33:22:11",
            "7c:fe:90:29:26:52"
        ])
    );
    assert_eq!(
        timeline[6].detail["matched_by"],
        json!([{"name": "bmc_address", "value": "10.1.0.1"},
               {"name": "mac", "value": "52:54:00:00:00:01"}])
    );
    let hooks = json!([
        "ramdisk_error",
        "root_disk_selection",
        "scheduler",
        "validate_interfaces",
        "capabilities",
        "pci_devices"
    ]);
    for (event, phase) in [
        (&timeline[7], "preprocessing"),
        (&timeline[8], "processing"),
    ] {
        assert_eq!(
            event.detail,
            json!({"phase": phase, "ok": hooks, "failed": []})
        );
    }
    assert_eq!(timeline[11].detail, json!({"rules": []}));
    assert_eq!(
        timeline[9].detail["node_fields"],
        json!([
            "/properties/local_gb",
            "/properties/cpus",
            "/properties/cpu_arch",
            "/properties/memory_mb",
            "/properties/capabilities"
        ])
    );
    assert_eq!(timeline[12].detail["target"], "power off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_validation_failures() {
    let env = env().await;
    let error = env
        .conductor
        .introspect("no-such-node", true)
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (
            ErrorKind::NotFound,
            "Node no-such-node was not found in Ironic"
        )
    );

    let active = env
        .fake
        .add_node(json!({"driver": "ipmi", "provision_state": "active"}));
    let error = env
        .conductor
        .introspect(&active.to_string(), true)
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert_eq!(
        error.message,
        "Invalid provision state for introspection: \"active\", valid states are \"['enroll', 'manageable', 'inspecting', 'inspect wait', 'inspect failed']\""
    );

    let uuid = add_node(&env, "52:54:00:00:00:02", "10.1.0.2");
    env.fake
        .state()
        .fail_validation(*uuid.as_uuid(), "power", "Missing ipmi_address");
    let error = env
        .conductor
        .introspect(&uuid.to_string(), true)
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (
            ErrorKind::InvalidInput,
            "Failed validation of power interface: Missing ipmi_address"
        )
    );
    assert!(env.cache.get_node(uuid).await.is_err(), "nothing recorded");

    // Maintenance does not matter; no ports and no BMC address does.
    let bare =
        NodeUuid::from_uuid(env.fake.add_node(
            json!({"driver": "ipmi", "provision_state": "manageable", "maintenance": true}),
        ));
    env.conductor
        .introspect(&bare.to_string(), true)
        .await
        .unwrap();
    env.conductor.wait_idle().await;
    let (state_, error) = state(&env, bare).await;
    assert_eq!(state_, State::Error);
    assert!(
        error
            .unwrap()
            .starts_with("No lookup attributes were found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boot_device_failure_fails_the_introspection() {
    let env = env_with(|_| {}).await;
    let uuid = add_node(&env, "52:54:00:00:00:03", "10.1.0.3");
    env.conductor
        .introspect(&uuid.to_string(), true)
        .await
        .unwrap();
    // Every request about the node answers 409 from now on (listing ports is not about the node).
    env.fake.lock_node(*uuid.as_uuid(), 1000);
    env.conductor.wait_idle().await;
    let (state_, error) = state(&env, uuid).await;
    assert_eq!(state_, State::Error);
    assert!(
        error
            .as_deref()
            .unwrap()
            .starts_with("Failed to set boot device to PXE: Node "),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_by_mac_only_bmc_only_and_ipv6_bmc() {
    let env = env().await;
    // MAC only: the payload has no BMC.
    let by_mac = add_node(&env, "52:54:00:00:00:10", "10.1.0.10");
    env.conductor
        .introspect(&by_mac.to_string(), false)
        .await
        .unwrap();
    let mut data = payload("52:54:00:00:00:10", "");
    data.get_mut("inventory")
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("bmc_address");
    assert_eq!(env.conductor.process(data).await.unwrap(), by_mac);

    // BMC only: the node has no ports, the payload's MAC is unknown.
    let by_bmc = add_node(&env, "", "10.1.0.11");
    env.conductor
        .introspect(&by_bmc.to_string(), false)
        .await
        .unwrap();
    assert_eq!(
        env.conductor
            .process(payload("52:54:00:00:00:99", "10.1.0.11"))
            .await
            .unwrap(),
        by_bmc
    );

    // IPv6 BMC.
    let v6 = NodeUuid::from_uuid(env.fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": "2001:db8::11"}, "provision_state": "manageable"})));
    env.conductor
        .introspect(&v6.to_string(), false)
        .await
        .unwrap();
    let mut data = payload("52:54:00:00:00:98", "");
    data.get_mut("inventory").unwrap()["bmc_v6address"] = json!("2001:db8::11");
    assert_eq!(env.conductor.process(data).await.unwrap(), v6);
    env.conductor.wait_idle().await;
    for uuid in [by_mac, by_bmc, v6] {
        assert_eq!(state(&env, uuid).await, (State::Finished, None));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_ambiguous_lookups() {
    let env = env().await;
    let error = env
        .conductor
        .process(payload("52:54:00:00:00:20", "10.9.9.9"))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert_eq!(
        error.message,
        "The following failures happened during running pre-processing hooks:\nLook up error: Could not find a node for attributes {'bmc_address': ['10.9.9.9'], 'mac': ['52:54:00:00:00:20', '12:12:21:12:21:12', '66:55:44:33:22:11', '7c:fe:90:29:26:52']}"
    );
    let a = add_node(&env, "", "10.1.0.21");
    let b = NodeUuid::from_uuid(env.fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.1.0.21"}, "provision_state": "manageable"})));
    for uuid in [a, b] {
        env.conductor
            .introspect(&uuid.to_string(), false)
            .await
            .unwrap();
    }
    let error = env
        .conductor
        .process(payload("52:54:00:00:00:21", "10.1.0.21"))
        .await
        .unwrap_err();
    assert!(
        error
            .message
            .contains("Look up error: Multiple nodes match the same number of attributes"),
        "{}",
        error.message
    );
    assert_eq!(state(&env, a).await.0, State::Waiting);
}

#[rstest::rstest]
#[case::ramdisk_error(
    |d: &mut IntrospectionData| { d.insert("error".into(), json!("Failed to collect disks")); },
    "Preprocessing hook ramdisk_error: Ramdisk reported error: Failed to collect disks"
)]
#[case::no_suitable_interfaces(
    |d: &mut IntrospectionData| {
        for interface in d["inventory"]["interfaces"].as_array_mut().unwrap() {
            interface["ipv4_address"] = Value::Null;
            interface["ipv6_address"] = Value::Null;
        }
        d.remove("boot_interface");
    },
    "Preprocessing hook validate_interfaces: No suitable interfaces found in"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_before_processing_fails_the_waiting_record_at_once(
    #[case] spoil: fn(&mut IntrospectionData),
    #[case] expected: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let logs_dir = dir.path().display().to_string();
    let env = env_with(|o| {
        o.ramdisk_logs_dir = Some(logs_dir.clone());
        o.ramdisk_logs_filename_format = "{uuid}.tar.gz".into();
    })
    .await;
    let uuid = add_node(&env, "52:54:00:00:00:30", "10.1.0.30");
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    let mut data = payload("52:54:00:00:00:30", "10.1.0.30");
    spoil(&mut data);
    let error = env.conductor.process(data).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(
        error.message.starts_with(&format!(
            "The following failures happened during running pre-processing hooks:\n{expected}"
        )),
        "{}",
        error.message
    );
    let (state, stored) = state(&env, uuid).await;
    assert_eq!(state, State::Error, "not left waiting for the time-out");
    assert!(
        stored.as_deref().unwrap().starts_with(expected),
        "{stored:?}"
    );
    assert!(env.cache.attributes(uuid).await.unwrap().is_empty());
    assert_eq!(
        std::fs::read(dir.path().join(format!("{uuid}.tar.gz"))).unwrap(),
        b"logs",
        "the ramdisk logs are kept as for any failed processing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_gone_from_ironic_fails_the_waiting_record_at_once() {
    let env = env().await;
    let uuid = add_node(&env, "52:54:00:00:00:31", "10.1.0.31");
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    env.fake.state().nodes_mut().remove(uuid.as_uuid());
    let error = env
        .conductor
        .process(payload("52:54:00:00:00:31", "10.1.0.31"))
        .await
        .unwrap_err();
    let text = format!("Node {uuid} was not found in Ironic");
    assert_eq!(
        (error.kind, error.message.as_str()),
        (ErrorKind::NotFound, text.as_str())
    );
    assert_eq!(state(&env, uuid).await, (State::Error, Some(text)));
}

/// When the reboot of `uuid` was sent, as the diagnoses spell it.
async fn reboot_time(env: &Env, uuid: NodeUuid) -> String {
    let timeline = env.cache.timeline(uuid).await.unwrap();
    let reboot = timeline
        .iter()
        .find(|e| e.kind == "power_action")
        .expect("a reboot was sent");
    reboot.at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_while_waiting() {
    let env = env().await;
    let uuid = add_node(&env, "52:54:00:00:00:40", "10.1.0.40");
    env.conductor
        .introspect(&uuid.to_string(), true)
        .await
        .unwrap();
    env.conductor.wait_idle().await;
    env.conductor.abort(&uuid.to_string()).await.unwrap();
    env.conductor.wait_idle().await;
    assert_eq!(
        state(&env, uuid).await,
        (
            State::Error,
            Some(
                "Canceled by operator: the reboot was sent at {} and no ramdisk called back"
                    .replace("{}", &reboot_time(&env, uuid).await)
            )
        )
    );
    assert_eq!(
        env.fake.state().node(&uuid.to_string()).unwrap()["power_state"],
        "power off"
    );
    let error = env
        .conductor
        .abort(&NodeUuid::new_random().to_string())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reapply_reprocesses_stored_data() {
    let env = env().await;
    let uuid = add_node(&env, "52:54:00:00:00:50", "10.1.0.50");
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    env.conductor
        .process(payload("52:54:00:00:00:50", "10.1.0.50"))
        .await
        .unwrap();
    env.conductor.wait_idle().await;
    env.fake
        .state()
        .patch_node(
            &uuid.to_string(),
            &json!([{"op": "replace", "path": "/properties/cpus", "value": "1"}]),
        )
        .unwrap();
    let before = env.fake.requests().len();
    env.conductor.reapply(uuid, None).await.unwrap();
    env.conductor.wait_idle().await;
    assert_eq!(state(&env, uuid).await, (State::Finished, None));
    assert_eq!(
        env.fake.state().node(&uuid.to_string()).unwrap()["properties"]["cpus"],
        "4"
    );
    assert!(
        env.fake.requests()[before..]
            .iter()
            .all(|r| !r.path.ends_with("/states/power")),
        "no power action"
    );

    let mut edited = payload("52:54:00:00:00:50", "10.1.0.50");
    edited.get_mut("inventory").unwrap()["cpu"]["count"] = json!(16);
    env.conductor.reapply(uuid, Some(edited)).await.unwrap();
    env.conductor.wait_idle().await;
    assert_eq!(
        env.fake.state().node(&uuid.to_string()).unwrap()["properties"]["cpus"],
        "16"
    );
    assert_eq!(
        env.cache.introspection_data(uuid, false).await.unwrap()["inventory"]["cpu"]["count"],
        16
    );

    let none = env_with(|o| o.store_data = StoreData::None).await;
    let error = none.conductor.reapply(uuid, None).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(
        error
            .message
            .starts_with("Inspector is not configured to store introspection data.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_nodes_gone_from_ironic() {
    let env = env_with(|o| o.timeout = 60).await;
    let uuid = add_node(&env, "52:54:00:00:00:60", "10.1.0.60");
    let gone = add_node(&env, "52:54:00:00:00:61", "10.1.0.61");
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    env.conductor
        .introspect(&gone.to_string(), false)
        .await
        .unwrap();
    assert!(env.conductor.clean_up_once().await.unwrap().is_empty());
    env.clock.advance(TimeDelta::seconds(61));
    let mut timed_out = env.conductor.clean_up_once().await.unwrap();
    timed_out.sort();
    let mut expected = vec![uuid, gone];
    expected.sort();
    assert_eq!(timed_out, expected);
    assert_eq!(
        state(&env, uuid).await,
        (
            State::Error,
            Some(
                "Introspection timeout: boot is not managed by the service; waiting since \
                 2026-01-01T00:00:00Z and no ramdisk called back (the node's MACs: 52:54:00:00:00:60)"
                    .into()
            )
        )
    );
    assert_eq!(
        kinds(&env, uuid).await,
        [
            "started",
            "lookup_attributes",
            "pxe_filter_synced",
            "waiting",
            "timed_out"
        ]
    );

    env.fake.state().nodes_mut().remove(gone.as_uuid());
    assert!(!env.cache.timeline(gone).await.unwrap().is_empty());
    assert_eq!(env.conductor.sync_with_ironic_once().await.unwrap(), [gone]);
    assert!(env.cache.get_node(gone).await.is_err());
    assert!(
        env.cache.timeline(gone).await.unwrap().is_empty(),
        "the timeline goes with its record"
    );
    assert!(env.cache.get_node(uuid).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmanaged_boot_touches_no_power() {
    let env = env().await;
    let uuid = add_node(&env, "52:54:00:00:00:70", "10.1.0.70");
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    assert_eq!(state(&env, uuid).await.0, State::Waiting, "prepared inline");
    env.conductor
        .process(payload("52:54:00:00:00:70", "10.1.0.70"))
        .await
        .unwrap();
    env.conductor.wait_idle().await;
    assert_eq!(state(&env, uuid).await, (State::Finished, None));
    let requests = env.fake.requests();
    assert!(
        requests
            .iter()
            .all(|r| !r.path.contains("/states/power") && !r.path.contains("boot_device"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ironic_faults_mid_processing_are_retried() {
    let env = env().await;
    let uuid = add_node(&env, "52:54:00:00:00:80", "10.1.0.80");
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    env.fake.lock_node(*uuid.as_uuid(), 3);
    env.fake.make_unavailable(2);
    env.conductor
        .process(payload("52:54:00:00:00:80", "10.1.0.80"))
        .await
        .unwrap();
    env.conductor.wait_idle().await;
    assert_eq!(state(&env, uuid).await, (State::Finished, None));
    let statuses: Vec<u16> = env.fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 3);
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_nodes_at_once_and_two_posts_for_one() {
    let env = env().await;
    let nodes: Vec<(NodeUuid, String)> = (0..200)
        .map(|i| {
            let mac = mac(0x1000 + i);
            (
                add_node(&env, &mac, &format!("10.2.{}.{}", i / 250, i % 250 + 1)),
                mac,
            )
        })
        .collect();
    for (uuid, _) in &nodes {
        env.conductor
            .introspect(&uuid.to_string(), false)
            .await
            .unwrap();
    }
    let tasks: Vec<_> = nodes
        .iter()
        .enumerate()
        .map(|(i, (_, mac))| {
            let (conductor, data) = (
                env.conductor.clone(),
                payload(mac, &format!("10.2.{}.{}", i / 250, i % 250 + 1)),
            );
            tokio::spawn(async move { conductor.process(data).await })
        })
        .collect();
    for (task, (uuid, _)) in tasks.into_iter().zip(&nodes) {
        assert_eq!(task.await.unwrap().unwrap(), *uuid);
    }
    env.conductor.wait_idle().await;
    for (uuid, _) in &nodes {
        assert_eq!(state(&env, *uuid).await, (State::Finished, None));
    }

    let (uuid, mac) = (
        add_node(&env, "52:54:00:ff:00:01", "10.3.0.1"),
        "52:54:00:ff:00:01",
    );
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    let first = tokio::spawn({
        let (conductor, data) = (env.conductor.clone(), payload(mac, "10.3.0.1"));
        async move { conductor.process(data).await }
    });
    let second = tokio::spawn({
        let (conductor, data) = (env.conductor.clone(), payload(mac, "10.3.0.1"));
        async move { conductor.process(data).await }
    });
    let results = [first.await.unwrap(), second.await.unwrap()];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    let error = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(error.kind, ErrorKind::InvalidInput, "{error:?}");
    assert!(
        error.message.contains(&format!(
            "Look up error: Introspection for node {uuid} already finished on"
        )),
        "{}",
        error.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramdisk_logs_are_stored_on_failure_and_optionally_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let logs_dir = dir.path().join("logs").display().to_string();
    let env = env_with(|o| {
        o.ramdisk_logs_dir = Some(logs_dir.clone());
        o.ramdisk_logs_filename_format = "{uuid}_{mac}.tar.gz".into();
    })
    .await;
    env.conductor
        .process(payload("52:54:00:00:00:90", "10.9.9.90"))
        .await
        .unwrap_err();
    assert_eq!(
        std::fs::read(dir.path().join("logs/unknown_525400000090.tar.gz")).unwrap(),
        b"logs"
    );

    let uuid = add_node(&env, "52:54:00:00:00:91", "10.1.0.91");
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    env.conductor
        .process(payload("52:54:00:00:00:91", "10.1.0.91"))
        .await
        .unwrap();
    assert!(
        !dir.path()
            .join(format!("logs/{uuid}_525400000091.tar.gz"))
            .exists(),
        "not on success by default"
    );

    let always = env_with(|o| {
        o.ramdisk_logs_dir = Some(logs_dir.clone());
        o.ramdisk_logs_filename_format = "{uuid}_{mac}.tar.gz".into();
        o.always_store_ramdisk_logs = true;
    })
    .await;
    let uuid = add_node(&always, "52:54:00:00:00:92", "10.1.0.92");
    always
        .conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    always
        .conductor
        .process(payload("52:54:00:00:00:92", "10.1.0.92"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join(format!("logs/{uuid}_525400000092.tar.gz"))).unwrap(),
        b"logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_reboots_are_spaced_by_the_introspection_delay() {
    let env = env_with(|o| o.introspection_delay = 1).await;
    let first = add_node(&env, "52:54:00:00:00:a1", "10.1.0.161");
    let second = add_node(&env, "52:54:00:00:00:a2", "10.1.0.162");
    let started = std::time::Instant::now();
    env.conductor
        .introspect(&first.to_string(), true)
        .await
        .unwrap();
    env.conductor
        .introspect(&second.to_string(), true)
        .await
        .unwrap();
    env.conductor.wait_idle().await;
    // The second reboot waits for the delay after the first (a lower bound: never flaky when slow).
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    let reboots = env
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/states/power"))
        .count();
    assert_eq!(reboots, 2);
    for uuid in [first, second] {
        assert_eq!(state(&env, uuid).await, (State::Waiting, None));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_tasks_run_every_clean_up_period() {
    let env = env_with(|o| {
        o.timeout = 60;
        o.clean_up_period = 1;
    })
    .await;
    let uuid = add_node(&env, "52:54:00:00:00:b1", "10.1.0.177");
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    env.clock.advance(TimeDelta::seconds(120));
    env.conductor
        .run_periodic_tasks(tokio::time::sleep(Duration::from_millis(1500)))
        .await;
    let (state, error) = state(&env, uuid).await;
    assert_eq!(state, State::Error);
    assert!(
        error
            .as_deref()
            .unwrap()
            .starts_with("Introspection timeout: "),
        "upstream's prefix, then why: {error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_run_after_processing_and_again_on_reapply() {
    let env = env().await;
    let uuid = add_node(&env, "52:54:00:00:00:60", "10.1.0.60");
    env.conductor
        .create_rule(&json!({"conditions": [{"op": "eq", "field": "inventory.cpu.count", "value": 4}],
                              "actions": [{"action": "extend-attribute", "path": "/extra/seen", "value": "{data[inventory][cpu][count]}"}]}))
        .await
        .unwrap();
    env.conductor
        .introspect(&uuid.to_string(), false)
        .await
        .unwrap();
    env.conductor
        .process(payload("52:54:00:00:00:60", "10.1.0.60"))
        .await
        .unwrap();
    env.conductor.wait_idle().await;
    let node = || env.fake.state().node(&uuid.to_string()).unwrap().clone();
    assert_eq!(node()["extra"]["seen"], json!(["4"]));

    // Reapply runs the rules again on the stored data.
    env.conductor.reapply(uuid, None).await.unwrap();
    env.conductor.wait_idle().await;
    assert_eq!(node()["extra"]["seen"], json!(["4", "4"]));

    // A rule failing on reapply ends the record in error with its message.
    env.conductor
        .create_rule(&json!({"actions": [{"action": "fail", "message": "refused by policy"}]}))
        .await
        .unwrap();
    env.conductor.reapply(uuid, None).await.unwrap();
    env.conductor.wait_idle().await;
    assert_eq!(
        state(&env, uuid).await,
        (State::Error, Some("refused by policy".to_owned()))
    );
}
