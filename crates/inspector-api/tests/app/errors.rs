//! Error answers: statuses, messages and the JSON error body for client
//! mistakes, and one trailing slash answered as without it.

use axum::http::Method;
use serde_json::json;

use crate::support::{Answer, TestApp, VERSION};

/// Status and message of an answer whose body is the JSON error document.
fn failure(answer: &Answer) -> (u16, String) {
    assert_eq!(
        answer.headers["content-type"], "application/json",
        "{}",
        answer.text
    );
    (answer.status, answer.error())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_answers() {
    let app = TestApp::new().await;
    let missing = "1a1a1a1a-0000-4000-8000-00000000dead";
    let cases = [
        (
            app.get(&format!("/v1/introspection/{missing}")).await,
            404,
            format!("Could not find node {missing} in cache"),
        ),
        (
            app.send(Method::POST, "/v1/introspection/nope", None, &[])
                .await,
            404,
            "Node nope was not found in Ironic".to_owned(),
        ),
        (
            app.send(
                Method::POST,
                "/v1/introspection/nope?manage_boot=maybe",
                None,
                &[],
            )
            .await,
            400,
            "Invalid boolean value for manage_boot: maybe".to_owned(),
        ),
        (
            app.send(Method::GET, "/v1/introspection", None, &[(VERSION, "1.20")])
                .await,
            406,
            "Unsupported API version 1.20, supported range is 1.0 to 1.19".to_owned(),
        ),
        (
            app.get("/v2").await,
            404,
            "Version v2 not found.".to_owned(),
        ),
        (
            app.get("/v1/introspection?limit=1001").await,
            400,
            "Bad request: Limit over 1000".to_owned(),
        ),
        (
            app.get("/v1/introspection?state=foo,bar").await,
            400,
            "Bad request: State(s) \"foo, bar\" are not valid".to_owned(),
        ),
        (
            app.send(Method::POST, "/v1/continue", Some("{not json"), &[])
                .await,
            400,
            "Invalid data: expected a JSON object, got None".to_owned(),
        ),
    ];
    for (answer, status, message) in cases {
        assert_eq!(failure(&answer), (status, message));
    }
    let (status, message) = failure(&app.post("/v1/continue", &json!({})).await);
    assert_eq!(status, 400);
    assert!(
        message.starts_with("The following failures happened during running pre-processing hooks:"),
        "{message}"
    );
    let refused = app
        .send(Method::DELETE, "/v1/introspection", None, &[])
        .await;
    assert_eq!(failure(&refused).0, 405);
    assert_eq!(failure(&app.get("/v1/unknown/path").await).0, 404);
}

/// Upstream answers every route with one trailing slash as without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trailing_slash_gets_the_same_answer() {
    let app = TestApp::new().await;
    let node = app.fake.add_node(json!({"driver": "ipmi", "driver_info": {"ipmi_address": "10.5.0.9"}, "provision_state": "manageable"}));
    let started = app
        .send(
            Method::POST,
            &format!("/v1/introspection/{node}/?manage_boot=0"),
            None,
            &[],
        )
        .await;
    assert_eq!(started.status, 202, "POST with a slash starts too");
    let rule = app
        .post(
            "/v1/rules/",
            &json!({"conditions": [], "actions": [{"action": "fail", "message": "x"}]}),
        )
        .await
        .json();
    let rule = rule["uuid"].as_str().unwrap().to_owned();
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
        let plain = app.get(path).await;
        assert_ne!(plain.status, 405, "{path}");
        let with_slash = app.get(&slashed).await;
        assert_eq!(
            (with_slash.status, with_slash.json()),
            (plain.status, plain.json()),
            "{slashed}"
        );
    }
    let (status, message) = failure(&app.post("/v1/continue/", &json!({})).await);
    assert_eq!(status, 400);
    assert!(message.starts_with("The following failures"), "{message}");
    assert_eq!(
        app.get("/v1/introspection//").await.status,
        404,
        "only one trailing slash"
    );
    assert_eq!(app.delete(&format!("/v1/rules/{rule}/")).await.status, 204);
}
