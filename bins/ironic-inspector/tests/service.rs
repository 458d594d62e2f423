//! The real binary with a generated `inspector.conf` against the fake Ironic:
//! a whole introspection over HTTP, and the API's error answers.

#![allow(clippy::unwrap_used)] // Test helpers outside #[test] functions unwrap too.

mod common;

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
async fn error_answers() {
    let fake = FakeIronic::start().await.unwrap();
    let service = start(&fake.url());
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", service.url);
    let check = |status: u16, message: &str, answer: (u16, Value)| {
        assert_eq!(answer.0, status, "{}", answer.1);
        assert_eq!(answer.1["error"]["message"], message);
    };
    async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert_eq!(response.headers()["content-type"], "application/json");
        (status, response.json().await.unwrap())
    }
    let missing = "1a1a1a1a-0000-4000-8000-00000000dead";
    check(
        404,
        &format!("Could not find node {missing} in cache"),
        call(http.get(url(&format!("/v1/introspection/{missing}")))).await,
    );
    check(
        404,
        "Node nope was not found in Ironic",
        call(http.post(url("/v1/introspection/nope"))).await,
    );
    check(
        400,
        "Invalid boolean value for manage_boot: maybe",
        call(http.post(url("/v1/introspection/nope?manage_boot=maybe"))).await,
    );
    check(
        406,
        "Unsupported API version 1.20, supported range is 1.0 to 1.19",
        call(
            http.get(url("/v1/introspection"))
                .header("X-OpenStack-Ironic-Inspector-API-Version", "1.20"),
        )
        .await,
    );
    check(
        404,
        "Version v2 not found.",
        call(http.get(url("/v2"))).await,
    );
    check(
        400,
        "Bad request: Limit over 1000",
        call(http.get(url("/v1/introspection?limit=1001"))).await,
    );
    check(
        400,
        "Bad request: State(s) \"foo, bar\" are not valid",
        call(http.get(url("/v1/introspection?state=foo,bar"))).await,
    );
    check(
        400,
        "Invalid data: expected a JSON object, got None",
        call(http.post(url("/v1/continue")).body("{not json")).await,
    );
    let (status, body) = call(http.post(url("/v1/continue")).body("{}")).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The following failures happened during running pre-processing hooks:")
    );
    let (status, _) = call(http.delete(url("/v1/introspection"))).await;
    assert_eq!(status, 405);
    let (status, _) = call(http.get(url("/v1/unknown/path"))).await;
    assert_eq!(status, 404);
}

/// Upstream answers every route with one trailing slash as without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trailing_slash_gets_the_same_answer() {
    let fake = FakeIronic::start().await.unwrap();
    let node = fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.5.0.9"}, "provision_state": "manageable"}));
    let service = start(&fake.url());
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", service.url);
    let started = http
        .post(url(&format!("/v1/introspection/{node}/?manage_boot=0")))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202, "POST with a slash starts too");
    let rule: Value = http
        .post(url("/v1/rules/"))
        .json(&json!({"conditions": [], "actions": [{"action": "fail", "message": "x"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rule = rule["uuid"].as_str().unwrap().to_owned();
    async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
    let paths = [
        "/v1".to_owned(),
        "/v1/introspection".to_owned(),
        "/v1/introspection?limit=1".to_owned(),
        format!("/v1/introspection/{node}"),
        format!("/v1/introspection/{node}/data"),
        format!("/v1/introspection/{node}/data/unprocessed"),
        "/v1/rules".to_owned(),
        format!("/v1/rules/{rule}"),
        "/v2".to_owned(),
    ];
    for path in &paths {
        let slashed = match path.split_once('?') {
            Some((path, query)) => format!("{path}/?{query}"),
            None => format!("{path}/"),
        };
        let plain = answer(http.get(url(path))).await;
        assert_ne!(plain.0, 405, "{path}");
        assert_eq!(answer(http.get(url(&slashed))).await, plain, "{slashed}");
    }
    let (status, body) = answer(http.post(url("/v1/continue/")).json(&json!({}))).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The following failures")
    );
    let (status, _) = answer(http.get(url("/v1/introspection//"))).await;
    assert_eq!(status, 404, "only one trailing slash");
    let deleted = http
        .delete(url(&format!("/v1/rules/{rule}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_basic_authentication() {
    let fake = FakeIronic::start().await.unwrap();
    let service = start_with(&fake.url(), "auth_strategy = http_basic\n", "");
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", service.url);

    let denied = http.get(url("/v1/introspection")).send().await.unwrap();
    assert_eq!(denied.status(), 401);
    assert!(denied.headers().contains_key("www-authenticate"));
    let body: Value = denied.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Authentication required");
    let wrong = http
        .get(url("/v1/introspection"))
        .basic_auth("admin", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let allowed = http
        .get(url("/v1/introspection"))
        .basic_auth("admin", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert!(
        allowed.headers()["x-openstack-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req-")
    );

    let bearer = http
        .get(url("/"))
        .bearer_auth("token")
        .send()
        .await
        .unwrap();
    assert_eq!(
        bearer.status(),
        400,
        "a malformed Authorization header fails everywhere"
    );
    let error: Value = bearer.json().await.unwrap();
    assert_eq!(
        error["error"]["message"], "Unsupported authorization type \"Bearer\"",
        "the reason, in the error format"
    );
    assert_eq!(
        http.get(url("/")).send().await.unwrap().status(),
        200,
        "version discovery is public"
    );
    assert_eq!(http.get(url("/v1")).send().await.unwrap().status(), 200);
    let ramdisk = http
        .post(url("/v1/continue"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ramdisk.status(),
        400,
        "the ramdisk needs no credentials; its empty data is refused"
    );
    let health = http.get(url("/healthcheck")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        !health
            .headers()
            .contains_key("x-openstack-ironic-inspector-api-minimum-version")
    );
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
