//! The fake's HTTP behaviour that clients depend on: version discovery and
//! negotiation, Ironic's error format, authentication, recording, faults.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use std::time::{Duration, Instant};

use inspector_fake_ironic::{FakeAuth, FakeIronic, FakeIronicConfig};
use serde_json::{Value, json};

#[tokio::test]
async fn version_discovery_and_negotiation() {
    let fake = FakeIronic::start().await.unwrap();
    let http = reqwest::Client::new();
    let root: Value = http
        .get(fake.url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["default_version"]["version"], "1.89");
    assert_eq!(
        root["versions"][0]["links"][0]["href"],
        format!("{}/v1/", fake.url())
    );

    let answer = http
        .get(format!("{}/v1/nodes", fake.url()))
        .header("x-openstack-ironic-api-version", "1.50")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let headers = answer.headers();
    assert_eq!(headers["x-openstack-ironic-api-minimum-version"], "1.1");
    assert_eq!(headers["x-openstack-ironic-api-maximum-version"], "1.89");
    assert_eq!(headers["x-openstack-ironic-api-version"], "1.50");

    let too_new = http
        .get(format!("{}/v1/nodes", fake.url()))
        .header("x-openstack-ironic-api-version", "1.90")
        .send()
        .await
        .unwrap();
    assert_eq!(too_new.status(), 406);
    let body: Value = too_new.json().await.unwrap();
    let fault: Value = serde_json::from_str(body["error_message"].as_str().unwrap()).unwrap();
    assert!(
        fault["faultstring"]
            .as_str()
            .unwrap()
            .contains("The supported version range is: [1.1, 1.89].")
    );

    let bad = http
        .get(format!("{}/v1/nodes", fake.url()))
        .header("x-openstack-ironic-api-version", "one")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let latest = http
        .get(format!("{}/v1/nodes", fake.url()))
        .header("x-openstack-ironic-api-version", "latest")
        .send()
        .await
        .unwrap();
    assert_eq!(latest.headers()["x-openstack-ironic-api-version"], "1.89");
}

#[tokio::test]
async fn traits_need_version_1_37() {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(json!({"driver": "ipmi"}));
    let http = reqwest::Client::new();
    let url = format!("{}/v1/nodes/{node}/traits/CUSTOM_A", fake.url());
    let old = http
        .put(&url)
        .header("x-openstack-ironic-api-version", "1.36")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 404);
    let new = http
        .put(&url)
        .header("x-openstack-ironic-api-version", "1.37")
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 204);
    assert_eq!(
        fake.state().node(&node.to_string()).unwrap()["traits"],
        json!(["CUSTOM_A"])
    );
}

#[tokio::test]
async fn basic_auth_challenges_and_root_stays_public() {
    let auth = FakeAuth::HttpBasic {
        username: "u".into(),
        password: "p".into(),
    };
    let fake = FakeIronic::start_with(FakeIronicConfig {
        auth,
        ..Default::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    assert_eq!(http.get(fake.url()).send().await.unwrap().status(), 200);
    let denied = http
        .get(format!("{}/v1/nodes", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.headers()["www-authenticate"],
        "Basic realm=\"Baremetal API\""
    );
    let allowed = http
        .get(format!("{}/v1/nodes", fake.url()))
        .basic_auth("u", Some("p"))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
}

#[tokio::test]
async fn records_requests_and_injects_faults() {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(json!({"driver": "ipmi", "name": "n"}));
    let http = reqwest::Client::new();
    let url = format!("{}/v1/nodes/n", fake.url());

    fake.lock_node(node, 1);
    let locked = http.get(&url).send().await.unwrap();
    assert_eq!(locked.status(), 409);
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        200,
        "only one 409 was asked for"
    );

    fake.make_unavailable(1);
    assert_eq!(
        http.get(format!("{}/v1/ports", fake.url()))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        http.get(format!("{}/v1/ports", fake.url()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    fake.set_latency(Duration::from_millis(150));
    let started = Instant::now();
    http.patch(&url)
        .json(&json!([{"op": "add", "path": "/extra/a", "value": 1}]))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));

    let requests = fake.requests();
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [409, 200, 503, 200, 200]);
    let patch = requests.last().unwrap();
    assert_eq!(
        (patch.method.as_str(), patch.path.as_str()),
        ("PATCH", "/v1/nodes/n")
    );
    assert_eq!(
        patch.body,
        Some(json!([{"op": "add", "path": "/extra/a", "value": 1}]))
    );
}
