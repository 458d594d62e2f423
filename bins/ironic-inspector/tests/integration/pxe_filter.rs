//! The PXE filter inside the service: with the `dnsmasq` driver (which needs
//! no privilege when the hosts directory is the service's), a node's MAC is
//! allowed while it is under introspection and denied once it finished.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use std::path::Path;

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

fn record(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join("hosts").join(name)).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dnsmasq_filter_follows_introspections() {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(
        json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.9.0.1"},
                                     "provision_state": "manageable"}),
    );
    fake.add_port(node, "11:22:33:44:55:66");
    let other = fake.add_node(json!({"driver": "ipmi", "provision_state": "manageable"}));
    fake.add_port(other, "52:54:00:09:09:09");
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::create_dir(&hosts).unwrap();
    let service = common::start(&common::config(
        &fake.url(),
        "auth_strategy = noauth\n",
        &format!(
            "[pxe_filter]\ndriver = dnsmasq\nsync_period = 0\n[dnsmasq_pxe_filter]\ndhcp_hostsdir = {}\n",
            hosts.display()
        ),
    ));
    // Initialised at start: nothing under introspection, so every MAC is denied.
    assert_eq!(
        record(dir.path(), "11:22:33:44:55:66").as_deref(),
        Some("11:22:33:44:55:66,ignore\n")
    );
    assert_eq!(
        record(dir.path(), "unknown_hosts_filter").as_deref(),
        Some("*:*:*:*:*:*,ignore\n")
    );

    let http = reqwest::Client::new();
    let started = http
        .post(format!(
            "{}/v1/introspection/{node}?manage_boot=0",
            service.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    assert_eq!(
        record(dir.path(), "11:22:33:44:55:66").as_deref(),
        Some("11:22:33:44:55:66\n")
    );
    assert_eq!(
        record(dir.path(), "52:54:00:09:09:09").as_deref(),
        Some("52:54:00:09:09:09,ignore\n")
    );
    assert_eq!(
        record(dir.path(), "unknown_hosts_filter").as_deref(),
        Some("*:*:*:*:*:*\n")
    );

    let mut data: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["boot_interface"] = json!("01-11-22-33-44-55-66");
    let answer = http
        .post(format!("{}/v1/continue", service.url))
        .json(&data)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    common::finished_status(&http, &service.url, &node.to_string()).await;
    // The sync after processing ran while the record was still active; the
    // next one (here: another start) denies the finished node's MAC.
    let again = http
        .post(format!(
            "{}/v1/introspection/{other}?manage_boot=0",
            service.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(
        record(dir.path(), "11:22:33:44:55:66").as_deref(),
        Some("11:22:33:44:55:66,ignore\n")
    );
    assert_eq!(
        record(dir.path(), "52:54:00:09:09:09").as_deref(),
        Some("52:54:00:09:09:09\n")
    );
}
