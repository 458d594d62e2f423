//! The real binary with a generated `inspector.conf` against the fake Ironic:
//! a whole introspection over HTTP and the per-client rate limit. The API's
//! answers are tested in process (`crates/inspector-api/tests/app`).

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

use crate::common;

use common::{Service, config, payload};
use inspector_fake_ironic::FakeIronic;
use serde_json::{Value, json};

fn start(ironic_url: &str) -> Service {
    start_with(ironic_url, "auth_strategy = noauth\n", "")
}

/// The service with an htpasswd file holding `admin` / `s3cret`.
fn start_with(ironic_url: &str, extra_default: &str, extra_sections: &str) -> Service {
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    common::start_prepared(&config(ironic_url, extra_default, extra_sections), |dir| {
        std::fs::write(dir.join("htpasswd"), format!("admin:{hash}\n")).unwrap();
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_introspection_over_http() {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.5.0.1"}, "provision_state": "manageable"}));
    fake.add_port(node, "52:54:00:05:00:01");
    let service = start(&fake.url());
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", service.url);

    let started = http
        .post(url(&format!("/v1/introspection/{node}?manage_boot=0")))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    assert_eq!(
        started.headers()["x-openstack-ironic-inspector-api-maximum-version"],
        "1.19"
    );
    assert_eq!(started.text().await.unwrap(), "{}\n");

    let status: Value = http
        .get(url(&format!("/v1/introspection/{node}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (status["state"].as_str(), status["finished"].as_bool()),
        (Some("waiting"), Some(false))
    );
    assert_eq!(
        status["links"][0]["href"],
        format!("{}/v1/introspection/{node}", service.url)
    );

    // The ramdisk posts without a Content-Type.
    let body = serde_json::to_vec(&payload("52:54:00:05:00:01")).unwrap();
    let answer = http
        .post(url("/v1/continue"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.text().await.unwrap(),
        format!("{{\"uuid\":\"{node}\"}}\n")
    );

    let status = common::finished_status(&http, &service.url, &node.to_string()).await;
    assert_eq!(
        (status["state"].as_str(), &status["error"]),
        (Some("finished"), &Value::Null)
    );
    assert_eq!(
        fake.state().node(&node.to_string()).unwrap()["properties"]["memory_mb"],
        "12288"
    );

    let data = http
        .get(url(&format!("/v1/introspection/{node}/data")))
        .send()
        .await
        .unwrap();
    assert_eq!(data.status(), 200);
    let text = data.text().await.unwrap();
    assert!(
        text.contains("\"macs\": [\"52:54:00:05:00:01\"]") && !text.ends_with('\n'),
        "{text}"
    );

    let list: Value = http
        .get(url("/v1/introspection?state=finished"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["introspection"][0]["uuid"], node.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_is_rate_limited_per_client() {
    let fake = FakeIronic::start().await.unwrap();
    let service = start_with(
        &fake.url(),
        "auth_strategy = noauth\n",
        "[api]\ncontinue_rate_per_client = 2\n",
    );
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut early_headers = None;
    for _ in 0..3 {
        let answer = http
            .post(format!("{}/v1/continue", service.url))
            .body("{}")
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
        if answer.status() == 503 {
            let header = |name: &str| {
                answer
                    .headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            early_headers = Some((header("retry-after"), header("connection")));
        }
    }
    // 503, which the ramdisk retries (it gives up on 429), closing the
    // connection: the body was not read.
    assert_eq!(statuses, [400, 400, 503]);
    assert_eq!(
        early_headers,
        Some((Some("1".to_owned()), Some("close".to_owned())))
    );

    // Another client address has its own allowance.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let answer = other
        .post(format!("{}/v1/continue", service.url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        400,
        "127.0.0.2 is not limited by 127.0.0.1's requests"
    );
}
