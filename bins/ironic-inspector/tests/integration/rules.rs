//! Introspection rules through the real binary: rules acting on nodes of the
//! fake Ironic. The `/v1/rules` API itself is tested in process
//! (`crates/inspector-api/tests/app/rules.rs`).

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

/// The service's API over HTTP.
struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let answer = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }
}

fn start(fake: &FakeIronic) -> (common::Service, Api) {
    let service = common::start(&common::config(&fake.url(), "auth_strategy = noauth\n", ""));
    let api = Api {
        http: reqwest::Client::new(),
        url: service.url.clone(),
    };
    (service, api)
}

fn error(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

fn payload(mac: &str, memory_mb: u64) -> Value {
    let mut data: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
    data["inventory"]["memory"]["physical_mb"] = json!(memory_mb);
    data
}

/// Starts introspection of a new node with one port and posts its data.
async fn introspect(
    fake: &FakeIronic,
    api: &Api,
    mac: &str,
    memory_mb: u64,
) -> (String, u16, Value) {
    let node = fake.add_node(json!({
        "driver": "ipmi", "driver_info": {"ipmi_address": "10.7.0.1"},
        "provision_state": "manageable",
        "properties": {"inspection_scope": "rack-a", "capabilities": "boot_mode:uefi"},
        "extra": {"tags": ["old"]}
    }));
    fake.add_port(node, mac);
    let (status, _) = api
        .post(
            &format!("/v1/introspection/{node}?manage_boot=0"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202);
    let (status, answer) = api.post("/v1/continue", payload(mac, memory_mb)).await;
    (node.to_string(), status, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_change_nodes_and_fail_rules_end_in_error() {
    let fake = FakeIronic::start().await.unwrap();
    let (_service, api) = start(&fake);
    for rule in [
        json!({"description": "set IPMI creds if missing",
               "conditions": [{"op": "is-empty", "field": "node://driver_info.ipmi_password"}],
               "actions": [{"action": "set-attribute", "path": "driver_info/ipmi_password", "value": "secret"}]}),
        json!({"description": "tag rack a", "scope": "rack-a",
               "conditions": [{"op": "ge", "field": "memory_mb", "value": 1024}],
               "actions": [{"action": "extend-attribute", "path": "/extra/tags", "value": "big", "unique": true},
                           {"action": "set-capability", "name": "arch", "value": "{data[cpu_arch]}"},
                           {"action": "add-trait", "name": "CUSTOM_RACK_A"}]}),
        json!({"description": "other scope", "scope": "rack-b",
               "actions": [{"action": "add-trait", "name": "CUSTOM_RACK_B"}]}),
        json!({"description": "reject small nodes",
               "conditions": [{"op": "lt", "field": "memory_mb", "value": 4096}],
               "actions": [{"action": "fail", "message": "Not enough memory"}]}),
    ] {
        assert_eq!(api.post("/v1/rules", rule).await.0, 201);
    }

    let (node, status, answer) = introspect(&fake, &api, "52:54:00:07:00:01", 12288).await;
    assert_eq!(status, 200, "{answer}");
    let record = common::finished_status(&api.http, &api.url, &node).await;
    assert_eq!(record["error"], Value::Null, "{record}");
    let changed = fake.state().node(&node).unwrap().clone();
    assert_eq!(changed["driver_info"]["ipmi_password"], "secret");
    assert_eq!(changed["extra"]["tags"], json!(["old", "big"]));
    let capabilities = changed["properties"]["capabilities"].as_str().unwrap();
    assert!(capabilities.ends_with(",arch:x86_64"), "{capabilities}");
    assert_eq!(changed["traits"], json!(["CUSTOM_RACK_A"]));

    let (node, status, answer) = introspect(&fake, &api, "52:54:00:07:00:02", 2048).await;
    assert_eq!((status, error(&answer)), (400, "Not enough memory"));
    let record = common::finished_status(&api.http, &api.url, &node).await;
    assert_eq!(
        (record["state"].as_str(), record["error"].as_str()),
        (Some("error"), Some("Not enough memory"))
    );
    // Earlier rules were applied before the failing one; nothing is rolled back.
    let changed = fake.state().node(&node).unwrap().clone();
    assert_eq!(changed["driver_info"]["ipmi_password"], "secret");
    assert_eq!(changed["traits"], json!(["CUSTOM_RACK_A"]));
}
