//! Microversion 1.19 through the real binary against the fake Ironic: the
//! timeline of a run, the unmatched ramdisk reports (paged, bounded), what a
//! 1.18 client sees instead, the new metrics and `ironic-inspector explain`.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use common::{Service, config, finished_status};
use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

const VERSION: &str = "X-OpenStack-Ironic-Inspector-API-Version";

fn payload(mac: &str) -> Value {
    let mut data: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    data["inventory"]["bmc_address"] = json!("");
    data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
    data
}

async fn get(http: &reqwest::Client, url: &str, version: Option<&str>) -> (u16, Value) {
    let mut request = http.get(url);
    if let Some(version) = version {
        request = request.header(VERSION, version);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

/// Starts the introspection of `node` (with `query`); expects 202.
async fn start(
    http: &reqwest::Client,
    service: &Service,
    node: &str,
    query: &str,
) -> reqwest::Response {
    let started = http
        .post(format!("{}/v1/introspection/{node}{query}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    started
}

/// The text of `/metrics`.
async fn metrics_of(http: &reqwest::Client, service: &Service) -> String {
    let answer = http
        .get(format!("{}/metrics", service.url))
        .send()
        .await
        .unwrap();
    answer.text().await.unwrap()
}

fn kinds(timeline: &Value) -> Vec<&str> {
    timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

/// `ironic-inspector explain <node>` with the service's configuration.
fn explain(service: &Service, node: &str) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ironic-inspector"))
        .arg("explain")
        .arg(node)
        .arg("--config-file")
        .arg(service.dir().join("inspector.conf"))
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The fake Ironic with one manageable node (BMC `bmc`, a port `mac`) and
/// the service with `sections` added to its configuration.
async fn one_node(bmc: &str, mac: &str, sections: &str) -> (FakeIronic, String, Service) {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(
        json!({"driver": "ipmi", "driver_info": {"ipmi_address": bmc},
                                    "provision_state": "manageable"}),
    );
    fake.add_port(node, mac);
    let service = common::start(&config(&fake.url(), "auth_strategy = noauth\n", sections));
    (fake, node.to_string(), service)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_tells_its_story_from_1_19_on() {
    let (_fake, node, service) = one_node(
        "10.6.0.1",
        "52:54:00:06:00:01",
        "[timeline]\nmax_events = 100\n",
    )
    .await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", service.url);

    let started = start(&http, &service, &node, "").await;
    let request_id = started.headers()["x-openstack-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, timeline) = get(
            &http,
            &url(&format!("/v1/introspection/{node}/timeline")),
            None,
        )
        .await;
        if timeline["state"] == "waiting" {
            assert_eq!(timeline["events"][4]["kind"], "power_action");
            let reboot_at = &timeline["events"][4]["time"].as_str().unwrap()[..19];
            assert_eq!(
                timeline["diagnosis"],
                format!("the reboot was sent at {reboot_at}Z and no ramdisk called back")
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{timeline}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let posted = http
        .post(url("/v1/continue"))
        .json(&payload("52:54:00:06:00:01"))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    finished_status(&http, &service.url, &node.to_string()).await;

    let (status, timeline) = get(
        &http,
        &url(&format!("/v1/introspection/{node}/timeline")),
        Some("1.19"),
    )
    .await;
    assert_eq!(status, 200, "{timeline}");
    assert_eq!(
        kinds(&timeline),
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
    let events = &timeline["events"];
    assert_eq!(events[0]["detail"]["request_id"], request_id.as_str());
    assert_eq!(events[0]["detail"]["client_address"], "127.0.0.1");
    assert_eq!(events[6]["detail"]["client_address"], "127.0.0.1");
    assert_eq!(
        events[6]["detail"]["matched_by"],
        json!([{"name": "mac", "value": "52:54:00:06:00:01"}])
    );
    assert_eq!(
        events[2]["detail"]["macs"],
        json!(["52:54:00:06:00:01"]),
        "the MACs the PXE filter was opened for"
    );
    assert_eq!(
        timeline["diagnosis"],
        Value::Null,
        "finished: nothing to explain"
    );
    assert_eq!(timeline["uuid"], node.to_string());
    assert_eq!(timeline["finished"], true);
    assert_eq!(
        timeline["links"][0]["href"],
        format!("{}/v1/introspection/{node}/timeline", service.url)
    );

    // A 1.18 client knows no such URL, whatever the method.
    let (status, body) = get(
        &http,
        &url(&format!("/v1/introspection/{node}/timeline")),
        Some("1.18"),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    for (version, expected) in [("1.18", 404), ("1.19", 405)] {
        let posted = http
            .post(url(&format!("/v1/introspection/{node}/timeline")))
            .header(VERSION, version)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), expected, "POST at {version}");
    }

    // The new metrics.
    let metrics = metrics_of(&http, &service).await;
    for line in [
        "ironic_inspector_introspection_outcomes_total{outcome=\"finished\",kind=\"\"} 1",
        "ironic_inspector_boot_preparation_seconds_count 1",
        "ironic_inspector_callback_wait_seconds_count 1",
        "ironic_inspector_processing_duration_seconds_count 1",
        "ironic_inspector_unmatched_posts_total 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }

    // The same story for people, from the database alone.
    let (ok, text, errors) = explain(&service, &node.to_string());
    assert!(ok, "{errors}");
    assert!(
        text.starts_with(&format!("Node {node}\n  state:    finished\n")),
        "{text}"
    );
    assert!(
        text.contains("Timeline (14 events, oldest first):"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "introspection started (request {request_id} from 127.0.0.1); boot managed by the service: yes"
        )),
        "{text}"
    );
    assert!(
        text.contains(" from 127.0.0.1): MACs 52:54:00:06:00:01, ")
            && text.contains("ramdisk data received (request req-"),
        "{text}"
    );
    let (ok, _, errors) = explain(&service, "1be26c0b-03f2-4d2e-ae87-c02d7f33c123");
    assert!(!ok);
    assert!(errors.contains("has no introspection record"), "{errors}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_reports_are_kept_bounded_and_paged() {
    let fake = FakeIronic::start().await.unwrap();
    let service = common::start(&config(
        &fake.url(),
        "auth_strategy = noauth\n",
        "[timeline]\nmax_unmatched_reports = 2\n",
    ));
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", service.url);
    for mac in [
        "52:54:00:66:00:01",
        "52:54:00:66:00:02",
        "52:54:00:66:00:03",
    ] {
        let answer = http
            .post(url("/v1/continue"))
            .json(&payload(mac))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
    }
    let (status, body) = get(&http, &url("/v1/introspection/unmatched"), Some("1.19")).await;
    assert_eq!(status, 200, "{body}");
    let reports = body["unmatched"].as_array().unwrap();
    let macs: Vec<&Value> = reports.iter().map(|r| &r["macs"][0]).collect();
    assert_eq!(
        macs,
        [&json!("52:54:00:66:00:03"), &json!("52:54:00:66:00:02")]
    );
    assert_eq!(reports[0]["client_address"], "127.0.0.1");
    assert_eq!(
        reports[0]["bmc_addresses"],
        json!(["2001:1234:1234:1234:1234:1234:1234:1234"]),
        "the payload's IPv6 BMC address"
    );
    assert!(
        reports[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Look up error: Could not find a node for attributes"),
        "{body}"
    );
    let newest = reports[0]["id"].as_i64().unwrap();
    let (_, page) = get(
        &http,
        &url(&format!(
            "/v1/introspection/unmatched?limit=1&marker={newest}"
        )),
        None,
    )
    .await;
    assert_eq!(page["unmatched"], json!([reports[1]]));
    let (status, body) = get(&http, &url("/v1/introspection/unmatched?marker=x"), None).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = get(&http, &url("/v1/introspection/unmatched?limit=-1"), None).await;
    assert_eq!(status, 400);

    // A 1.18 client asks for the status of a node named "unmatched", as before.
    let (status, body) = get(&http, &url("/v1/introspection/unmatched"), Some("1.18")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["error"]["message"],
        "Node unmatched was not found in Ironic"
    );

    let metrics = metrics_of(&http, &service).await;
    assert!(
        metrics
            .lines()
            .any(|l| l == "ironic_inspector_unmatched_posts_total 3"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newest_events_are_kept() {
    let (_fake, node, service) = one_node(
        "10.6.0.2",
        "52:54:00:06:00:02",
        "[timeline]\nmax_events = 3\n",
    )
    .await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", service.url);
    start(&http, &service, &node, "?manage_boot=false").await;
    let posted = http
        .post(url("/v1/continue"))
        .json(&payload("52:54:00:06:00:02"))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    finished_status(&http, &service.url, &node.to_string()).await;
    let (_, timeline) = get(
        &http,
        &url(&format!("/v1/introspection/{node}/timeline")),
        None,
    )
    .await;
    assert_eq!(
        kinds(&timeline),
        ["data_stored", "rules_applied", "finished"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_1_19_calls_need_credentials() {
    let fake = FakeIronic::start().await.unwrap();
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let service = common::start_prepared(
        &config(&fake.url(), "auth_strategy = http_basic\n", ""),
        |dir| std::fs::write(dir.join("htpasswd"), format!("admin:{hash}\n")).unwrap(),
    );
    let http = reqwest::Client::new();
    for path in [
        "/v1/introspection/unmatched",
        "/v1/introspection/1be26c0b-03f2-4d2e-ae87-c02d7f33c123/timeline",
    ] {
        let url = format!("{}{path}", service.url);
        let anonymous = http.get(&url).header(VERSION, "1.19").send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{path}");
        let admin = http
            .get(&url)
            .header(VERSION, "1.19")
            .basic_auth("admin", Some("s3cret"))
            .send()
            .await
            .unwrap();
        let expected = if path.ends_with("unmatched") {
            200
        } else {
            404
        };
        assert_eq!(admin.status(), expected, "{path}");
    }
}
