//! Discovery through the real binary: data from a machine the fake Ironic
//! does not know enrols it (`node_not_found_hook = enroll`), once, even when
//! the machine posts twice at the same moment.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

fn payload(mac: &str, bmc: &str) -> Value {
    let mut data: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ramdisk/ipa-upstream-base.json"
    ))
    .unwrap();
    data["inventory"]["interfaces"][0]["mac_address"] = json!(mac);
    data["inventory"]["bmc_address"] = json!(bmc);
    data["boot_interface"] = json!(format!("01-{}", mac.replace(':', "-")));
    data
}

fn start(fake: &FakeIronic) -> common::Service {
    common::start(&common::config(
        &fake.url(),
        "auth_strategy = noauth\n",
        "[processing]\nnode_not_found_hook = enroll\nstore_data = database\n\
         [discovery]\nenroll_node_driver = ipmi\n\
         enroll_node_fields = management_interface:noop,resource_class:baremetal\n",
    ))
}

fn nodes(fake: &FakeIronic) -> Vec<Value> {
    fake.state().nodes().cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_machine_is_enrolled_and_processed() {
    let fake = FakeIronic::start().await.unwrap();
    let service = start(&fake);
    let http = reqwest::Client::new();
    // The companion rule operators write for discovered nodes.
    let rule = http
        .post(format!("{}/v1/rules", service.url))
        .json(
            &json!({"conditions": [{"op": "eq", "field": "data://auto_discovered", "value": true}],
                      "actions": [{"action": "add-trait", "name": "CUSTOM_DISCOVERED"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(rule.status(), 201);

    let post = || {
        http.post(format!("{}/v1/continue", service.url))
            .json(&payload("52:54:00:09:00:01", "192.0.2.50"))
            .send()
    };
    let answer = post().await.unwrap();
    assert_eq!(answer.status(), 200);
    let uuid = answer.json::<Value>().await.unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = common::finished_status(&http, &service.url, &uuid).await;
    assert_eq!(
        (status["state"].as_str(), &status["error"]),
        (Some("finished"), &Value::Null)
    );

    let created = nodes(&fake);
    assert_eq!(created.len(), 1);
    let node = &created[0];
    assert_eq!(node["uuid"], uuid.as_str());
    assert_eq!(node["driver"], "ipmi");
    assert_eq!(node["driver_info"], json!({"ipmi_address": "192.0.2.50"}));
    assert_eq!(node["management_interface"], "noop");
    assert_eq!(node["resource_class"], "baremetal");
    assert_eq!(node["traits"], json!(["CUSTOM_DISCOVERED"]));
    assert!(
        node["properties"]["memory_mb"].is_string(),
        "processed like any node: {node}"
    );
    let ports: Vec<Value> = fake.state().ports().cloned().collect();
    assert!(
        ports
            .iter()
            .any(|p| p["address"] == "52:54:00:09:00:01" && p["node_uuid"] == uuid.as_str())
    );
    let data = common::get_json(
        &http,
        &format!("{}/v1/introspection/{uuid}/data", service.url),
    )
    .await;
    assert_eq!(data["auto_discovered"], true);

    // The same machine again: its port now exists, so it is not enrolled twice.
    let again = post().await.unwrap();
    assert_eq!(again.status(), 400);
    let message = again.json::<Value>().await.unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("Node not found hook failed: Port 52:54:00:09:00:01 already exists"),
        "{message}"
    );
    assert_eq!(nodes(&fake).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_posts_of_one_unknown_machine_create_one_node() {
    let fake = FakeIronic::start().await.unwrap();
    let service = start(&fake);
    let http = reqwest::Client::new();
    for round in 0..5_u8 {
        let mac = format!("52:54:00:0a:00:{round:02x}");
        let bmc = format!("192.0.2.{}", 100 + round);
        let post = || {
            http.post(format!("{}/v1/continue", service.url))
                .json(&payload(&mac, &bmc))
                .send()
        };
        let (first, second) = tokio::join!(post(), post());
        let statuses = [
            first.unwrap().status().as_u16(),
            second.unwrap().status().as_u16(),
        ];
        assert!(statuses.contains(&200), "round {round}: {statuses:?}");
        let created: Vec<Value> = nodes(&fake)
            .into_iter()
            .filter(|n| n["driver_info"]["ipmi_address"] == bmc.as_str())
            .collect();
        assert_eq!(created.len(), 1, "round {round}: {statuses:?}");
    }
}
